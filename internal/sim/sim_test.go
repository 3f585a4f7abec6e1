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
	const shards = 4
	for sh := range shards {
		t.Run(fmt.Sprintf("shard%d", sh), func(t *testing.T) {
			t.Parallel()
			for i := sh; i < ciSeeds; i += shards {
				o := Options{Seed: uint64(i) + 1, Replicas: []int{1, 3, 5}[i%3]}
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
	for _, bug := range []vsr.Bug{vsr.BugCommitWithoutQuorum, vsr.BugViewChangeShortestLog} {
		t.Run(bug.String(), func(t *testing.T) {
			for seed := uint64(1); seed <= bound; seed++ {
				r := Run(Options{Seed: seed, Replicas: 3, Bug: bug})
				if r.Err != nil {
					t.Logf("caught at seed %d: %v\nreproduce: %s", seed, r.Err, r.Repro)
					return
				}
			}
			t.Fatalf("bug %v not caught in %d seeds", bug, bound)
		})
	}
}

func TestReproLine(t *testing.T) {
	r := Run(Options{Seed: 9, Replicas: 3, Bug: vsr.BugCommitWithoutQuorum})
	if want := "go run ./cmd/shoal-sim -seed=9 -replicas=3 -bug=commit-without-quorum"; r.Repro != want {
		t.Fatalf("repro %q, want %q", r.Repro, want)
	}
}
