package main

import (
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out, errs strings.Builder
	if code := run([]string{"-seed=3"}, &out, &errs); code != 0 || !strings.Contains(out.String(), "seed=3 ") {
		t.Fatalf("exit %d, output %q %q", code, out.String(), errs.String())
	}
	out.Reset()
	if code := run([]string{"-seeds=3", "-replicas=3"}, &out, &errs); code != 0 || !strings.Contains(out.String(), "3 seeds, 0 failed") {
		t.Fatalf("exit %d, output %q", code, out.String())
	}
	out.Reset()
	// A deliberate bug fails some seed within 100 (internal/sim
	// TestBugsCaught); the failure prints the one-line reproducer.
	caught := false
	for seed := 1; seed <= 100 && !caught; seed++ {
		out.Reset()
		arg := "-seed=" + strconv.Itoa(seed)
		if run([]string{arg, "-replicas=3", "-bug=commit-without-quorum"}, &out, &errs) == 1 {
			caught = true
			if want := "reproduce: go run ./cmd/shoal-sim " + arg + " -replicas=3 -bug=commit-without-quorum"; !strings.Contains(out.String(), want) {
				t.Fatalf("output %q lacks %q", out.String(), want)
			}
		}
	}
	if !caught {
		t.Fatal("deliberate bug not caught in 100 seeds")
	}
	if code := run([]string{"-bug=nonsense"}, &out, &errs); code != 2 {
		t.Fatalf("bad -bug: exit %d", code)
	}
	if code := run([]string{"-hint=nonsense"}, &out, &errs); code != 2 {
		t.Fatalf("bad -hint: exit %d", code)
	}
	out.Reset()
	if code := run([]string{"-seed=3", "-hint=defer"}, &out, &errs); code != 0 || !strings.Contains(out.String(), "hint=defer") {
		t.Fatalf("-hint=defer: exit %d, output %q", code, out.String())
	}
	for _, bad := range []string{"-workload=nonsense", "-meta-bug=nonsense"} {
		if code := run([]string{bad}, &out, &errs); code != 2 {
			t.Fatalf("%s: exit %d", bad, code)
		}
	}
}

// TestRunMeta runs the metadata workload: a sweep, and a deliberate shell
// bug that the checkers catch with its reproducer (internal/sim
// TestMetaBugsCaught).
func TestRunMeta(t *testing.T) {
	var out, errs strings.Builder
	if code := run([]string{"-seeds=2", "-workload=meta"}, &out, &errs); code != 0 || !strings.Contains(out.String(), "2 seeds, 0 failed") {
		t.Fatalf("exit %d, output %q %q", code, out.String(), errs.String())
	}
	out.Reset()
	if code := run([]string{"-seed=2", "-workload=meta", "-meta-bug=purge-repeat"}, &out, &errs); code != 1 ||
		!strings.Contains(out.String(), "reproduce: go run ./cmd/shoal-sim -seed=2 -workload=meta -meta-bug=purge-repeat") {
		t.Fatalf("exit %d, output %q", code, out.String())
	}
}
