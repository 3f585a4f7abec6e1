# Shoal developer targets. CI runs .ci/run, which runs `make`-free commands
# so a fresh machine needs only Go.

GO        ?= go
FUZZTIME  ?= 60s
BENCHTIME ?= 1s
PKGS      ?= ./...

.PHONY: test race lint fuzz bench verify

test:
	$(GO) test -shuffle=on $(PKGS)

race:
	$(GO) test -race -shuffle=on -timeout 20m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

# Each fuzz target runs for FUZZTIME; go test -fuzz takes one target at a time.
fuzz:
	$(GO) test ./client -run='^$$' -fuzz='^FuzzDecodeReplies$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/journal -run='^$$' -fuzz='^FuzzOpen$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/metadata -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/metadata -run='^$$' -fuzz='^FuzzRequestOps$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/metadata -run='^$$' -fuzz='^FuzzStreamOps$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/partition -run='^$$' -fuzz='^FuzzRecover$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/vsr -run='^$$' -fuzz='^FuzzStep$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/wire -run='^$$' -fuzz='^FuzzDecodeHeader$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/wire -run='^$$' -fuzz='^FuzzReadFrame$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/wire -run='^$$' -fuzz='^FuzzSessionBodies$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/wire -run='^$$' -fuzz='^FuzzPollMessages$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/wire -run='^$$' -fuzz='^FuzzSendMessages$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/wire -run='^$$' -fuzz='^FuzzRequestBodies$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/wire -run='^$$' -fuzz='^FuzzReplyBodies$$' -fuzztime=$(FUZZTIME)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) $(PKGS)

verify: lint race

# bench-report runs the standard suite (every workload over every transport,
# side by side with nats-server and the raw TCP echo floor) in about three
# minutes on 2 cores and writes a self-contained HTML report. NATS needs
# `go install github.com/nats-io/nats-server/v2@v2.15.2`; without it the
# NATS rows are skipped.
BENCH_DURATION ?= 4s
BENCH_REPORT   ?= bench-report.html
.PHONY: bench-report
bench-report:
	@command -v nats-server >/dev/null || echo "nats-server is not on PATH: NATS is skipped (go install github.com/nats-io/nats-server/v2@v2.15.2)"
	uptime
	$(GO) run ./cmd/shoal-bench -workload all -transport all -compare nats,floor -duration $(BENCH_DURATION) -report $(BENCH_REPORT)
