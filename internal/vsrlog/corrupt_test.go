package vsrlog

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/journal"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// rewrite replaces a file's durable contents with edit(old); a nil result
// removes the file.
func rewrite(t *testing.T, m *vfs.MemFS, name string, edit func([]byte) []byte) {
	t.Helper()
	name = path.Join(testDir, name)
	old, err := vfs.ReadFile(m, name)
	if err != nil {
		t.Fatal(err)
	}
	b := edit(old)
	if b == nil {
		if err := m.Remove(name); err != nil {
			t.Fatal(err)
		}
	} else if err := vfs.WriteFileSync(m, name, b); err != nil {
		t.Fatal(err)
	}
	if err := m.SyncDir(testDir); err != nil {
		t.Fatal(err)
	}
}

func flip(off int) func([]byte) []byte {
	return func(b []byte) []byte {
		b = append([]byte(nil), b...)
		b[(off+len(b))%len(b)] ^= 0x40
		return b
	}
}

func cut(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:n] } }

// threeStates persists hard states with sequences 1, 2, 3 (copy 1 holds
// 3, copy 0 holds 2) and returns them.
func threeStates(t *testing.T) (*vfs.MemFS, []HardState) {
	m := vfs.NewMem()
	l, _, _, _ := mustOpen(t, m)
	defer l.Close()
	g := newGen()
	f1 := g.frame(1, 50)
	mustPersist(t, l, Update{Entries: [][]byte{f1}})
	states := []HardState{{}, {View: 1, Commit: 1}, {View: 2, LogView: 2, Commit: 1, Headers: headers(t, [][]byte{f1})},
		{View: 3, LogView: 2, Commit: 1, Headers: headers(t, [][]byte{f1})}}
	for _, hs := range states[1:] {
		mustPersist(t, l, Update{HardStateChanged: true, HardState: hs})
	}
	return m, states
}

// TestTornSuperblockCopy damages one copy in several ways: Open serves
// the other, reports the damage, and the next write repairs the copy.
func TestTornSuperblockCopy(t *testing.T) {
	damages := map[string]func([]byte) []byte{
		"empty": cut(0), "half": cut(100), "fixed part only": cut(SuperblockFixed),
		"checksum": flip(0), "view": flip(33), "header": flip(-3), "magic": flip(9),
	}
	for name, damage := range damages {
		for copyIdx, wantSeq := range []int{3, 2} { // damaging copy 0 leaves 3; copy 1 leaves 2
			t.Run(name+"/copy"+string(rune('0'+copyIdx)), func(t *testing.T) {
				m, states := threeStates(t)
				rewrite(t, m, copyName(copyIdx), damage)
				l, hs, frames, rec := mustOpen(t, m)
				defer l.Close()
				if !sameHardState(hs, states[wantSeq]) || rec.Sequence != uint64(wantSeq) || rec.DamagedCopy == "" ||
					len(frames) != 1 {
					t.Fatalf("Open: %+v %+v, want sequence %d's %+v", hs, rec, wantSeq, states[wantSeq])
				}
				next := HardState{View: 9, LogView: 9, Commit: 1}
				mustPersist(t, l, Update{HardStateChanged: true, HardState: next})
				l2, hs, _, rec := mustOpen(t, m.CrashClone(vfs.CrashOptions{}))
				defer l2.Close()
				if !sameHardState(hs, next) || rec.DamagedCopy != "" {
					t.Fatalf("after a new write: %+v %+v", hs, rec)
				}
			})
		}
	}
}

// TestSuperblockCorrupt: no valid copy, or copies that no sequence of
// writes produces, is a marked corruption error.
func TestSuperblockCorrupt(t *testing.T) {
	encode := func(seq uint64, hs HardState) func([]byte) []byte {
		return func([]byte) []byte { return appendSuperblock(nil, seq, &hs, snapMeta{}) }
	}
	cases := map[string][2]func([]byte) []byte{
		"both damaged":      {flip(5), flip(40)},
		"both empty":        {cut(0), cut(0)},
		"copy 0 missing":    {func([]byte) []byte { return nil }, flip(40)},
		"wrong copy":        {encode(3, HardState{}), encode(2, HardState{})},
		"sequence gap":      {encode(6, HardState{}), encode(3, HardState{})},
		"newer lower view":  {encode(4, HardState{View: 1}), encode(3, HardState{View: 2})},
		"newer lower log_v": {encode(4, HardState{View: 3, LogView: 1}), encode(3, HardState{View: 2, LogView: 2})},
	}
	for name, edits := range cases {
		t.Run(name, func(t *testing.T) {
			m, _ := threeStates(t)
			rewrite(t, m, copyName(1), edits[1])
			rewrite(t, m, copyName(0), edits[0])
			_, _, _, _, err := Open(m, testDir)
			if !IsCorrupt(err) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want a corruption error", err)
			}
		})
	}
}

// TestMissingFiles: a journal without its superblock, or a superblock
// that was written without its journal, is corruption.
func TestMissingFiles(t *testing.T) {
	m, _ := threeStates(t)
	c := m.CrashClone(vfs.CrashOptions{})
	rewrite(t, c, JournalName, func([]byte) []byte { return nil })
	if _, _, _, _, err := Open(c, testDir); !IsCorrupt(err) {
		t.Fatalf("journal removed: Open = %v", err)
	}
	c = m.CrashClone(vfs.CrashOptions{})
	rewrite(t, c, JournalName, cut(journal.FileHeaderSize))
	if _, _, _, _, err := Open(c, testDir); !IsCorrupt(err) {
		t.Fatalf("journal emptied: Open = %v", err)
	}
	c = m.CrashClone(vfs.CrashOptions{})
	rewrite(t, c, copyName(0), func([]byte) []byte { return nil })
	rewrite(t, c, copyName(1), func([]byte) []byte { return nil })
	if _, _, _, _, err := Open(c, testDir); !IsCorrupt(err) || !strings.Contains(err.Error(), "superblock is missing") {
		t.Fatalf("superblock removed: Open = %v", err)
	}
}

// journalWith writes a journal file holding the given record payloads
// (each sealed by the journal layer, so only vsrlog's rules can refuse
// them) next to a valid superblock.
func journalWith(t *testing.T, payloads ...[]byte) *vfs.MemFS {
	t.Helper()
	m := vfs.NewMem()
	l, _, _, _ := mustOpen(t, m)
	l.Close()
	rewrite(t, m, JournalName, func([]byte) []byte { return nil })
	j, err := journal.Open(m, path.Join(testDir, JournalName), journal.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, p := range payloads {
		if _, err := j.Append(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestJournalRecordRules: records that pass the journal's checksum but
// break vsrlog's record rules are corruption, not skipped.
func TestJournalRecordRules(t *testing.T) {
	g := newGen()
	f1 := g.frame(1, 30)
	badBody := append([]byte(nil), f1...)
	badBody[len(badBody)-1] ^= 1
	base := appendRecord(nil, KindBase, 0, nil)
	reserved := appendRecord(nil, KindTruncate, 0, nil)
	reserved[3] = 1
	cases := map[string][][]byte{
		"first not base":     {appendRecord(nil, KindPrepare, 1, f1)},
		"second base":        {base, base},
		"unknown kind":       {base, appendRecord(nil, 9, 1, nil)},
		"short record":       {base, {KindTruncate, 0, 0}},
		"reserved bytes":     {base, reserved},
		"truncate with tail": {base, appendRecord(nil, KindTruncate, 1, []byte{1})},
		"op mismatch":        {base, appendRecord(nil, KindPrepare, 2, f1)},
		"body checksum":      {base, appendRecord(nil, KindPrepare, 1, badBody)},
		"cut frame":          {base, appendRecord(nil, KindPrepare, 1, f1[:len(f1)-1])},
		"header only":        {base, appendRecord(nil, KindPrepare, 1, f1[:wire.HeaderSize])},
		"at base":            {appendRecord(nil, KindBase, 1, nil), appendRecord(nil, KindPrepare, 1, f1)},
		"truncate below":     {appendRecord(nil, KindBase, 2, nil), appendRecord(nil, KindTruncate, 1, nil)},
	}
	for name, recs := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, _, _, err := Open(journalWith(t, recs...), testDir)
			if !IsCorrupt(err) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want a corruption error", err)
			}
		})
	}
	// The same file with valid records opens.
	l, _, frames, _ := mustOpen(t, journalWith(t, base, appendRecord(nil, KindPrepare, 1, f1)))
	l.Close()
	if len(frames) != 1 {
		t.Fatalf("%d prepares", len(frames))
	}
}

// TestJournalInteriorDamage: a damaged record followed by valid ones is
// corruption (marked by both packages), never a silent truncation.
func TestJournalInteriorDamage(t *testing.T) {
	m := vfs.NewMem()
	l, _, _, _ := mustOpen(t, m)
	g := newGen()
	for op := wire.Op(1); op <= 4; op++ {
		mustPersist(t, l, Update{Entries: [][]byte{g.frame(op, 200)}})
	}
	l.Close()
	rewrite(t, m, JournalName, flip(journal.FileHeaderSize+28+300)) // inside op 1's record
	_, _, _, _, err := Open(m, testDir)
	if !IsCorrupt(err) || !errors.Is(err, journal.ErrCorrupt) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want a corruption error", err)
	}
}

// TestTornJournalTail: a crash during the journal fsync that leaves part
// of the unsynced records loses them and reports the torn bytes; the
// acknowledged prepares and hard state are all there.
func TestTornJournalTail(t *testing.T) {
	m := vfs.NewMem()
	var torn *vfs.MemFS
	arm := false
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		if arm && op.Kind == vfs.OpSync && strings.HasSuffix(op.Path, JournalName) {
			torn = m.CrashClone(vfs.CrashOptions{KeepUnsynced: func(_ string, n int) int { return n - 7 }})
		}
		return nil
	})
	l, _, _, _ := mustOpen(t, fsys)
	defer l.Close()
	g := newGen()
	acked := [][]byte{g.frame(1, 100), g.frame(2, 100)}
	hs := HardState{View: 1, LogView: 1, Commit: 1, Headers: headers(t, acked)}
	mustPersist(t, l, Update{Entries: acked, HardStateChanged: true, HardState: hs})
	arm = true
	mustPersist(t, l, Update{Entries: [][]byte{g.frame(3, 100), g.frame(4, 100)}})
	l2, got, frames, rec := mustOpen(t, torn)
	defer l2.Close()
	if rec.TornBytes == 0 || !sameHardState(got, hs) || len(frames) < 2 || len(frames) > 3 ||
		!sameFrames(frames[:2], acked) {
		t.Fatalf("torn tail: %+v, %+v, %s", rec, got, describe(frames))
	}
}
