package sim

import "testing"

// ciMetaSeeds is the metadata workload's seed budget in the plain `go
// test` run CI makes (with -race), each with a fault phase of
// ciMetaTicks (the default is 3000; cmd/shoal-sim sweeps use it). Measured
// on the 2-core machine, `go test -race -count=1 ./internal/sim/` with
// TestSeeds' 1000 kv seeds: 3000 ticks took 241 s of CPU (393 s wall at
// load 7); 2000 ticks took 215 s of CPU (514 s wall at load 8 to 11,
// beside a 2-process sweep), about 110 s on two free cores.
const (
	ciMetaSeeds = 1000
	ciMetaTicks = 2000
)

// TestMetaSeeds runs ciMetaSeeds swarm seeds of the metadata workload:
// every replica's state machine is the server's metagroup.Machine over a
// metadata.Store, its effects carried out by internal/partset on its own
// MemFS, with the kv seeds' faults plus disks that die in the middle of
// effects. Checkers: the kv ones (agreement, no lost ack, convergence),
// each replica's state digest after every op (and its evictions) against
// an oracle store, acknowledged results against the oracle's, and each
// converged replica's partition directories against its state.
func TestMetaSeeds(t *testing.T) {
	runSeeds(t, ciMetaSeeds, Options{Ticks: ciMetaTicks, Workload: WorkloadMeta})
}

// TestMetaDeterminism checks that a metadata seed is a run.
func TestMetaDeterminism(t *testing.T) {
	for _, seed := range []uint64{1, 71} {
		o := Options{Seed: seed, Workload: WorkloadMeta}
		a, b := Run(o), Run(o)
		if a.TraceHash != b.TraceHash || a.Messages != b.Messages || a.MetaOK != b.MetaOK || a.MetaTasks != b.MetaTasks {
			t.Fatalf("seed %d: two runs differ: %v / %v", seed, a, b)
		}
	}
}

// TestMetaBugsCaught turns each deliberate bug of the metadata shell on
// (an option of the simulator, not of production code) and requires the
// checkers to catch it within a bounded number of seeds:
// purge-repeat (a purge forgets its op: not idempotent), rerun-effects
// (a restart carries out again the effects of every op it applies again),
// and no-effects-log (replayed ops never carry out effects, even those a
// crash cut short, and live ops applied again run theirs again: the
// behaviour before partset.DoneFile). The checkers that catch them are the
// partition ones: purged at the wrong op, or holding other messages than
// those produced since the latest purge.
func TestMetaBugsCaught(t *testing.T) {
	for _, c := range []struct {
		bug         MetaBug
		first, last uint64
	}{
		{MetaBugPurgeRepeat, 1, 20},
		{MetaBugRerunEffects, 1, 20},
		{MetaBugNoEffectsLog, 1, 60},
	} {
		t.Run(c.bug.String(), func(t *testing.T) {
			t.Parallel()
			for seed := c.first; seed <= c.last; seed++ {
				r := Run(Options{Seed: seed, Workload: WorkloadMeta, MetaBug: c.bug})
				if r.Err != nil {
					t.Logf("caught at seed %d: %v\nreproduce: %s", seed, r.Err, r.Repro)
					return
				}
			}
			t.Fatalf("bug %v not caught in seeds %d..%d", c.bug, c.first, c.last)
		})
	}
}

func TestMetaReproLine(t *testing.T) {
	r := Run(Options{Seed: 44, Workload: WorkloadMeta, MetaBug: MetaBugNoEffectsLog})
	if want := "go run ./cmd/shoal-sim -seed=44 -workload=meta -meta-bug=no-effects-log"; r.Repro != want || r.Err == nil {
		t.Fatalf("repro %q (err %v), want %q and a failure", r.Repro, r.Err, want)
	}
	for b := MetaBugNone; b <= MetaBugRerunEffects; b++ {
		if p, ok := ParseMetaBug(b.String()); !ok || p != b {
			t.Errorf("ParseMetaBug(%q) = %v, %v", b, p, ok)
		}
	}
}
