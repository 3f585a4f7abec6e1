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
