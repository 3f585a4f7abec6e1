package partition

import (
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// DeleteSegments removes the oldest sealed segments, never the active one
// and never past the lowest consumer offset; reads start at the first kept
// offset, and the result survives a reopen and a crash.
func TestDeleteSegments(t *testing.T) {
	m := vfs.NewMem()
	cfg := Config{SegmentSize: 4096, EnforceFsync: true}
	p := mustOpen(t, m, cfg)
	for i := range 40 { // 10 messages of ~100 bytes per batch: a few batches per segment
		mustAppend(t, p, makeBatch(t, uint64(i*10), 10, 100), uint64(i+1))
	}
	segs := len(p.segs)
	if segs < 5 {
		t.Fatalf("only %d segments", segs)
	}
	bases := make([]uint64, segs)
	for i, s := range p.segs {
		bases[i] = s.base
	}

	// A consumer that has read up to the end of the second segment holds
	// back the third.
	c := ConsumerKey{Kind: wire.ConsumerSingle, ID: 7}
	if err := p.StoreOffset(c, bases[2]-1, AckQuorum); err != nil {
		t.Fatal(err)
	}
	n, err := p.DeleteSegments(10)
	if err != nil || n != 2 {
		t.Fatalf("deleted %d (%v), want 2: the consumer barrier stops the rest", n, err)
	}
	if ms := pollAll(t, p); ms[0].offset != bases[2] || len(ms) != 400-int(bases[2]) {
		t.Fatalf("after delete: first %d, %d messages", ms[0].offset, len(ms))
	}
	if st := p.Stats(); st.Segments != uint32(segs-2) || st.Messages != 400-bases[2] || st.CurrentOffset != 399 {
		t.Fatalf("stats %+v", st)
	}

	// Without consumers only the active segment stays.
	if err := p.DeleteOffset(c, AckQuorum); err != nil {
		t.Fatal(err)
	}
	n, err = p.DeleteSegments(1)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d (%v), want 1", n, err)
	}
	n, err = p.DeleteSegments(1000)
	if err != nil || n != segs-4 || len(p.segs) != 1 {
		t.Fatalf("deleted %d (%v) leaving %d, want all but the active one", n, err, len(p.segs))
	}
	if n, err := p.DeleteSegments(5); err != nil || n != 0 {
		t.Fatalf("active segment: deleted %d (%v)", n, err)
	}
	first := p.segs[0].base
	mustAppend(t, p, makeBatch(t, 400, 10, 100), 100)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	for _, fsys := range []vfs.FS{m, m.CrashClone(vfs.CrashOptions{})} {
		p := mustOpen(t, fsys, cfg)
		ms := pollAll(t, p)
		if ms[0].offset != first || ms[len(ms)-1].offset != 409 {
			t.Fatalf("after reopen: %d..%d, want %d..409", ms[0].offset, ms[len(ms)-1].offset, first)
		}
		checkSequence(t, ms, first, 100)
		p.Close()
	}
}

// Retain removes sealed segments whose newest batch has expired, then the
// oldest sealed ones while the sealed bytes exceed the bound.
func TestRetain(t *testing.T) {
	p := mustOpen(t, vfs.NewMem(), Config{SegmentSize: 4096})
	defer p.Close()
	for i := range 40 { // batch i is stamped i+1 µs
		mustAppend(t, p, makeBatch(t, uint64(i*10), 10, 100), uint64(i+1))
	}
	segs := len(p.segs)
	lastTS := func(s *segment) uint64 { return s.entries[len(s.entries)-1].ts }
	// Nothing has expired at 100 µs with a 100 µs expiry, and no bound.
	if n, err := p.Retain(100, 100, 0); err != nil || n != 0 {
		t.Fatalf("retained %d (%v)", n, err)
	}
	// At now = newest ts of segment 1 + 5, with expiry 5: segments 0 and 1 go.
	now := lastTS(p.segs[1]) + 5
	if n, err := p.Retain(now, 5, 0); err != nil || n != 2 || len(p.segs) != segs-2 {
		t.Fatalf("expiry: removed %d (%v), %d of %d segments left", n, err, len(p.segs), segs)
	}
	// A bound of one sealed segment's size leaves one sealed segment.
	bound := uint64(p.segs[len(p.segs)-2].size)
	if n, err := p.Retain(now, 0, bound); err != nil || n != segs-4 || len(p.segs) != 2 {
		t.Fatalf("size: removed %d (%v), %d segments left", n, err, len(p.segs))
	}
	// Expired everything: the active segment stays.
	if _, err := p.Retain(1<<40, 1, 0); err != nil || len(p.segs) != 1 {
		t.Fatalf("%d segments after expiring all (%v)", len(p.segs), err)
	}
}
