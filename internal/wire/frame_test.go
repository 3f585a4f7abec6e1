package wire

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// ReadLargeFrame grows with the bytes that arrive: a peer that announces
// 64 MiB and sends 100 bytes costs about LargeFrame, not 64 MiB; a whole
// frame arrives intact, and a short one is io.ErrUnexpectedEOF.
func TestReadLargeFrame(t *testing.T) {
	const size = 64 << 20
	head := make([]byte, HeaderSize)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadLargeFrame(io.LimitReader(zeroReader{}, 100), size, head)
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("short frame: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 2*LargeFrame {
		t.Fatalf("announcing %d bytes and sending 100 allocated %d", size, grew)
	}

	body := make([]byte, 3*LargeFrame+17)
	for i := range body {
		body[i] = byte(i * 7)
	}
	f, err := ReadLargeFrame(iotest.HalfReader(bytes.NewReader(body[100:])), HeaderSize+len(body), head, body[:100])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Body(), body) {
		t.Fatal("large frame differs")
	}
	f.Release()
}

// TestReadLargeFrameStopsAtSize: pooled buffers are larger than the frame,
// and ReadLargeFrame must not read past it into the next frame; read back
// to back, large frames are pooled (no allocation in the steady state).
func TestReadLargeFrameStopsAtSize(t *testing.T) {
	const size = LargeFrame + 4096 // a 2 MiB pool class
	stream := make([]byte, 2*size)
	for i := range stream {
		stream[i] = byte(i / size) // frame 0 is zeros, frame 1 ones
	}
	r := bytes.NewReader(stream)
	read := func() *Frame {
		f, err := ReadLargeFrame(r, size)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for want := range 2 {
		f := read()
		if f.Len() != size || f.Bytes()[0] != byte(want) || f.Bytes()[size-1] != byte(want) {
			t.Fatalf("frame %d: len %d, bytes %d..%d", want, f.Len(), f.Bytes()[0], f.Bytes()[size-1])
		}
		f.Release()
	}
	if raceEnabled {
		return // sync.Pool drops items on purpose under -race
	}
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(stream)
		read().Release()
		read().Release()
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per two large frames", allocs)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestCutIdentifier(t *testing.T) {
	b := NamedID("orders").Append(NumericID(7).Append(nil))
	id, rest, err := CutIdentifier(b)
	if err != nil || id.Kind != IdentifierNumeric || id.ID != 7 {
		t.Fatalf("numeric: %v %v", id, err)
	}
	if id, rest, err = CutIdentifier(rest); err != nil || string(id.Name) != "orders" || len(rest) != 0 {
		t.Fatalf("named: %v %v %d left", id, err, len(rest))
	}
	for _, bad := range [][]byte{nil, {1, 4, 0}, {2, 0}, {3, 1, 0}, {2, 1, 0xff}} {
		if _, _, err := CutIdentifier(bad); err == nil {
			t.Fatalf("% x decodes", bad)
		}
	}
}
