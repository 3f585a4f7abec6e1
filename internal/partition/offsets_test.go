package partition

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// wire.md §4.2 tests 4 and 8 and §3.5: stores at ack 0 and 1 are both
// visible to the next read; Iggy's range checks and not-found status.
func TestConsumerOffsets(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{})
	c := ConsumerKey{Kind: wire.ConsumerSingle, ID: 0}
	g := ConsumerKey{Kind: wire.ConsumerGroup, ID: 0}

	if err := p.StoreOffset(c, 0, AckQuorum); StatusOf(err) != wire.StatusInvalidOffset {
		t.Fatalf("store on an empty partition: %v", err)
	}
	if b := p.AppendConsumerOffset(nil, c); len(b) != 0 {
		t.Fatalf("offset reply without an offset: %x", b)
	}
	mustAppend(t, p, makeBatch(t, 0, 5, 0), 1)
	if err := p.StoreOffset(c, 5, AckQuorum); StatusOf(err) != wire.StatusInvalidOffset {
		t.Fatalf("store past the current offset: %v", err)
	}
	if err := p.StoreOffset(c, 1, 2); StatusOf(err) != wire.StatusInvalidFormat {
		t.Fatalf("ack level 2: %v", err)
	}
	if err := p.StoreOffset(c, 2, AckQuorum); err != nil {
		t.Fatal(err)
	}
	if off, ok := p.ConsumerOffset(c); !ok || off != 2 {
		t.Fatalf("after ack 1: %d %v", off, ok)
	}
	if err := p.StoreOffset(c, 4, AckNone); err != nil {
		t.Fatal(err)
	}
	if off, ok := p.ConsumerOffset(c); !ok || off != 4 {
		t.Fatalf("after ack 0: %d %v", off, ok)
	}
	if _, ok := p.ConsumerOffset(g); ok {
		t.Fatal("a group shares a consumer's offset")
	}
	b := p.AppendConsumerOffset(nil, c)
	if len(b) != 20 || binary.LittleEndian.Uint32(b) != 1 || binary.LittleEndian.Uint64(b[4:]) != 4 || binary.LittleEndian.Uint64(b[12:]) != 4 {
		t.Fatalf("offset reply %x", b)
	}
	if err := p.StoreOffset(g, 3, AckQuorum); err != nil {
		t.Fatal(err)
	}

	// The ack-1 store of g is durable; c's ack-0 store was synced along with
	// it (one log), so both survive a crash.
	m.Crash(vfs.CrashOptions{})
	p.Close()
	p = mustOpen(t, m, Config{})
	if off, _ := p.ConsumerOffset(c); off != 4 {
		t.Fatalf("consumer offset %d after crash", off)
	}
	if off, _ := p.ConsumerOffset(g); off != 3 {
		t.Fatalf("group offset %d after crash", off)
	}
	if err := p.DeleteOffset(c, AckQuorum); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteOffset(c, AckQuorum); StatusOf(err) != wire.StatusConsumerOffsetNotFound {
		t.Fatalf("second delete: %v", err)
	}
	if err := p.DeleteOffset(g, 7); StatusOf(err) != wire.StatusInvalidFormat {
		t.Fatalf("ack level 7: %v", err)
	}
	p.Close()
	p = mustOpen(t, m, Config{})
	defer p.Close()
	if _, ok := p.ConsumerOffset(c); ok {
		t.Fatal("deleted offset came back")
	}
	if off, _ := p.ConsumerOffset(g); off != 3 {
		t.Fatalf("group offset %d after reopen", off)
	}
}

// An ack-0 store alone is not synced: a crash may lose it, never an ack-1
// store before it.
func TestNoAckOffsetMayBeLost(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{})
	mustAppend(t, p, makeBatch(t, 0, 5, 0), 1)
	p.Sync()
	c := ConsumerKey{Kind: wire.ConsumerSingle, ID: 9}
	if err := p.StoreOffset(c, 1, AckQuorum); err != nil {
		t.Fatal(err)
	}
	if err := p.StoreOffset(c, 3, AckNone); err != nil {
		t.Fatal(err)
	}
	m.Crash(vfs.CrashOptions{})
	p.Close()
	p = mustOpen(t, m, Config{})
	defer p.Close()
	if off, _ := p.ConsumerOffset(c); off != 1 {
		t.Fatalf("offset %d after crash, want the acknowledged 1", off)
	}
}

// The offsets log is rewritten when it grows far past its live contents,
// and the rewrite loses nothing, even across a crash right after it.
func TestOffsetsCompaction(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{})
	mustAppend(t, p, makeBatch(t, 0, 100, 0), 1)
	p.Sync()
	for i := range 3 * compactMinRecords {
		k := ConsumerKey{Kind: wire.ConsumerKind(1 + i%2), ID: uint32(i % 5)}
		if err := p.StoreOffset(k, uint64(i%100), AckQuorum); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.offsets.j.Len(); n >= compactMinRecords {
		t.Fatalf("offsets log holds %d records: never compacted", n)
	}
	want := map[ConsumerKey]uint64{}
	for k, v := range p.offsets.m {
		want[k] = v
	}
	m.Crash(vfs.CrashOptions{})
	p.Close()
	p = mustOpen(t, m, Config{})
	defer p.Close()
	if len(p.offsets.m) != len(want) {
		t.Fatalf("%d offsets after crash, want %d", len(p.offsets.m), len(want))
	}
	for k, v := range want {
		if got, _ := p.ConsumerOffset(k); got != v {
			t.Fatalf("%v: %d, want %d", k, got, v)
		}
	}
	if _, err := m.Stat(testDir + "/" + offsetsFile + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
}

// A consumer-offset store that fails (a full disk) is not visible: the
// previous offset stays, and stores work again once space returns.
func TestStoreOffsetFailureKeepsPrevious(t *testing.T) {
	var disk vfs.Switch
	p := mustOpen(t, vfs.WithErrors(vfs.NewMem(), disk.Inject), Config{})
	defer p.Close()
	mustAppend(t, p, makeBatch(t, 0, 10, 0), 1)
	c := ConsumerKey{Kind: wire.ConsumerSingle, ID: 3}
	g := ConsumerKey{Kind: wire.ConsumerGroup, ID: 3}
	if err := p.StoreOffset(c, 2, AckQuorum); err != nil {
		t.Fatal(err)
	}
	disk.Set(vfs.OpWrite, vfs.ErrNoSpace)
	for _, ack := range []AckLevel{AckNone, AckQuorum} {
		if err := p.StoreOffset(c, 7, ack); !errors.Is(err, vfs.ErrNoSpace) {
			t.Fatalf("store on a full disk = %v", err)
		}
		if err := p.StoreOffset(g, 7, ack); err == nil {
			t.Fatal("store of a new key on a full disk succeeded")
		}
		if err := p.DeleteOffset(c, ack); err == nil {
			t.Fatal("delete on a full disk succeeded")
		}
		if off, ok := p.ConsumerOffset(c); !ok || off != 2 {
			t.Fatalf("after failed stores: %d %v, want the stored 2", off, ok)
		}
		if _, ok := p.ConsumerOffset(g); ok {
			t.Fatal("a failed store of a new key is visible")
		}
	}
	disk.Clear()
	if err := p.StoreOffset(c, 7, AckQuorum); err != nil {
		t.Fatalf("store once space returned: %v", err)
	}
}

// A compaction of the offsets log that fails at any step keeps the store
// working and loses nothing: stores before and after it survive a crash.
func TestOffsetsCompactionFaults(t *testing.T) {
	tmp := testDir + "/offsets.log.tmp"
	for _, tc := range []struct {
		name string
		nth  int // the nth operation the filter accepts fails
		hit  func(op vfs.Op) bool
	}{
		{"create temporary", 1, func(op vfs.Op) bool { return op.Kind == vfs.OpOpenReadWrite && op.Path == tmp }},
		{"write temporary", 1, func(op vfs.Op) bool { return op.Kind == vfs.OpWrite && op.Path == tmp }},
		{"sync temporary", 2, func(op vfs.Op) bool { return op.Kind == vfs.OpSync && op.Path == tmp }},
		{"rename", 1, func(op vfs.Op) bool { return op.Kind == vfs.OpRename }},
		{"directory sync after rename", 2, func(op vfs.Op) bool { return op.Kind == vfs.OpSyncDir && op.Path == testDir }},
		{"reopen", 1, func(op vfs.Op) bool { return op.Kind == vfs.OpOpenReadWrite && op.Path == testDir+"/offsets.log" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := vfs.NewMem()
			armed, seen, hit := false, 0, false
			p := mustOpen(t, vfs.WithErrors(m, func(op vfs.Op) error {
				if armed && tc.hit(op) {
					if seen++; seen == tc.nth {
						hit = true
						return vfs.ErrNoSpace
					}
				}
				return nil
			}), Config{})
			defer p.Close()
			mustAppend(t, p, makeBatch(t, 0, 100, 0), 1)
			k := ConsumerKey{Kind: wire.ConsumerSingle, ID: 1}
			for i := range compactMinRecords - 1 {
				if err := p.StoreOffset(k, uint64(i%50), AckNone); err != nil {
					t.Fatal(err)
				}
			}
			armed = true
			if err := p.StoreOffset(k, 60, AckQuorum); err != nil { // compacts, and the fault hits
				t.Fatalf("store whose compaction failed: %v", err)
			}
			if !hit {
				t.Fatal("the fault was not hit")
			}
			if err := p.StoreOffset(k, 61, AckQuorum); err != nil {
				t.Fatalf("store after a failed compaction: %v", err)
			}
			for _, fs := range []vfs.FS{m.CrashClone(vfs.CrashOptions{})} {
				q := mustOpen(t, fs, Config{})
				off, ok := q.ConsumerOffset(k)
				q.Close()
				if !ok || off != 61 {
					t.Fatalf("after a crash: offset %d %v, want 61", off, ok)
				}
			}
			if off, _ := p.ConsumerOffset(k); off != 61 {
				t.Fatalf("offset %d", off)
			}
		})
	}
}
