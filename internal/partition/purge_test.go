package partition

import (
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

func TestPurge(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{SegmentSize: 1024})
	for i := range 6 {
		mustAppend(t, p, makeBatch(t, uint64(i), 1, 400), 50)
	}
	key := ConsumerKey{Kind: wire.ConsumerGroup, ID: 3}
	if err := p.StoreOffset(key, 4, AckQuorum); err != nil {
		t.Fatal(err)
	}
	if err := p.Purge(0); err != nil {
		t.Fatal(err)
	}
	check := func(p *Partition) {
		t.Helper()
		if p.NextOffset() != 0 || p.Stats().Segments != 1 || len(pollAll(t, p)) != 0 {
			t.Fatalf("after purge: next %d, %+v", p.NextOffset(), p.Stats())
		}
		if _, ok := p.ConsumerOffset(key); ok {
			t.Fatal("purge kept a consumer offset")
		}
	}
	check(p)
	// Timestamps restart too: the new log is searchable from scratch.
	if r := mustAppend(t, p, makeBatch(t, 0, 2, 400), 10); r.BaseOffset != 0 || r.Timestamp != 10 {
		t.Fatalf("append after purge: %+v", r)
	}
	checkSequence(t, pollAll(t, p), 0, 400)
	p.Close()
	p = mustOpen(t, m, Config{SegmentSize: 1024})
	defer p.Close()
	if p.NextOffset() != 2 {
		t.Fatalf("next %d after reopen", p.NextOffset())
	}
}

// A crash anywhere inside Purge leaves the partition either untouched or
// purged, never in between.
func TestPurgeIsAtomic(t *testing.T) {
	m := vfs.NewMem()
	var hook func()
	fsys := vfs.WithErrors(m, func(vfs.Op) error {
		if hook != nil {
			hook()
		}
		return nil
	})
	p := mustOpen(t, fsys, Config{SegmentSize: 1024, EnforceFsync: true})
	for i := range 6 {
		mustAppend(t, p, makeBatch(t, uint64(i), 1, 400), 50)
	}
	key := ConsumerKey{Kind: wire.ConsumerSingle, ID: 1}
	if err := p.StoreOffset(key, 5, AckQuorum); err != nil {
		t.Fatal(err)
	}
	var states []*vfs.MemFS
	hook = func() { states = append(states, m.CrashClone(vfs.CrashOptions{})) }
	if err := p.Purge(0); err != nil {
		t.Fatal(err)
	}
	hook = nil
	p.Close()
	states = append(states, m.CrashClone(vfs.CrashOptions{}))
	purged := 0
	for i, s := range states {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			p := mustOpen(t, s, Config{SegmentSize: 1024})
			defer p.Close()
			ms := pollAll(t, p)
			off, ok := p.ConsumerOffset(key)
			switch {
			case len(ms) == 6 && ok && off == 5:
				checkSequence(t, ms, 0, 400)
			case len(ms) == 0 && !ok && p.NextOffset() == 0:
				purged++
			default:
				t.Fatalf("half purged: %d messages, offset %d %v", len(ms), off, ok)
			}
		})
	}
	if purged == 0 || purged == len(states) {
		t.Fatalf("%d of %d crash states purged", purged, len(states))
	}
}

// TestPurgeByOpIsIdempotent: a purge carries its metadata operation's
// number; the same purge applied again (after a crash, the metadata group
// re-applies what its durable commit point did not cover) does not delete
// what was appended since, also across a reopen, while a newer purge does.
func TestPurgeByOpIsIdempotent(t *testing.T) {
	fsys := vfs.NewMem()
	p := mustOpen(t, fsys, Config{})
	k := uint64(0)
	appendN := func(n int) {
		t.Helper()
		for range n {
			mustAppend(t, p, makeBatch(t, k, 1, 100), 50)
			k++
		}
	}
	appendN(3)
	if err := p.Purge(7); err != nil {
		t.Fatal(err)
	}
	appendN(2)
	if err := p.Purge(7); err != nil {
		t.Fatal(err)
	}
	if p.NextOffset() != 2 {
		t.Fatalf("next offset %d after the same purge again, want 2", p.NextOffset())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p = mustOpen(t, fsys, Config{})
	defer p.Close()
	if p.PurgedAt() != 7 || p.NextOffset() != 2 {
		t.Fatalf("after reopen: purged at %d, next %d; want 7, 2", p.PurgedAt(), p.NextOffset())
	}
	if err := p.Purge(5); err != nil || p.NextOffset() != 2 {
		t.Fatalf("an older purge changed the partition: next %d, %v", p.NextOffset(), err)
	}
	if err := p.Purge(9); err != nil || p.NextOffset() != 0 || p.PurgedAt() != 9 {
		t.Fatalf("a newer purge: next %d, purged at %d, %v", p.NextOffset(), p.PurgedAt(), err)
	}
}
