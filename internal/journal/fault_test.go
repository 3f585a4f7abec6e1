package journal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
)

// faultSnapshot is a crash state taken while writes and syncs fail.
type faultSnapshot struct {
	fs    *vfs.MemFS
	at    string
	acked int // records covered by a successful Sync
	exact int // records durable (Synced) when the crash came
	lose  bool
}

// TestCrashAtEveryPointWithFaults runs seeded appends and syncs while the
// disk fails one write in eight (ENOSPC after a random prefix) and one
// sync in eight, also during the journal's own recoveries, and crashes
// before every file system operation. Every recovery must serve every
// acknowledged record in order, then only records that some Append
// wrote, each at most once; with unsynced bytes lost, exactly the synced
// ones. The journal keeps working through the faults.
func TestCrashAtEveryPointWithFaults(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { crashWithFaults(t, seed) })
	}
}

func crashWithFaults(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xfa11))
	m := vfs.NewMem()
	var (
		snaps  []faultSnapshot
		j      *Journal
		acked  int
		faults bool
		failed int
	)
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		exact := 0
		if j != nil {
			exact = int(j.Synced())
		}
		for _, km := range keepModes {
			snaps = append(snaps, faultSnapshot{
				fs: m.CrashClone(vfs.CrashOptions{KeepUnsynced: km.keep(rng)}),
				at: fmt.Sprintf("before %v (keep %s)", op.Kind, km.name), acked: acked, exact: exact, lose: km.name == "none",
			})
		}
		if !faults {
			return nil
		}
		switch {
		case op.Kind == vfs.OpWrite && rng.IntN(8) == 0:
			failed++
			return vfs.TornWrite{Keep: rng.IntN(op.Len + 1), Err: vfs.ErrNoSpace}
		case op.Kind == vfs.OpSync && rng.IntN(8) == 0:
			failed++
			return vfs.ErrInjected
		}
		return nil
	})
	j, _ = mustOpen(t, fsys)
	faults = true
	var held [][]byte // the records the journal holds, in order
	written := map[string]bool{}
	for i := range 60 {
		p := payload(i+int(seed)*100, 1+rng.IntN(150))
		written[string(p)] = true
		if idx, err := j.Append(p); err == nil {
			held = append(held[:idx], p)
		}
		if rng.IntN(3) == 0 {
			if err := j.Sync(); err == nil {
				acked = int(j.Synced())
			}
		}
	}
	faults = false
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	acked = int(j.Synced())
	held = held[:j.Len()]
	j.Close()
	if _, recs := mustOpen(t, m.CrashClone(vfs.CrashOptions{})); len(recs) != len(held) {
		t.Fatalf("final state: %d records, the journal held %d", len(recs), len(held))
	} else {
		for i := range recs {
			if !bytes.Equal(recs[i], held[i]) {
				t.Fatalf("final state: record %d differs", i)
			}
		}
	}
	if failed < 5 {
		t.Fatalf("only %d faults injected", failed)
	}
	for _, s := range snaps {
		j, recs, err := openAll(t, s.fs)
		if err != nil {
			t.Fatalf("crash %s: Open: %v", s.at, err)
		}
		j.Close()
		if len(recs) < s.acked || s.lose && len(recs) != s.exact {
			t.Fatalf("crash %s: recovered %d records, acked %d, durable %d", s.at, len(recs), s.acked, s.exact)
		}
		seen := map[string]bool{}
		for i, r := range recs {
			if i < s.acked && !bytes.Equal(r, held[i]) || !written[string(r)] || seen[string(r)] {
				t.Fatalf("crash %s: record %d is not what was acknowledged or written once", s.at, i)
			}
			seen[string(r)] = true
		}
	}
	t.Logf("%d crash states, %d faults, %d of 60 records kept", len(snaps), failed, len(held))
}
