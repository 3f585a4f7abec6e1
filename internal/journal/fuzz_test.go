package journal

import (
	"bytes"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/zeebo/xxh3"
)

// FuzzOpen appends arbitrary bytes to a valid journal of three records.
// Open must never panic; it either fails with a corruption error or
// replays verified records, the three originals first.
func FuzzOpen(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3})
	f.Add(make([]byte, 64))
	f.Add(appendRecord(nil, []byte("tail record")))
	f.Add(append(appendRecord(nil, []byte("a")), 0xff, 0, 0))
	f.Fuzz(func(t *testing.T, tail []byte) {
		m := vfs.NewMem()
		j, _ := mustOpen(t, m)
		for i := range 3 {
			j.Append(payload(i, 10))
		}
		j.Sync()
		j.Close()
		rewrite(t, m, func(b []byte) []byte { return append(b, tail...) })
		j, recs, err := openAll(t, m)
		if err != nil {
			if !IsCorrupt(err) {
				t.Fatalf("Open = %v, want nil or a corruption error", err)
			}
			return
		}
		defer j.Close()
		if len(recs) < 3 {
			t.Fatalf("lost original records: %d", len(recs))
		}
		for i := range 3 {
			if !bytes.Equal(recs[i], payload(i, 10)) {
				t.Fatalf("record %d changed", i)
			}
		}
		if fi, _ := m.Stat(testPath); fi.Size() != j.Size() {
			t.Fatalf("file size %d, journal size %d", fi.Size(), j.Size())
		}
	})
}

// appendRecord frames p the way Append does, for seeds.
func appendRecord(b, p []byte) []byte {
	var h [RecordOverhead]byte
	h[8], h[9], h[10], h[11] = byte(len(p)), byte(len(p)>>8), byte(len(p)>>16), byte(len(p)>>24)
	sum := xxh3.Hash(append(h[8:12:12], p...))
	for i := range 8 {
		h[i] = byte(sum >> (8 * i))
	}
	return append(append(b, h[:]...), p...)
}
