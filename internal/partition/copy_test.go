package partition

import (
	"bytes"
	"errors"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// copyAll copies src's records from dst's next offset up to end into dst,
// at most maxBytes per ReadStored, and returns how many reads it took.
func copyAll(t *testing.T, src, dst *Partition, end uint64, maxBytes int) int {
	t.Helper()
	reads := 0
	for end = min(end, src.NextOffset()); dst.NextOffset() < end; {
		b, n, err := src.ReadStored(nil, dst.NextOffset(), end, maxBytes)
		if err != nil || n == 0 {
			t.Fatalf("ReadStored from %d: %d messages, %v", dst.NextOffset(), n, err)
		}
		reads++
		for len(b) > 0 {
			var h wire.BatchHeader
			if err := h.Decode(b); err != nil {
				t.Fatal(err)
			}
			if _, err := dst.AppendStored(b[:h.BatchLength]); err != nil {
				t.Fatalf("AppendStored at %d: %v", dst.NextOffset(), err)
			}
			b = b[h.BatchLength:]
		}
	}
	return reads
}

// TestCopyStored copies a partition of several segments into an empty
// one, a few records per read and up to a batch boundary below the end:
// the copy serves the same records, byte for byte, and after a reopen.
func TestCopyStored(t *testing.T) {
	fa, fb := vfs.NewMem(), vfs.NewMem()
	src := mustOpen(t, fa, truncCfg)
	defer src.Close()
	fillBatches(t, src, 12) // offsets 0..23, four segments
	dst := mustOpen(t, fb, truncCfg)

	if reads := copyAll(t, src, dst, 16, 500); reads < 4 {
		t.Fatalf("%d reads of at most 500 bytes copied 8 batches", reads)
	}
	if dst.NextOffset() != 16 {
		t.Fatalf("copy up to 16 stopped at %d", dst.NextOffset())
	}
	copyAll(t, src, dst, 1<<30, 1<<20)
	want, _, _ := src.Read(nil, 0, 1000)
	got, _, _ := dst.Read(nil, 0, 1000)
	if !bytes.Equal(got, want) || dst.NextOffset() != src.NextOffset() {
		t.Fatalf("copy differs: next %d, %d bytes; source next %d, %d bytes", dst.NextOffset(), len(got), src.NextOffset(), len(want))
	}
	// The copy appends on top as the source would: same timestamp floor.
	if a, b := mustAppend(t, src, makeBatch(t, 24, 1, 10), 1), mustAppend(t, dst, makeBatch(t, 24, 1, 10), 1); a != b {
		t.Fatalf("next append: source %+v, copy %+v", a, b)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	dst = mustOpen(t, fb, truncCfg)
	defer dst.Close()
	want, _, _ = src.Read(nil, 0, 1000)
	if got, _, _ = dst.Read(nil, 0, 1000); !bytes.Equal(got, want) {
		t.Fatal("copy differs after a reopen")
	}
}

// TestCopyStoredRefuses feeds AppendStored records that are not the next
// ones or not intact, and asks ReadStored for offsets it cannot serve
// whole: each is refused, and nothing changes.
func TestCopyStoredRefuses(t *testing.T) {
	src := mustOpen(t, vfs.NewMem(), truncCfg)
	defer src.Close()
	fillBatches(t, src, 4) // batches at 0, 2, 4, 6
	dst := mustOpen(t, vfs.NewMem(), truncCfg)
	defer dst.Close()

	if _, _, err := src.ReadStored(nil, 3, 8, 1<<20); !errors.Is(err, ErrNotBoundary) {
		t.Fatalf("ReadStored inside a batch: %v", err)
	}
	if _, _, err := src.ReadStored(nil, 9, 20, 1<<20); !errors.Is(err, ErrTruncateAhead) {
		t.Fatalf("ReadStored past the end: %v", err)
	}
	if b, n, err := src.ReadStored(nil, 8, 20, 1<<20); err != nil || n != 0 || len(b) != 0 {
		t.Fatalf("ReadStored at the end: %d messages, %v", n, err)
	}
	first, _, _ := src.ReadStored(nil, 0, 2, 1<<20)
	second, _, _ := src.ReadStored(nil, 2, 4, 1<<20)

	torn := bytes.Clone(first)
	torn[len(torn)-1] ^= 1
	other := mustOpen(t, vfs.NewMem(), truncCfg)
	defer other.Close()
	otherFirst := bytes.Clone(first)
	otherFirst[0] = 7 // another partition's id
	for name, b := range map[string][]byte{
		"not the next": second, "torn": torn, "another partition": otherFirst, "short": first[:len(first)-1],
	} {
		if _, err := dst.AppendStored(b); !errors.Is(err, ErrBatch) || dst.NextOffset() != 0 {
			t.Fatalf("%s: %v, next %d", name, err, dst.NextOffset())
		}
	}
	if _, err := dst.AppendStored(first); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.AppendStored(first); !errors.Is(err, ErrBatch) || dst.NextOffset() != 2 {
		t.Fatalf("the same record twice: %v, next %d", err, dst.NextOffset())
	}
}

// TestReadStoredCompacted: offsets retention deleted cannot be copied.
func TestReadStoredCompacted(t *testing.T) {
	p := mustOpen(t, vfs.NewMem(), truncCfg)
	defer p.Close()
	fillBatches(t, p, 12)
	if _, err := p.DeleteSegments(1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.ReadStored(nil, 0, 24, 1<<20); !errors.Is(err, ErrCompacted) {
		t.Fatalf("ReadStored below the first segment: %v", err)
	}
	if _, n, err := p.ReadStored(nil, 6, 24, 1<<20); err != nil || n == 0 {
		t.Fatalf("ReadStored at the first segment: %d, %v", n, err)
	}
}
