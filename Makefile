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

# Each fuzz target in the repository runs for FUZZTIME, one at a time (go
# test -fuzz takes one target); the list is found, so a new target is never
# forgotten here.
fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do \
		for target in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "== $$dir $$target"; \
			$(GO) test $$dir -run='^$$$$' -fuzz="^$$target\$$$$" -fuzztime=$(FUZZTIME) || exit 1; \
		done; \
	done

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

# cluster starts a local three-node cluster from cluster.toml (logs and pid
# files in local_data/cluster); cluster-stop stops it, cluster-status shows
# which nodes run. See scripts/cluster.sh.
.PHONY: cluster cluster-stop cluster-status
cluster:
	scripts/cluster.sh start

cluster-stop:
	scripts/cluster.sh stop

cluster-status:
	scripts/cluster.sh status
