package sim

import (
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
)

// ciSeeds is the seed budget of the plain `go test` run CI makes (with
// -race). Measured on the 2-core machine: under -race a seed costs about
// 85 ms of CPU; 1500 seeds took 138 s wall alone, so the budget is 1000
// to make room for TestMetaSeeds in the same package run.
const ciSeeds = 1000

// TestSeeds runs ciSeeds swarm seeds: clusters of 1, 3 and 5 replicas (each
// size forced on a third of the seeds), with primary crashes, restarts,
// partitions, drops, duplicates and reordering. Four parallel shards keep
// both CPUs busy.
func TestSeeds(t *testing.T) {
	runSeeds(t, ciSeeds, Options{})
}

// runSeeds runs seeds 1..n of o in four parallel shards (to keep both
// CPUs busy), seed i+1 with 1, 3 or 5 replicas by i%3, and fails on the
// first seed whose checkers fail.
func runSeeds(t *testing.T, n int, o Options) {
	const shards = 4
	for sh := range shards {
		t.Run(fmt.Sprintf("shard%d", sh), func(t *testing.T) {
			t.Parallel()
			for i := sh; i < n; i += shards {
				o := o
				o.Seed, o.Replicas = uint64(i)+1, []int{1, 3, 5}[i%3]
				if r := Run(o); r.Err != nil {
					t.Fatalf("seed %d (%d replicas): %v\nreproduce: %s", o.Seed, r.Replicas, r.Err, r.Repro)
				}
			}
		})
	}
}

// TestDeterminism checks that a seed is a run: equal seeds give equal
// traces, different seeds differ.
func TestDeterminism(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 77, 1234} {
		a, b := Run(Options{Seed: seed}), Run(Options{Seed: seed})
		if a.TraceHash != b.TraceHash || a.Messages != b.Messages || a.Commit != b.Commit {
			t.Fatalf("seed %d: two runs differ: %v / %v", seed, a, b)
		}
	}
	if Run(Options{Seed: 1}).TraceHash == Run(Options{Seed: 2}).TraceHash {
		t.Fatal("seeds 1 and 2 gave the same trace")
	}
}

// TestBugsCaught flips each deliberate bug on in the core and requires the
// checkers to catch it within a bounded number of seeds.
func TestBugsCaught(t *testing.T) {
	const bound = 100
	for _, c := range []struct {
		bug  vsr.Bug
		hint HintMode
	}{
		{vsr.BugCommitWithoutQuorum, HintSwarm},
		{vsr.BugViewChangeShortestLog, HintSwarm},
		// Nacks matter only when a view change meets a lost body, which
		// lowered commit hints make more frequent (about one seed in 60
		// to 400 with three replicas).
		{vsr.BugTruncateFewNacks, HintLower},
		// A deposed primary serving reads: the read checker (reads.go)
		// must see a stale get in the history.
		{vsr.BugReadWithoutQuorum, HintSwarm},
		// A new primary's read index without the head its view started
		// with misses ops the old primary acknowledged.
		{vsr.BugReadIndexCommitOnly, HintSwarm},
	} {
		t.Run(c.bug.String(), func(t *testing.T) {
			for seed := uint64(1); seed <= bound; seed++ {
				r := Run(Options{Seed: seed, Replicas: 3, Bug: c.bug, Hint: c.hint})
				if r.Err != nil {
					t.Logf("caught at seed %d: %v\nreproduce: %s", seed, r.Err, r.Repro)
					return
				}
			}
			t.Fatalf("bug %v not caught in %d seeds", c.bug, bound)
		})
	}
}

// TestStateTransferCovered runs three-replica seeds with a checkpoint
// every 8 ops: replicas that crash or are partitioned away across
// checkpoints can only catch up by state transfer, so some must have, and
// every checker must still pass.
func TestStateTransferCovered(t *testing.T) {
	transfers, checkpoints := 0, 0
	for seed := uint64(1); seed <= 40; seed++ {
		r := Run(Options{Seed: seed, Replicas: 3, Checkpoint: 8})
		if r.Err != nil {
			t.Fatalf("seed %d: %v\nreproduce: %s", seed, r.Err, r.Repro)
		}
		transfers += r.Transfers
		checkpoints += r.Checkpoints
	}
	if transfers == 0 || checkpoints == 0 {
		t.Fatalf("40 seeds made %d checkpoints and %d state transfers", checkpoints, transfers)
	}
	t.Logf("%d checkpoints, %d state transfers", checkpoints, transfers)
}

func TestReproLine(t *testing.T) {
	r := Run(Options{Seed: 9, Replicas: 3, Bug: vsr.BugCommitWithoutQuorum})
	if want := "go run ./cmd/shoal-sim -seed=9 -replicas=3 -bug=commit-without-quorum"; r.Repro != want {
		t.Fatalf("repro %q, want %q", r.Repro, want)
	}
	r = Run(Options{Seed: 9, Hint: HintDefer})
	if want := "go run ./cmd/shoal-sim -seed=9 -hint=defer"; r.Repro != want || r.Hint != HintDefer {
		t.Fatalf("repro %q (hint %v), want %q", r.Repro, r.Hint, want)
	}
}

// TestHintModes checks that the swarm draws both commit-hint modes.
func TestHintModes(t *testing.T) {
	seen := map[HintMode]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		seen[newSim(Options{Seed: seed}).hintMode] = true
	}
	if !seen[HintLower] || !seen[HintDefer] || len(seen) != 2 {
		t.Fatalf("modes drawn by seeds 1..20: %v", seen)
	}
}

// TestDeferredHintNackTruncation is the seed that found the stall: with
// commit-only hard-state writes deferred, old primary 4 prepared op 91,
// its frames were lost, it crashed before op 91 was durable, and the
// header reached the view change through a StartView. No replica held the
// body, so every view change waited for it and escalated (v25 after 5000
// ticks). With nack truncation a primary-elect proves op 91 uncommitted and
// starts its view without it.
func TestDeferredHintNackTruncation(t *testing.T) {
	r := Run(Options{Seed: 3433, Hint: HintDefer})
	if r.Err != nil {
		t.Fatalf("%v\nreproduce: %s", r.Err, r.Repro)
	}
	if r.Converged > 1000 || r.View > 10 {
		t.Fatalf("converged after %d ticks in view %d; want a prompt view change", r.Converged, r.View)
	}
}
