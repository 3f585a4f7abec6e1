package vsrlog

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// The hard state converts to and from vsr.HardState: the fields must stay
// identical (doc.go, "Goroutines and imports").
var (
	_ = vsr.HardState(HardState{})
	_ = HardState(vsr.HardState{})
)

// TestRoundTrip persists prepares (in and out of op order), truncations
// and hard states, and checks that every reopen returns exactly them.
func TestRoundTrip(t *testing.T) {
	m := vfs.NewMem()
	l, hs, frames, rec := mustOpen(t, m)
	if !rec.Fresh || len(frames) != 0 || !sameHardState(hs, HardState{}) || rec.Sequence != 0 {
		t.Fatalf("fresh open: %+v %+v %d frames", rec, hs, len(frames))
	}
	g := newGen()
	want := newModel()
	// Each step persists, closes, and reopens a crash clone of the disk,
	// which the next step writes to: only durable state carries over.
	cur := m
	step := func(u Update) {
		t.Helper()
		mustPersist(t, l, u)
		want = want.apply(&u, records(&u))
		if u.HardStateChanged {
			want.hs = u.HardState
		}
		seq := l.Sequence()
		l.Close()
		cur = cur.CrashClone(vfs.CrashOptions{})
		var rec Recovery
		l, hs, frames, rec = mustOpen(t, cur)
		if !sameFrames(frames, want.frames()) {
			t.Fatalf("reopen: prepares %s, want %s", describe(frames), describe(want.frames()))
		}
		if !sameHardState(hs, want.hs) || rec.Sequence != seq || rec.Fresh || rec.Prepares != len(frames) {
			t.Fatalf("reopen: hard state %+v seq %d (%+v), want %+v seq %d", hs, rec.Sequence, rec, want.hs, seq)
		}
	}
	defer func() { l.Close() }()

	var log1 [][]byte
	for op := wire.Op(1); op <= 5; op++ {
		log1 = append(log1, g.frame(op, 100*int(op)))
	}
	step(Update{Entries: log1, HardStateChanged: true, HardState: HardState{Commit: 3}})
	// Out of op order: 7 before the repaired 6.
	f7 := g.frame(7, 10)
	step(Update{Entries: [][]byte{f7}})
	f6 := g.frame(6, 10)
	step(Update{Entries: [][]byte{f6}, HardStateChanged: true, HardState: HardState{View: 2, Commit: 5}})
	// A view change: truncate above 4, a new suffix, view headers.
	g.view = 3
	f5, f6b := g.frame(5, 7), g.frame(6, 8)
	hdrs := []wire.PrepareHeader{headerOf(t, log1[3]), headerOf(t, f5), headerOf(t, f6b)}
	step(Update{Truncate: true, TruncateOp: 4, Entries: [][]byte{f5, f6b},
		HardStateChanged: true, HardState: HardState{View: 3, LogView: 3, Commit: 4, Headers: hdrs}})
	// A truncation alone, then a hard state alone (commit may go down: vsr
	// clamps its commit hint on restart).
	step(Update{Truncate: true, TruncateOp: 5})
	step(Update{HardStateChanged: true, HardState: HardState{View: 4, LogView: 3, Commit: 2, Headers: hdrs}})
	// Writing the same prepare twice is idempotent (a retried Persist).
	f6c := g.frame(6, 9)
	step(Update{Entries: [][]byte{f6c, f6c}})
	if len(frames) != 6 {
		t.Fatalf("%d prepares at the end, want 6", len(frames))
	}
}

// TestRecoveryReport checks the Recovery fields of a reopen.
func TestRecoveryReport(t *testing.T) {
	m := vfs.NewMem()
	l, _, _, _ := mustOpen(t, m)
	g := newGen()
	mustPersist(t, l, Update{Entries: [][]byte{g.frame(1, 10), g.frame(2, 10)}})
	mustPersist(t, l, Update{Truncate: true, TruncateOp: 1, Entries: [][]byte{g.frame(2, 20)}})
	for range 3 {
		mustPersist(t, l, Update{HardStateChanged: true, HardState: HardState{View: 1}})
	}
	l.Close()
	l, _, frames, rec := mustOpen(t, m)
	defer l.Close()
	want := Recovery{Prepares: 2, Records: 5, Truncations: 1, Sequence: 3, Copy: 1}
	if rec != want || len(frames) != 2 {
		t.Fatalf("recovery %+v, want %+v", rec, want)
	}
}

// TestFreshOnlyOnCreation: only the Open that creates the Log reports
// Fresh; a reopen does not, even with nothing stored, since a replica may
// have run and sent prepares before any of its writes became durable.
func TestFreshOnlyOnCreation(t *testing.T) {
	m := vfs.NewMem()
	l, _, _, rec := mustOpen(t, m)
	if !rec.Fresh {
		t.Fatal("new directory is not fresh")
	}
	l.Close()
	l, _, _, rec = mustOpen(t, m.CrashClone(vfs.CrashOptions{}))
	defer l.Close()
	if rec.Fresh {
		t.Fatal("reopened Log is fresh")
	}
}

// TestPersistContract checks that Persist panics on caller bugs before it
// writes anything (the superblock never goes back: View and LogView never
// decrease, LogView <= View).
func TestPersistContract(t *testing.T) {
	g := newGen()
	good := g.frame(1, 10)
	bad := g.frame(2, 10)
	bad[len(bad)-1] ^= 1 // body checksum no longer matches
	h1 := headerOf(t, good)
	h1bad := h1
	h1bad.Commit++ // identity no longer matches
	cases := []struct {
		name string
		u    Update
	}{
		{"view goes back", Update{HardStateChanged: true, HardState: HardState{View: 4, LogView: 5}}},
		{"view lowered", Update{HardStateChanged: true, HardState: HardState{View: 4, LogView: 4}}},
		{"log_view lowered", Update{HardStateChanged: true, HardState: HardState{View: 6, LogView: 4}}},
		{"log_view above view", Update{HardStateChanged: true, HardState: HardState{View: 6, LogView: 7}}},
		{"too many headers", Update{HardStateChanged: true, HardState: HardState{View: 5, LogView: 5,
			Headers: make([]wire.PrepareHeader, 129)}}},
		{"header identity", Update{HardStateChanged: true, HardState: HardState{View: 5, LogView: 5,
			Headers: []wire.PrepareHeader{h1bad}}}},
		{"headers out of order", Update{HardStateChanged: true, HardState: HardState{View: 5, LogView: 5,
			Headers: []wire.PrepareHeader{h1, h1}}}},
		{"bad prepare", Update{Entries: [][]byte{good, bad}}},
		{"short prepare", Update{Entries: [][]byte{good[:100]}}},
		{"cut prepare", Update{Entries: [][]byte{good[:len(good)-1]}}},
	}
	m := vfs.NewMem()
	l, _, _, _ := mustOpen(t, m)
	mustPersist(t, l, Update{HardStateChanged: true, HardState: HardState{View: 5, LogView: 5, Commit: 9}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.HasPrefix(r.(string), "vsrlog: ") {
						t.Fatalf("Persist did not panic with a vsrlog message: %v", r)
					}
				}()
				l.Persist(c.u)
			}()
			c2, hs, frames, _ := mustOpen(t, m.CrashClone(vfs.CrashOptions{KeepUnsynced: func(_ string, n int) int { return n }}))
			defer c2.Close()
			if hs.View != 5 || hs.LogView != 5 || hs.Commit != 9 || len(frames) != 0 {
				t.Fatalf("after the refused Persist: %+v, %d prepares", hs, len(frames))
			}
		})
	}
	l.Close()
}

// TestClosed checks calls after Close.
func TestClosed(t *testing.T) {
	l, _, _, _ := mustOpen(t, vfs.NewMem())
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Persist(Update{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Persist after Close = %v", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
}

// TestLayout checks the file names the package doc promises.
func TestLayout(t *testing.T) {
	m := vfs.NewMem()
	l, _, _, _ := mustOpen(t, m)
	mustPersist(t, l, Update{HardStateChanged: true, HardState: HardState{View: 1}})
	l.Close()
	names, err := m.CrashClone(vfs.CrashOptions{}).List(testDir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, " ") != "prepares.jnl superblock.0 superblock.1" {
		t.Fatalf("durable files %v", names)
	}
	if _, err := m.Stat(path.Join(testDir, JournalName)); err != nil {
		t.Fatal(err)
	}
}
