package partition

import (
	"errors"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

const fuzzPayload = 40

// fuzzBase is a partition with two sealed segments and an active one, all
// synced: 3 batches per segment (segment size 1200).
func fuzzBase(t testing.TB) *vfs.MemFS {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{SegmentSize: 1200, EnforceFsync: true})
	var next uint64
	for i := range 8 {
		n := 1 + i%3
		mustAppend(t, p, makeBatch(t, next, n, fuzzPayload), uint64(i))
		next += uint64(n)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return m
}

// FuzzRecover damages one file of a partition (cut and extend, flip bytes,
// or replace) and checks that recovery never panics and never serves a
// message that was not written at its offset: Open succeeds or reports
// corruption (IsCorrupt), and every message served is the original one,
// in order from offset 0.
func FuzzRecover(f *testing.F) {
	m := fuzzBase(f)
	files, err := m.List(testDir)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), uint16(0), []byte{})
	f.Add(uint8(1), uint16(500), []byte{0xff})
	f.Add(uint8(4), uint16(300), []byte{1, 2, 3})
	f.Add(uint8(6), uint16(0), makeBatch(f, 12, 2, fuzzPayload))
	f.Add(uint8(9), uint16(100), make([]byte, 600))
	f.Fuzz(func(t *testing.T, mode uint8, at uint16, data []byte) {
		fsys := m.CrashClone(vfs.CrashOptions{})
		name := testDir + "/" + files[int(mode/3)%len(files)]
		rewrite(t, fsys, name, func(b []byte) []byte {
			pos := 0
			if len(b) > 0 {
				pos = int(at) % (len(b) + 1)
			}
			switch mode % 3 {
			case 0: // cut at pos and append data
				return append(b[:pos:pos], data...)
			case 1: // flip bytes from pos
				for i, x := range data {
					if pos+i < len(b) {
						b[pos+i] ^= x
					}
				}
				return b
			default: // replace
				return data
			}
		})
		p, err := Open(fsys, testDir, 1, Config{SegmentSize: 1200})
		if IsCorrupt(err) {
			return
		}
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer p.Close()
		body, _, err := p.Poll(nil, PollRequest{Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1000})
		if errors.Is(err, ErrCorrupt) {
			return
		}
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		_, ms := decodePoll(t, body)
		checkSequence(t, ms, 0, fuzzPayload)
		if r, err := p.Append(makeBatch(t, p.NextOffset(), 1, fuzzPayload), 1<<40); err != nil || r.BaseOffset != uint64(len(ms)) {
			t.Fatalf("append after recovery: %+v %v (served %d)", r, err, len(ms))
		}
	})
}
