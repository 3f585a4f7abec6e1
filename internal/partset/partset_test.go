package partset

import (
	"path"
	"testing"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// state commits ops into a fresh store and returns the results.
func state(t *testing.T, ops ...metadata.Op) (*metadata.State, []metadata.Result) {
	t.Helper()
	s, err := metadata.NewStore(nil, metadata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rs []metadata.Result
	var st *metadata.State
	for i, o := range ops {
		var r metadata.Result
		r, st = s.Commit(uint64(i+1), metadata.Encode(o))
		if !r.OK() {
			t.Fatalf("op %d %T: status %v", i+1, o, r.Status)
		}
		rs = append(rs, r)
	}
	return st, rs
}

// TestEffects runs a topic's life through a Set: creation applied twice
// opens what is there, a purge applied again is not repeated, a drop
// removes the directory, and Sweep removes what the state lost.
func TestEffects(t *testing.T) {
	s1, t1 := wire.NumericID(0), wire.NumericID(0)
	st, rs := state(t,
		metadata.CreateStream{Name: "s"},
		metadata.CreateTopic{Stream: s1, Partitions: 2, Shards: 1, Name: "t"},
		metadata.PurgeTopic{Stream: s1, Topic: t1},
		metadata.DeletePartitions{Stream: s1, Topic: t1, Count: 1},
	)
	fsys := vfs.NewMem()
	set := New(fsys, "data")
	apply := func(op uint64) {
		c, rest := Tasks(rs[op-1].Effects)
		for _, task := range append(c, rest...) {
			if _, err := set.Do(op, task); err != nil {
				t.Fatalf("op %d %v: %v", op, task.Kind, err)
			}
		}
	}
	apply(2)
	if c, _ := Tasks(rs[1].Effects); len(c) != 2 {
		t.Fatalf("%d creation tasks, want 2", len(c))
	}
	apply(2) // again: opens
	apply(3)
	p := set.Get(Key{0, 0, 0})
	if p == nil || p.PurgedAt() != 3 {
		t.Fatalf("partition after purge: %v", p)
	}
	apply(3)
	if p.PurgedAt() != 3 {
		t.Fatalf("purged at %d", p.PurgedAt())
	}
	apply(4)
	if _, err := fsys.Stat(set.Dir(Key{0, 0, 1})); err == nil {
		t.Fatal("dropped partition still on disk")
	}
	if n := len(Partitions(st)); n != 1 {
		t.Fatalf("%d partitions in the state, want 1", n)
	}
	if err := fsys.MkdirAll(path.Join(set.Dir(Key{9, 1, 0})), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := fsys.MkdirAll(path.Join(set.Dir(Key{0, 5, 0})), 0o700); err != nil {
		t.Fatal(err)
	}
	set.CloseAll(func(k Key, err error) { t.Errorf("close %v: %v", k, err) })
	if err := Sweep(fsys, "data", st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{{9, 1, 0}, {0, 5, 0}} {
		if _, err := fsys.Stat(set.Dir(k)); err == nil {
			t.Errorf("orphan %v not swept", k)
		}
	}
	if _, err := fsys.Stat(set.Dir(Key{0, 0, 0})); err != nil {
		t.Errorf("live partition swept: %v", err)
	}
	if !SweepAllowed(5, 5, 5) || SweepAllowed(4, 5, 4) || SweepAllowed(5, 5, 6) {
		t.Error("SweepAllowed")
	}
}

// TestBoot checks the effects record's life (InitDone writes 0 once;
// Boot records the commit point only where there was no record) and that
// Boot opens only the partitions present on disk.
func TestBoot(t *testing.T) {
	st, _ := state(t,
		metadata.CreateStream{Name: "s"},
		metadata.CreateTopic{Stream: wire.NumericID(0), Partitions: 2, Shards: 1, Name: "t"},
	)
	fsys := vfs.NewMem()
	if _, ok := LoadDone(fsys, "data"); ok {
		t.Fatal("a record in an empty directory")
	}
	if err := InitDone(fsys, "data"); err != nil {
		t.Fatal(err)
	}
	if err := StoreDone(fsys, "data", 7); err != nil {
		t.Fatal(err)
	}
	if err := InitDone(fsys, "data"); err != nil {
		t.Fatal(err)
	}
	set := New(fsys, "data")
	if _, err := set.Ensure(Key{0, 0, 1}, Config(metadata.TopicOptions{})); err != nil {
		t.Fatal(err)
	}
	var opened []Key
	swept, err := Boot(fsys, "data", st, 2, 3, func(ts []Task) {
		for _, task := range ts {
			opened = append(opened, task.Key)
		}
	})
	if err != nil || swept {
		t.Fatalf("Boot: swept %v, %v", swept, err)
	}
	if len(opened) != 1 || opened[0] != (Key{0, 0, 1}) {
		t.Fatalf("Boot opened %v, want only the partition on disk", opened)
	}
	if done, ok := LoadDone(fsys, "data"); !ok || done != 7 {
		t.Fatalf("record %d, %v after Boot, want 7 kept", done, ok)
	}
	legacy := vfs.NewMem()
	if _, err := Boot(legacy, "data", st, 2, 2, func([]Task) {}); err != nil {
		t.Fatal(err)
	}
	if done, ok := LoadDone(legacy, "data"); !ok || done != 2 {
		t.Fatalf("legacy record %d, %v, want the commit point 2", done, ok)
	}
	set.CloseAll(nil)
}

// TestDoneRecord: the effects record keeps the last whole, valid record:
// appends, a torn append (crash mid-write) and a damaged record fall back
// to the one before, and a full file is rewritten with one record.
func TestDoneRecord(t *testing.T) {
	mem := vfs.NewMem()
	const dir = "data"
	if _, ok := LoadDone(mem, dir); ok {
		t.Fatal("a record before any was stored")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(InitDone(mem, dir))
	for op := uint64(1); op <= 5; op++ {
		must(StoreDone(mem, dir, op))
	}
	if op, ok := LoadDone(mem, dir); !ok || op != 5 {
		t.Fatalf("after 5 stores: %d %v", op, ok)
	}
	// A crash in the middle of the next append keeps a prefix of it.
	f, err := mem.OpenReadWrite(path.Join(dir, DoneFile))
	must(err)
	_, err = f.Write(doneBytes(6))
	must(err)
	for keep := range doneRecord {
		torn := mem.CrashClone(vfs.CrashOptions{KeepUnsynced: func(string, int) int { return keep }})
		if op, ok := LoadDone(torn, dir); !ok || op != 5 {
			t.Fatalf("torn append keeping %d bytes: %d %v, want 5", keep, op, ok)
		}
	}
	must(f.Sync())
	must(f.Close())
	if op, _ := LoadDone(mem, dir); op != 6 {
		t.Fatalf("after the synced append: %d", op)
	}
	// A damaged last record: the one before counts.
	b, err := vfs.ReadFile(mem, path.Join(dir, DoneFile))
	must(err)
	b[len(b)-1] ^= 1
	must(vfs.WriteFileSync(mem, path.Join(dir, DoneFile), b))
	if op, _ := LoadDone(mem, dir); op != 5 {
		t.Fatalf("damaged last record: %d, want 5", op)
	}
	// Full: rewritten with one record.
	for op := uint64(7); op < 7+doneCompact/doneRecord; op++ {
		must(StoreDone(mem, dir, op))
	}
	fi, err := mem.Stat(path.Join(dir, DoneFile))
	must(err)
	if fi.Size() >= doneCompact {
		t.Fatalf("record file of %d bytes was not compacted", fi.Size())
	}
	if op, _ := LoadDone(mem, dir); op != 6+doneCompact/doneRecord {
		t.Fatalf("after compaction: %d", op)
	}
}
