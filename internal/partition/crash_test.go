package partition

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// crashState is the disk as a crash before one file system operation
// would leave it, with what the writer had been told by then.
type crashState struct {
	fs      *vfs.MemFS
	at      string
	acked   uint64 // messages reported durable (AppendResult.Durable / Sync)
	started uint64 // messages of every Append begun
	offset  uint64 // last consumer offset stored at AckQuorum (+1; 0 = none)
	// exact, for a crash that loses every unsynced byte, is the number of
	// messages synced (DurableOffset).
	exact uint64
	lose  bool
}

// crashStates returns the states a crash before op would leave in m, one
// per keep mode, each a copy of base with the disk, the description and
// what p had synced (DurableOffset) filled in.
func crashStates(rng *rand.Rand, m *vfs.MemFS, op vfs.Op, p *Partition, base crashState) []crashState {
	if p != nil {
		base.exact = p.DurableOffset()
	}
	out := make([]crashState, 0, len(keepModes))
	for _, km := range keepModes {
		s := base
		s.fs = m.CrashClone(vfs.CrashOptions{KeepUnsynced: km.keep(rng)})
		s.at = fmt.Sprintf("before %v %s (keep %s)", op.Kind, op.Path, km.name)
		s.lose = km.name == "none"
		out = append(out, s)
	}
	return out
}

var keepModes = []struct {
	name string
	keep func(rng *rand.Rand) func(string, int) int
}{
	{"none", func(*rand.Rand) func(string, int) int { return nil }},
	{"all", func(*rand.Rand) func(string, int) int { return func(_ string, n int) int { return n } }},
	{"random", func(rng *rand.Rand) func(string, int) int {
		return func(_ string, n int) int { return rng.IntN(n + 1) }
	}},
}

// TestCrashAtEveryPoint runs a seeded sequence of appends (with segment
// roll-overs, fsync policies and consumer-offset stores) and crashes
// before every file system operation, with unsynced bytes lost, kept, or
// torn at a random point. Every recovery must serve every acknowledged
// message, in order, exactly once, with its own bytes, and nothing that no
// Append wrote; torn batches are never served, and appends continue at the
// recovered offset. With unsynced bytes lost, exactly the synced messages
// survive.
func TestCrashAtEveryPoint(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { crashAtEveryPoint(t, seed) })
	}
}

const crashPayload = 120

func crashAtEveryPoint(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
	m := vfs.NewMem()
	var states []crashState
	var acked, started, stored uint64
	var p *Partition
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		states = append(states, crashStates(rng, m, op, p, crashState{acked: acked, started: started, offset: stored})...)
		return nil
	})
	cfg := Config{SegmentSize: 3000, EnforceFsync: seed%2 == 0, MessagesRequiredToSave: 7}
	p = mustOpen(t, fsys, cfg)
	for i := range 30 {
		n := 1 + rng.IntN(5)
		started += uint64(n)
		r := mustAppend(t, p, makeBatch(t, p.NextOffset(), n, crashPayload), uint64(i))
		if r.Durable {
			acked = p.NextOffset()
		}
		if rng.IntN(4) == 0 {
			if err := p.Sync(); err != nil {
				t.Fatal(err)
			}
			acked = p.NextOffset()
		}
		if acked > 0 && rng.IntN(3) == 0 {
			if err := p.StoreOffset(ConsumerKey{Kind: wire.ConsumerSingle, ID: 1}, acked-1, AckQuorum); err != nil {
				t.Fatal(err)
			}
			stored = acked
		}
	}
	synced := acked
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	states = append(states, crashState{fs: m.CrashClone(vfs.CrashOptions{}), at: "after close", acked: started, started: started, offset: stored})

	torn := 0
	for _, s := range states {
		if checkCrash(t, s) {
			torn++
		}
	}
	if torn == 0 {
		t.Fatal("no crash left a torn tail: the test does not exercise truncation")
	}
	t.Logf("%d crash states, %d with a torn tail, %d of %d messages synced", len(states), torn, synced, started)
}

// checkCrash recovers one crash state and reports whether it had a torn
// tail.
func checkCrash(t *testing.T, s crashState) bool {
	t.Helper()
	cfg := Config{SegmentSize: 3000}
	p, err := Open(s.fs, testDir, 1, cfg)
	if err != nil {
		t.Fatalf("%s: open: %v", s.at, err)
	}
	ms := pollAll(t, p)
	n := uint64(len(ms))
	if n < s.acked || n > s.started || p.NextOffset() != n {
		t.Fatalf("%s: recovered %d messages (next %d), acknowledged %d, started %d", s.at, n, p.NextOffset(), s.acked, s.started)
	}
	if s.lose && n != s.exact {
		t.Fatalf("%s: recovered %d messages, %d were synced", s.at, n, s.exact)
	}
	checkSequence(t, ms, 0, crashPayload)
	if s.offset > 0 {
		if off, ok := p.ConsumerOffset(ConsumerKey{Kind: wire.ConsumerSingle, ID: 1}); !ok || off < s.offset-1 {
			t.Fatalf("%s: consumer offset %d %v, stored %d", s.at, off, ok, s.offset-1)
		}
	}
	torn := p.Recovery().TornBytes > 0
	// The log goes on from where recovery left it, and survives a reopen.
	r, err := p.Append(makeBatch(t, n, 2, crashPayload), 1<<40)
	if err != nil || r.BaseOffset != n {
		t.Fatalf("%s: append after recovery: %+v %v", s.at, r, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p, err = Open(s.fs, testDir, 1, cfg)
	if err != nil {
		t.Fatalf("%s: reopen: %v", s.at, err)
	}
	defer p.Close()
	if p.Recovery().TornBytes != 0 {
		t.Fatalf("%s: second recovery truncated %d bytes", s.at, p.Recovery().TornBytes)
	}
	ms = pollAll(t, p)
	if uint64(len(ms)) != n+2 {
		t.Fatalf("%s: %d messages after reopen, want %d", s.at, len(ms), n+2)
	}
	checkSequence(t, ms, 0, crashPayload)
	return torn
}
