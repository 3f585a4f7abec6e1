package partition

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// corruptBase writes six synced batches of 3 messages into one active
// segment and returns the file system, the log's name and the byte
// position of every batch.
func corruptBase(t *testing.T) (*vfs.MemFS, string, []int64) {
	t.Helper()
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{EnforceFsync: true})
	var pos []int64
	for i := range 6 {
		pos = append(pos, int64(p.Stats().SizeBytes))
		mustAppend(t, p, makeBatch(t, uint64(3*i), 3, 200), uint64(i))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return m, testDir + "/00000000000000000000.log", pos
}

// Issue #15 item 7: damage inside the active segment, with valid batches
// after it, is corruption: Open fails with a marked error naming the file
// and the damaged batch's position, and truncates nothing, so the
// acknowledged batches after the damage are still on disk for the
// operator. Opening again fails the same way.
func TestInnerCorruptionStopsPartition(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(b []byte, pos []int64) []byte
	}{
		{"payload bit flip", func(b []byte, pos []int64) []byte { b[pos[2]+wire.BatchHeaderSize+100] ^= 0x04; return b }},
		{"base offset bit flip", func(b []byte, pos []int64) []byte { b[pos[2]+8] ^= 0x01; return b }},
		{"batch length bit flip", func(b []byte, pos []int64) []byte { b[pos[2]+33] ^= 0x10; return b }},
		{"zeroed page", func(b []byte, pos []int64) []byte { clear(b[pos[2]+10 : pos[3]+20]); return b }},
		{"bytes lost mid-file", func(b []byte, pos []int64) []byte { return slices.Delete(b, int(pos[2]+50), int(pos[2]+90)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, log, pos := corruptBase(t)
			rewrite(t, m, log, func(b []byte) []byte { return tc.edit(b, pos) })
			before, _ := vfs.ReadFile(m, log)
			for range 2 {
				p, err := Open(m, testDir, 1, Config{})
				if err == nil {
					p.Close()
					t.Fatalf("Open served a partition with damage inside its log (next offset %d)", p.NextOffset())
				}
				if !IsCorrupt(err) || !errors.Is(err, ErrCorrupt) || StatusOf(err) != wire.StatusCannotReadPartitions {
					t.Fatalf("Open = %v (status %v), want a corruption error", err, StatusOf(err))
				}
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Path != log || ce.Offset != pos[2] {
					t.Fatalf("error %v: want a *CorruptError for %s at %d", err, log, pos[2])
				}
				if after, _ := vfs.ReadFile(m, log); !bytes.Equal(before, after) {
					t.Fatalf("Open changed a corrupt log: %d bytes, was %d", len(after), len(before))
				}
			}
		})
	}
}

// A torn tail is still truncated, and Recovery names the file, the
// position and the byte count so the server can log them.
func TestTornTailIsReported(t *testing.T) {
	m, log, pos := corruptBase(t)
	whole, _ := vfs.ReadFile(m, log)
	extra := makeBatch(t, 18, 2, 200)
	rewrite(t, m, log, func(b []byte) []byte { return append(b, extra[:len(extra)-7]...) })
	p, err := Open(m, testDir, 1, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rec := p.Recovery()
	if rec.TornBytes != int64(len(extra)-7) || rec.TornFile != log || rec.TornOffset != int64(len(whole)) || rec.Batches != len(pos) {
		t.Fatalf("recovery %+v, want %d torn bytes of %s at %d", rec, len(extra)-7, log, len(whole))
	}
	checkSequence(t, pollAll(t, p), 0, 200)
}

// Damage inside a sealed segment's batch headers fails Open with the file
// and the position of the first bad header; nothing is removed.
func TestSealedCorruptionStopsPartition(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{SegmentSize: 4096, EnforceFsync: true})
	for i := range 12 {
		mustAppend(t, p, makeBatch(t, uint64(2*i), 2, 300), uint64(i))
	}
	if p.Stats().Segments < 3 {
		t.Fatalf("%d segments", p.Stats().Segments)
	}
	p.Close()
	names, _ := m.List(testDir)
	index, log := testDir+"/"+names[0], testDir+"/"+names[1]
	b, _ := vfs.ReadFile(m, log)
	second := int64(len(makeBatch(t, 0, 2, 300)))
	// Break the second batch's base offset, and the index so it is rebuilt.
	rewrite(t, m, log, func(b []byte) []byte { b[second+8] ^= 0x80; return b })
	rewrite(t, m, index, func(b []byte) []byte { return b[:len(b)-1] })
	_, err := Open(m, testDir, 1, Config{SegmentSize: 4096})
	var ce *CorruptError
	if !IsCorrupt(err) || !errors.As(err, &ce) || ce.Path != log || ce.Offset != second {
		t.Fatalf("Open = %v, want a *CorruptError for %s at %d", err, log, second)
	}
	if after, _ := vfs.ReadFile(m, log); len(after) != len(b) {
		t.Fatalf("Open changed a corrupt sealed log")
	}
}

// Interior damage in the consumer offsets log is corruption too.
func TestOffsetsCorruptionIsMarked(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{})
	mustAppend(t, p, makeBatch(t, 0, 5, 10), 1)
	for i := range 4 {
		if err := p.StoreOffset(ConsumerKey{Kind: wire.ConsumerSingle, ID: uint32(i)}, 2, AckQuorum); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	whole, _ := vfs.ReadFile(m, testDir+"/"+offsetsFile)
	rewrite(t, m, testDir+"/"+offsetsFile, func(b []byte) []byte { b[16+20] ^= 1; return b })
	if _, err := Open(m, testDir, 1, Config{}); !IsCorrupt(err) || StatusOf(err) != wire.StatusCannotReadPartitions {
		t.Fatalf("Open = %v, want a corruption error", err)
	}
	// A torn tail there is truncated and reported.
	rewrite(t, m, testDir+"/"+offsetsFile, func([]byte) []byte { return append(slices.Clone(whole), 1, 2, 3) })
	p = mustOpen(t, m, Config{})
	defer p.Close()
	if rec := p.Recovery(); rec.OffsetsTornBytes != 3 || rec.OffsetRecords != 4 {
		t.Fatalf("recovery %+v", rec)
	}
}
