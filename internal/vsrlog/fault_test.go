package vsrlog

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// keepAll keeps every unsynced byte and every unsynced rewrite: the most
// a crash (or a restarted process reading the page cache) can show.
var keepAll = vfs.CrashOptions{
	KeepUnsynced: func(_ string, n int) int { return n },
	TearRewrite:  func(_ string, n int) int { return n },
}

// TestPersistFaults fails one operation of a Persist: the call returns
// the error, the Log's durable hard state does not move, and neither a
// crash nor a restart that keeps every unsynced byte shows the failed
// hard state or more than a prefix of its records; with the fault gone,
// retrying the same Update succeeds and a reopen shows all of it.
func TestPersistFaults(t *testing.T) {
	cases := []struct {
		name string
		kind vfs.OpKind
		path string
		nth  int // which matching operation fails, counting from 1
		err  error
	}{
		{"truncate record ENOSPC", vfs.OpWrite, JournalName, 1, vfs.TornWrite{Keep: 5, Err: vfs.ErrNoSpace}},
		{"second prepare ENOSPC", vfs.OpWrite, JournalName, 3, vfs.TornWrite{Keep: 300, Err: vfs.ErrNoSpace}},
		{"journal fsync", vfs.OpSync, JournalName, 1, vfs.ErrInjected},
		{"superblock truncate", vfs.OpTruncate, "superblock", 1, vfs.ErrInjected},
		{"superblock ENOSPC", vfs.OpWrite, "superblock", 1, vfs.TornWrite{Keep: 30, Err: vfs.ErrNoSpace}},
		{"superblock error after a whole write", vfs.OpWrite, "superblock", 1, vfs.TornWrite{Keep: 1 << 20}},
		{"superblock fsync", vfs.OpSync, "superblock", 1, vfs.ErrInjected},
		{"superblock fsync and discard", vfs.OpSync, "superblock", 0, vfs.ErrInjected},
		{"superblock directory sync", vfs.OpSyncDir, "", 1, vfs.ErrInjected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var armed bool
			seen := 0
			mem := vfs.NewMem()
			fsys := vfs.WithErrors(mem, func(op vfs.Op) error {
				if !armed || op.Kind != c.kind || !strings.Contains(op.Path, c.path) {
					return nil
				}
				if seen++; c.nth == 0 || seen == c.nth {
					return c.err
				}
				return nil
			})
			l, _, _, _ := mustOpen(t, fsys)
			defer func() { l.Close() }()
			g := newGen()
			acked := [][]byte{g.frame(1, 100), g.frame(2, 100), g.frame(3, 100)}
			hs1 := HardState{View: 1, LogView: 1, Commit: 1, Headers: headers(t, acked)}
			// The first Persist writes copy 1 (and syncs the directory for it).
			if c.kind == vfs.OpSyncDir {
				armed = true
			} else {
				mustPersist(t, l, Update{Entries: acked, HardStateChanged: true, HardState: hs1})
			}
			base := newModel()
			if !armed {
				base.ops = map[wire.Op][]byte{1: acked[0], 2: acked[1], 3: acked[2]}
				base.hs = hs1
			}
			seq := l.Sequence()
			g.view = 2
			u := Update{Truncate: true, TruncateOp: 1, Entries: [][]byte{g.frame(2, 500), g.frame(3, 500)},
				HardStateChanged: true, HardState: HardState{View: 2, LogView: 2, Commit: 1}}
			if armed {
				u = Update{Entries: acked, HardStateChanged: true, HardState: hs1}
			}
			armed = true
			err := l.Persist(u)
			if !errors.Is(err, vfs.ErrInjected) {
				t.Fatalf("Persist = %v, want the injected error", err)
			}
			if l.Sequence() != seq || !sameHardState(l.HardState(), base.hs) {
				t.Fatalf("after the failure the Log reports %s sequence %d", brief(l.HardState()), l.Sequence())
			}
			for _, opts := range []vfs.CrashOptions{{}, keepAll} {
				c2, hs, frames, _ := mustOpen(t, mem.CrashClone(opts))
				c2.Close()
				if !sameHardState(hs, base.hs) {
					t.Fatalf("after the failure, a crash shows hard state %s, want %s", brief(hs), brief(base.hs))
				}
				ok := false
				for k := 0; k <= records(&u); k++ {
					ok = ok || sameFrames(frames, base.apply(&u, k).frames())
				}
				if !ok {
					t.Fatalf("after the failure, a crash shows prepares %s", describe(frames))
				}
			}
			armed = false
			mustPersist(t, l, u)
			want := base.apply(&u, records(&u))
			c2, hs, frames, _ := mustOpen(t, mem.CrashClone(vfs.CrashOptions{}))
			c2.Close()
			if !sameHardState(hs, u.HardState) || !sameFrames(frames, want.frames()) {
				t.Fatalf("after the retry: %s, %s", brief(hs), describe(frames))
			}
		})
	}
}

// TestCrashWithFaults runs a seeded workload while one write in eight
// fails with ENOSPC after a random prefix and one fsync in eight fails,
// retrying each Persist until it succeeds, and crashes before every file
// system operation. Every crash must open without error and show: the
// acknowledged prepares, except those the Update in progress truncates,
// each either as acknowledged or as that Update rewrote it, and nothing
// else; the acknowledged hard state or the one in progress, the latter
// only with all of that Update's prepares.
func TestCrashWithFaults(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { crashWithFaults(t, seed) })
	}
}

func crashWithFaults(t *testing.T, seed uint64) {
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0xfa17))
	mem := vfs.NewMem()
	var (
		points []crashPoint
		cur    crashPoint
		faults bool
		failed int
	)
	fsys := vfs.WithErrors(mem, func(op vfs.Op) error {
		points = crashPoints(points, rng, mem, op, cur)
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
	cur.acked = newModel()
	l, _, _, _ := mustOpen(t, fsys)
	faults = true
	w := newWorkload(seed)
	for range 30 {
		u := w.next(t)
		cur.cur = &u
		for try := 0; ; try++ {
			err := l.Persist(u)
			if err == nil {
				break
			}
			if !errors.Is(err, vfs.ErrInjected) || try > 50 {
				t.Fatalf("Persist: %v (try %d)", err, try)
			}
		}
		cur.acked = cur.acked.apply(&u, records(&u))
		if u.HardStateChanged {
			cur.acked.hs = u.HardState
		}
		cur.seq = l.Sequence()
		cur.cur = nil
	}
	faults = false
	l.Close()
	if failed < 10 {
		t.Fatalf("only %d faults injected", failed)
	}
	for _, p := range points {
		checkFaultCrash(t, p)
	}
	t.Logf("%d crash points, %d faults", len(points), failed)
}

// checkFaultCrash checks one crash point of TestCrashWithFaults.
func checkFaultCrash(t *testing.T, p crashPoint) {
	t.Helper()
	l, hs, frames, rec, err := Open(p.fs, testDir)
	if err != nil {
		t.Fatalf("%s: Open: %v", p.at, err)
	}
	l.Close()
	got := map[wire.Op][]byte{}
	for _, f := range frames {
		got[wire.Op(leOp(f))] = f
	}
	var rewrote map[wire.Op][]byte
	if p.cur != nil {
		rewrote = written(p.cur)
	}
	for op, f := range got {
		if a, ok := p.acked.ops[op]; ok && string(a) == string(f) {
			continue
		}
		if r, ok := rewrote[op]; !ok || string(r) != string(f) {
			t.Fatalf("%s: op %d is neither acknowledged nor written by the Persist in progress", p.at, op)
		}
	}
	for op := range p.acked.ops {
		if _, ok := got[op]; !ok && (p.cur == nil || !p.cur.Truncate || op <= p.cur.TruncateOp) {
			t.Fatalf("%s: acknowledged op %d is gone", p.at, op)
		}
	}
	switch {
	case sameHardState(hs, p.acked.hs) && rec.Sequence == p.seq:
	case p.cur != nil && p.cur.HardStateChanged && sameHardState(hs, p.cur.HardState) && rec.Sequence == p.seq+1:
		if !sameFrames(frames, p.acked.apply(p.cur, records(p.cur)).frames()) {
			t.Fatalf("%s: the new hard state is durable without all of its prepares", p.at)
		}
	default:
		t.Fatalf("%s: hard state %s (sequence %d), want %s (sequence %d) or the one in progress",
			p.at, brief(hs), rec.Sequence, brief(p.acked.hs), p.seq)
	}
}

// written returns the prepares u writes, by op (the last one for an op).
func written(u *Update) map[wire.Op][]byte {
	out := map[wire.Op][]byte{}
	for _, f := range u.Entries {
		out[wire.Op(leOp(f))] = f
	}
	return out
}
