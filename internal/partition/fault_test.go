package partition

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestCrashAtEveryPointWithFaults runs seeded appends, syncs, roll-overs
// and consumer-offset stores while the disk fails one write in eight
// (ENOSPC after a random prefix), one sync in eight, and one file
// creation or directory sync in six, also during the partition's own
// recoveries; and it crashes before every file system operation. Every
// recovery must open (a fault is never mistaken for corruption) and
// serve every acknowledged message in order, each with its own bytes
// (a dropped offset given again carries the same payload here), with
// exactly the synced ones when unsynced bytes are lost. The partition
// keeps working through the faults.
func TestCrashAtEveryPointWithFaults(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { crashWithFaults(t, seed) })
	}
}

func crashWithFaults(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xfa11))
	m := vfs.NewMem()
	var (
		states []crashState
		p      *Partition
		acked  uint64
		faults bool
		failed int
	)
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		states = append(states, crashStates(rng, m, op, p, crashState{acked: acked})...)
		if !faults {
			return nil
		}
		switch k := op.Kind; {
		case k == vfs.OpWrite && rng.IntN(8) == 0:
			failed++
			return vfs.TornWrite{Keep: rng.IntN(op.Len + 1), Err: vfs.ErrNoSpace}
		case k == vfs.OpSync && rng.IntN(8) == 0, (k == vfs.OpCreate || k == vfs.OpSyncDir) && rng.IntN(6) == 0:
			failed++
			return vfs.ErrNoSpace
		}
		return nil
	})
	cfg := Config{SegmentSize: 3000, EnforceFsync: seed%2 == 0, MessagesRequiredToSave: 7}
	p = mustOpen(t, fsys, cfg)
	faults = true
	for i := range 60 {
		// Recover first, so that the batch is built for the offset it gets
		// (a recovery after a failed sync gives dropped offsets again).
		if p.ready() != nil {
			continue
		}
		r, err := p.Append(makeBatch(t, p.NextOffset(), 1+rng.IntN(5), crashPayload), uint64(i))
		if err == nil && r.Durable {
			acked = p.NextOffset()
		}
		if rng.IntN(4) == 0 && p.Sync() == nil {
			acked = p.NextOffset()
		}
		if acked > 0 && rng.IntN(3) == 0 {
			p.StoreOffset(ConsumerKey{Kind: wire.ConsumerSingle, ID: 1}, acked-1, AckQuorum)
		}
	}
	faults = false
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	final := p.NextOffset()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if failed < 10 {
		t.Fatalf("only %d faults injected", failed)
	}
	for _, s := range states {
		q, err := Open(s.fs, testDir, 1, Config{SegmentSize: 3000})
		if err != nil {
			t.Fatalf("%s: open: %v", s.at, err)
		}
		ms := pollAll(t, q)
		q.Close()
		n := uint64(len(ms))
		if n < s.acked || s.lose && n != s.exact {
			t.Fatalf("%s: recovered %d messages, acknowledged %d, durable %d", s.at, n, s.acked, s.exact)
		}
		checkSequence(t, ms, 0, crashPayload)
	}
	q := mustOpen(t, m.CrashClone(vfs.CrashOptions{}), Config{SegmentSize: 3000})
	defer q.Close()
	if ms := pollAll(t, q); uint64(len(ms)) != final {
		t.Fatalf("final state: %d messages, the partition held %d", len(ms), final)
	}
	t.Logf("%d crash states, %d faults, %d messages kept", len(states), failed, final)
}
