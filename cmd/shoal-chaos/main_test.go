package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out, errs strings.Builder
	args := []string{"-layout=mesh", "-faults=net", "-seed=5", "-ops=100", "-duration=1m", "-fault-every=2ms", "-timeout=20ms", "-think=0", "-v"}
	if code := run(context.Background(), args, &out, &errs); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errs.String())
	}
	for _, want := range []string{
		"shoal-chaos seed=5\n",
		"reproduce: go run ./cmd/shoal-chaos -seed=5 -nodes=3 -layout=mesh -ops=100 -duration=1m0s -faults=partition,oneway,isolate,drop,blackhole,delay -fault-every=2ms -timeout=20ms -think=0s -bug=none\n",
		"fault: ", "log      Ok", "PASS seed=5\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}

	// A planted bug fails, prints the reproducer and writes the
	// visualization.
	out.Reset()
	viz := filepath.Join(t.TempDir(), "v")
	args = []string{"-layout=mesh", "-seed=9", "-ops=50", "-faults=none", "-bug=lose-ack", "-viz=" + viz}
	if code := run(context.Background(), args, &out, &errs); code != 1 {
		t.Fatalf("exit %d with a planted bug\n%s", code, out.String())
	}
	for _, want := range []string{"FAIL seed=9: ", "visualization: " + viz + "-log.html", "  reproduce: go run ./cmd/shoal-chaos -seed=9 "} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(viz + "-log.html"); err != nil {
		t.Fatal(err)
	}

	for _, bad := range [][]string{{"-faults=meteor"}, {"-bug=nonsense"}, {"-nope"}, {"-layout=mesh", "-failover=x"}} {
		if code := run(context.Background(), bad, &out, &errs); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	// A config Run refuses is a failure with its reason, not a crash.
	out.Reset()
	if code := run(context.Background(), []string{"-layout=mesh", "-nodes=1"}, &out, &errs); code != 1 || !strings.Contains(out.String(), "at least 2") {
		t.Errorf("-nodes=1: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"-nodes=2", "-seed=3"}, &out, &errs); code != 1 || !strings.Contains(out.String(), "at least 3 nodes") {
		t.Errorf("a cluster of 2: exit %d\n%s", code, out.String())
	}
	// The cluster layout's timing defaults show in its reproducer.
	if !strings.Contains(out.String(), "-layout=cluster -ops=0 -duration=30s -faults=partition,oneway,isolate,drop,blackhole,delay,kill-leader,kill-backup,pause-leader -fault-every=3s -timeout=10s -think=10ms") {
		t.Errorf("cluster reproducer:\n%s", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"-failover=1", "-nodes=2"}, &out, &errs); code != 1 || !strings.Contains(out.String(), "three nodes") {
		t.Errorf("-failover with 2 nodes: exit %d\n%s", code, out.String())
	}
}
