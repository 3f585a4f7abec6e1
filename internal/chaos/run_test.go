package chaos

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/chaos/history"
	"go.uber.org/goleak"
)

// TestMain checks for leaks and then removes the shoal-server binary the
// cluster tests built.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if binDir != "" {
			os.RemoveAll(binDir)
		}
	}))
}

func config(seed uint64) Config {
	return Config{Seed: seed, Nodes: 3, Layout: LayoutMesh, Ops: 150, Duration: time.Minute,
		Faults: allFaults, FaultEvery: 2 * time.Millisecond, Timeout: 20 * time.Millisecond}
}

// The correct service passes every check through every fault, whatever
// the timing: faults only turn results into Failed or Unknown.
func TestRunPassesUnderFaults(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		var trace []string
		cfg := config(seed)
		cfg.Trace = func(s string) { trace = append(trace, s) }
		r := Run(context.Background(), cfg)
		if r.Err != nil {
			t.Fatalf("seed %d: %v\nfaults:\n%s", seed, r.Err, strings.Join(trace, "\n"))
		}
		if r.Ops < 3*150 || r.OK == 0 {
			t.Fatalf("seed %d: %d ops, %d ok", seed, r.Ops, r.OK)
		}
		t.Logf("seed %d: %d ops (%d ok, %d failed, %d unknown), %d fault changes",
			seed, r.Ops, r.OK, r.Failed, r.Unknown, r.FaultChanges)
	}
}

// Each planted bug is caught by the checks that should catch it, and the
// failing models are visualized where asked.
func TestRunCatchesBugs(t *testing.T) {
	for _, bug := range []Bug{BugLoseAck, BugStaleRead} {
		t.Run(bug.String(), func(t *testing.T) {
			for _, layout := range []string{LayoutDirect, LayoutMesh} {
				cfg := config(7)
				cfg.Layout, cfg.Faults, cfg.Bug = layout, nil, bug
				cfg.Viz = filepath.Join(t.TempDir(), "viz")
				r := Run(context.Background(), cfg)
				if !errors.Is(r.Err, history.ErrNotLinearizable) || !errors.Is(r.Err, history.ErrLostAck) {
					t.Fatalf("%s: err %v, want both ErrNotLinearizable and ErrLostAck", layout, r.Err)
				}
				if len(r.Visualizations) != 1 || !strings.HasSuffix(r.Visualizations[0], "viz-log.html") {
					t.Fatalf("%s: visualizations %v", layout, r.Visualizations)
				}
				if _, err := os.Stat(r.Visualizations[0]); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestConfig(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Nodes = 1 },
		func(c *Config) { c.Layout = "ring" },
		func(c *Config) { c.Layout = LayoutDirect },
		func(c *Config) { c.Timeout = 0 },
		func(c *Config) { c.Ops = -1 },
		func(c *Config) { c.Think = -1 },
	}
	for i, mutate := range bad {
		cfg := config(1)
		mutate(&cfg)
		if r := Run(context.Background(), cfg); r.Err == nil || r.Ops != 0 {
			t.Errorf("bad config %d accepted: %+v", i, r)
		}
	}
	if fs, err := ParseFaults("partition,delay"); err != nil || len(fs) != 2 {
		t.Errorf("ParseFaults: %v %v", fs, err)
	}
	if _, err := ParseFaults("meteor"); err == nil {
		t.Error("unknown fault accepted")
	}
	if fs, err := ParseFaults("none"); err != nil || fs != nil {
		t.Errorf("none: %v %v", fs, err)
	}
	if b, err := ParseBug("stale-read"); err != nil || b != BugStaleRead {
		t.Errorf("ParseBug: %v %v", b, err)
	}
	want := "go run ./cmd/shoal-chaos -seed=1 -nodes=3 -layout=mesh -ops=150 -duration=1m0s " +
		"-faults=partition,oneway,isolate,drop,blackhole,delay -fault-every=2ms -timeout=20ms -think=0s -bug=none"
	if got := config(1).Repro(); got != want {
		t.Errorf("Repro:\n got %s\nwant %s", got, want)
	}
}

// The self-test service's reply parser rejects what it does not expect.
func TestParseReply(t *testing.T) {
	for _, c := range []struct {
		k    history.Kind
		line string
	}{{history.Produce, "OK x"}, {history.Produce, "NOTFOUND"}, {history.GetOffset, "OK"}, {history.CreateStream, "MAYBE"}} {
		if _, err := parseReply(c.k, c.line); err == nil {
			t.Errorf("%s %q parsed", c.k, c.line)
		}
	}
	r, err := parseReply(history.Poll, "OK ")
	if err != nil || len(r.Messages) != 0 {
		t.Errorf("empty poll: %v %v", r, err)
	}
}
