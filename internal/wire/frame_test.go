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
