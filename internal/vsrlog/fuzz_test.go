package vsrlog

import (
	"bytes"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// FuzzSuperblock feeds arbitrary bytes to the superblock decoder: it never
// panics, and whatever it accepts re-encodes to the same bytes and keeps
// the invariants (LogView <= View, at most 128 headers in op order).
func FuzzSuperblock(f *testing.F) {
	g := newGen()
	var frames [][]byte
	for op := wire.Op(1); op <= 3; op++ {
		frames = append(frames, g.frame(op, 20))
	}
	f.Add(appendSuperblock(nil, 0, &HardState{}, snapMeta{}))
	f.Add(appendSuperblock(nil, 7, &HardState{View: 3, LogView: 2, Commit: 2, Headers: headers(f, frames)}, snapMeta{}))
	f.Add([]byte("SHOALVSB"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeSuperblock(b)
		if err != nil {
			return
		}
		if c.hs.LogView > c.hs.View || len(c.hs.Headers) > wire.MaxViewChangeHeaders {
			t.Fatalf("accepted a broken hard state %s", brief(c.hs))
		}
		if again := appendSuperblock(nil, c.seq, &c.hs, c.snap); b[16] == SuperblockVersion && !bytes.Equal(again, b) {
			t.Fatalf("accepted copy does not re-encode to itself")
		}
	})
}

// FuzzRecord feeds arbitrary payloads to the journal record decoder: it
// never panics, and whatever it accepts re-encodes to the same bytes (a
// prepare's frame verified, its op the record's).
func FuzzRecord(f *testing.F) {
	g := newGen()
	f.Add(appendRecord(nil, KindBase, 0, nil))
	f.Add(appendRecord(nil, KindTruncate, 9, nil))
	f.Add(appendRecord(nil, KindPrepare, 1, g.frame(1, 0)))
	f.Add(appendRecord(nil, KindPrepare, 2, g.frame(2, 100)))
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodeRecord(p)
		if err != nil {
			return
		}
		if r.kind == KindPrepare {
			if op, err := checkPrepare(r.frame); err != nil || op != r.op {
				t.Fatalf("accepted prepare op %d: %v", op, err)
			}
		}
		if again := appendRecord(nil, r.kind, r.op, r.frame); !bytes.Equal(again, p) {
			t.Fatalf("accepted record does not re-encode to itself")
		}
	})
}
