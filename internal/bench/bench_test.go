package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	cfg, err := ParseFlags([]string{"-workload", "all", "-transport", "tcp,quic", "-compare", "floor,nats",
		"-producers", "3", "-batch", "10", "-size", "64", "-messages", "500", "--rate", "1000", "--json", "-quiet"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Workloads) != len(Workloads) || strings.Join(cfg.Transports, ",") != "tcp,quic" ||
		strings.Join(cfg.Compare, ",") != "floor,nats" || cfg.Producers != 3 || cfg.Batch != 10 || cfg.Size != 64 ||
		cfg.Messages != 500 || cfg.Rate != 1000 || !cfg.JSON || cfg.Progress {
		t.Fatalf("parsed %+v", cfg)
	}
	def, err := ParseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if d := DefaultConfig(); def.Duration != d.Duration || def.Workloads[0] != Echo || !def.Progress {
		t.Fatalf("defaults %+v", def)
	}
	for _, bad := range [][]string{
		{"-workload", "nope"}, {"-transport", "udp"}, {"-compare", "kafka"}, {"-batch", "0"},
		{"-messages", "0", "-duration", "0"}, {"-server-address", "x:1", "-transport", "tcp,ws"}, {"extra"},
	} {
		if _, err := ParseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	var help bytes.Buffer
	if _, err := ParseFlags([]string{"-h"}, &help); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "-workload") {
		t.Fatalf("-h: %v\n%s", err, help.String())
	}
}

// TestSmoke runs every workload for a few hundred messages against the
// in-process server: each role must move exactly the messages it was
// asked for and record a latency for each request.
func TestSmoke(t *testing.T) {
	for _, w := range Workloads {
		t.Run(w, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Workloads, cfg.Messages, cfg.Batch, cfg.Size, cfg.Progress = []string{w}, 400, 20, 32, false
			cfg.Compare = []string{"floor", "nats"} // nats is skipped without nats-server
			rep, err := Measure(context.Background(), cfg, "test", io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			checkSmoke(t, rep, w)
		})
	}
}

// TestSmokeTransports runs echo and a producer over every transport.
func TestSmokeTransports(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workloads, cfg.Transports, cfg.Messages, cfg.Batch, cfg.Size, cfg.Progress = []string{Echo, PinnedProducer}, Transports, 200, 20, 16, false
	rep, err := Measure(context.Background(), cfg, "test", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2*len(Transports) {
		t.Fatalf("%d results", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Messages != 200 {
			t.Errorf("%s %s: %d messages", r.Workload, r.Transport, r.Messages)
		}
	}
}

func checkSmoke(t *testing.T, rep *Report, w string) {
	t.Helper()
	var roles int
	for _, r := range rep.Results {
		if r.Target != "shoal" {
			if r.Target == "floor" && w != Echo && w != PinnedProducer || r.Messages != 400 {
				t.Errorf("unexpected %+v", r)
			}
			continue
		}
		roles++
		if r.Messages != 400 || r.Latency.Count == 0 || r.Latency.P50 <= 0 || r.Latency.Max < r.Latency.P99 || len(r.Series) == 0 {
			t.Errorf("%s %s: %d messages, latency %+v, %d samples", r.Workload, r.Role, r.Messages, r.Latency, len(r.Series))
		}
	}
	if want := map[string]int{PinnedProducerAndConsumer: 2, BalancedConsumerGroup: 2}[w]; roles != max(want, 1) {
		t.Errorf("%d shoal roles", roles)
	}
}

func TestDuration(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration, cfg.Progress, cfg.Tick, cfg.Rate = 300*time.Millisecond, true, 50*time.Millisecond, 2000
	var out, progress bytes.Buffer
	if err := Run(context.Background(), cfg, "test", &out, &progress); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "p99 µs") || !strings.Contains(progress.String(), "msg/s") {
		t.Fatalf("summary:\n%s\nprogress:\n%q", out.String(), progress.String())
	}
}

// TestRateAndJSON runs echo at 1000 msgs/s for 300 ms with -json and
// checks the output decodes and the pacer held the rate.
func TestRateAndJSON(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration, cfg.Progress, cfg.Rate, cfg.JSON = 300*time.Millisecond, false, 1000, true
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, "test", &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(rep.Results) != 1 {
		t.Fatalf("%d results", len(rep.Results))
	}
	// The pacer admits one message at once and then one per ms.
	if r := rep.Results[0]; r.Messages < 1 || float64(r.Messages) > r.Seconds*1000+2 {
		t.Fatalf("%d messages in %.3fs at 1000/s", r.Messages, r.Seconds)
	}
}
