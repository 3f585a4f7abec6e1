package partition

import (
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
)

// sealedPartition writes batches of 2 × 300-byte messages until dir holds
// at least sealed sealed segments, and closes it; it returns the messages
// written.
func sealedPartition(t testing.TB, fsys vfs.FS, dir string, id uint32, sealed int) uint64 {
	t.Helper()
	p, err := Open(fsys, dir, id, Config{SegmentSize: 2048, EnforceFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; p.Stats().Segments <= uint32(sealed); i++ {
		if _, err := p.Append(makeBatch(t, p.NextOffset(), 2, 300), uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	n := p.NextOffset()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue #15 item 9: an idle partition holds only its active segment's log
// and its offsets log open; sealed segments are opened on demand through
// the shared FileCache, which never holds more than its limit, and Close
// gives every descriptor back.
func TestIdlePartitionFiles(t *testing.T) {
	lim := vfs.WithOpenLimit(vfs.NewMem(), 1000)
	n := sealedPartition(t, lim, testDir, 1, 5)
	cache := NewFileCache(2)
	cfg := Config{SegmentSize: 2048, FileCache: cache}
	p := mustOpen(t, lim, cfg)
	check := func(when string) {
		t.Helper()
		if open := cache.Open(); open > 2 || lim.InUse()-open != 2 {
			t.Fatalf("%s: %d files open, %d of them sealed segments in the cache (limit 2)", when, lim.InUse(), open)
		}
	}
	check("after Open")
	ms := pollAll(t, p)
	if uint64(len(ms)) != n {
		t.Fatalf("%d messages, want %d", len(ms), n)
	}
	checkSequence(t, ms, 0, 300)
	check("after reading every segment")
	mustAppend(t, p, makeBatch(t, n, 40, 300), 1) // rolls over: one more sealed
	checkSequence(t, pollAll(t, p), 0, 300)
	check("after a roll-over")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if lim.InUse() != 0 || cache.Open() != 0 {
		t.Fatalf("after Close: %d files open, %d in the cache", lim.InUse(), cache.Open())
	}
}

// Issue #15 item 9: a server with many partitions restarts under a file
// descriptor limit that their sealed segments alone would exceed, and
// serves every message.
func TestRestartUnderFileLimit(t *testing.T) {
	const parts, sealed = 40, 4
	m := vfs.NewMem()
	dirs := make([]string, parts)
	want := make([]uint64, parts)
	for i := range parts {
		dirs[i] = Dir("data", 1, 1, uint32(i))
		want[i] = sealedPartition(t, m, dirs[i], uint32(i), sealed)
	}
	// Each partition may hold its active log and offsets log; 8 more for
	// the shared cache of sealed segments. Without the cache this needs
	// parts × (sealed + 3) descriptors.
	lim := vfs.WithOpenLimit(m, 2*parts+8)
	cfg := Config{SegmentSize: 2048, FileCache: NewFileCache(8)}
	ps := make([]*Partition, parts)
	for i := range parts {
		p, err := Open(lim, dirs[i], uint32(i), cfg)
		if err != nil {
			t.Fatalf("restart of partition %d of %d under a limit of %d files: %v", i, parts, 2*parts+8, err)
		}
		defer p.Close()
		ps[i] = p
	}
	for round := range 2 {
		for i, p := range ps {
			ms := pollAll(t, p)
			if uint64(len(ms)) != want[i] {
				t.Fatalf("round %d, partition %d: %d messages, want %d", round, i, len(ms), want[i])
			}
			checkSequence(t, ms, 0, 300)
		}
	}
	if peak := lim.Peak(); peak > 2*parts+8 {
		t.Fatalf("peak %d files", peak)
	}
	t.Logf("peak %d open files for %d partitions of %d segments", lim.Peak(), parts, sealed+1)
}

func BenchmarkReadSealedThroughCache(b *testing.B) {
	for _, limit := range []int{1, 64} {
		b.Run(fmt.Sprint("limit=", limit), func(b *testing.B) {
			m := vfs.NewMem()
			sealedPartition(b, m, testDir, 1, 8)
			p, err := Open(m, testDir, 1, Config{SegmentSize: 2048, FileCache: NewFileCache(limit)})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			var buf []byte
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				buf, _, err = p.Read(buf[:0], uint64(i%16)*2, 2)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Partitions on different shards share one FileCache: each reads its own
// sealed segments from its own goroutine (S5) while the others' reads
// evict files; a file being read is never closed under it.
func TestFileCacheShared(t *testing.T) {
	const parts = 4
	m := vfs.NewMem()
	cache := NewFileCache(2)
	ps := make([]*Partition, parts)
	want := make([]uint64, parts)
	for i := range ps {
		dir := Dir("data", 1, 1, uint32(i))
		want[i] = sealedPartition(t, m, dir, uint32(i), 3)
		p, err := Open(m, dir, uint32(i), Config{SegmentSize: 2048, FileCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = p
	}
	errs := make(chan error, parts)
	for i, p := range ps {
		go func() {
			for range 50 {
				_, n, err := p.Read(nil, 0, ^uint32(0))
				if err == nil && uint64(n) != want[i] {
					err = fmt.Errorf("partition %d: %d messages, want %d", i, n, want[i])
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range parts {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := cache.Open(); n > 2 {
		t.Fatalf("cache holds %d files, limit 2", n)
	}
	for _, p := range ps {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := cache.Open(); n != 0 {
		t.Fatalf("cache holds %d files after every partition closed", n)
	}
}
