package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/shoal-io/shoal/internal/wire"
)

func testFrame(cmd wire.Command, bodyLen int, seed byte) []byte {
	b := make([]byte, wire.HeaderSize+bodyLen)
	h := wire.GenericHeader{Prefix: wire.Prefix{Size: uint32(len(b)), Command: cmd}}
	h.Put(b)
	for i := wire.HeaderSize; i < len(b); i++ {
		b[i] = seed + byte(i)
	}
	return b
}

// TestFrameReaderChunking reads the same stream through readers that return
// one byte, half the request, or everything: frames come out identical and
// in order (S8 checks run on every one).
func TestFrameReaderChunking(t *testing.T) {
	var stream bytes.Buffer
	var want [][]byte
	for i, n := range []int{0, 1, 100, 255, 4000, readBufSize/2 + 1, 70000, 0, 3} {
		f := testFrame(wire.CommandRequest, n, byte(i))
		want = append(want, f)
		stream.Write(f)
	}
	wraps := map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
	}
	for name, wrap := range wraps {
		t.Run(name, func(t *testing.T) {
			fr := NewFrameReader(wrap(bytes.NewReader(stream.Bytes())), 0)
			for i, w := range want {
				f, err := fr.ReadFrame()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if !bytes.Equal(f.Bytes(), w) {
					t.Fatalf("frame %d differs", i)
				}
				f.Release()
				// An idle reader holds no buffer: the look-ahead buffer is
				// kept only while it still has unread bytes.
				if fr.buf != nil && fr.start == fr.end {
					t.Fatalf("frame %d: empty look-ahead buffer kept", i)
				}
			}
			if _, err := fr.ReadFrame(); err != io.EOF {
				t.Fatalf("end: got %v, want io.EOF", err)
			}
			if fr.buf != nil {
				t.Fatal("look-ahead buffer held after the stream ended")
			}
		})
	}
}

// TestFrameReaderTruncated: every proper prefix of a frame ends in
// io.ErrUnexpectedEOF, except the empty one (io.EOF).
func TestFrameReaderTruncated(t *testing.T) {
	f := testFrame(wire.CommandRequest, 300, 7)
	for n := range len(f) {
		_, err := NewFrameReader(bytes.NewReader(f[:n]), 0).ReadFrame()
		want := io.ErrUnexpectedEOF
		if n == 0 {
			want = io.EOF
		}
		if err != want {
			t.Fatalf("prefix %d: got %v, want %v", n, err, want)
		}
	}
}

// TestFrameReaderValidates: S8, size and command are checked before the body.
func TestFrameReaderValidates(t *testing.T) {
	big := testFrame(wire.CommandRequest, 1000, 0)
	if _, err := NewFrameReader(bytes.NewReader(big), 512).ReadFrame(); !errors.Is(err, wire.ErrFrameTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	small := testFrame(wire.CommandRequest, 0, 0)
	binary.LittleEndian.PutUint32(small[48:], 100)
	if _, err := NewFrameReader(bytes.NewReader(small), 0).ReadFrame(); !errors.Is(err, wire.ErrFrameTooSmall) {
		t.Fatalf("undersized: %v", err)
	}
	bad := testFrame(wire.CommandRequest, 0, 0)
	bad[60] = 200
	if _, err := NewFrameReader(bytes.NewReader(bad), 0).ReadFrame(); !errors.Is(err, wire.ErrUnknownCommand) {
		t.Fatalf("bad command: %v", err)
	}
}

func BenchmarkFrameReader(b *testing.B) {
	var stream bytes.Buffer
	for range 64 {
		stream.Write(testFrame(wire.CommandRequest, 256, 1))
	}
	data := stream.Bytes()
	r := bytes.NewReader(data)
	fr := NewFrameReader(r, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(data) / 64))
	for i := 0; b.Loop(); i++ {
		if i%64 == 0 {
			r.Reset(data)
		}
		f, err := fr.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
}

// A frame above wire.LargeFrame is read into a growing buffer; the frames
// around it come out intact, whatever the read sizes.
func TestFrameReaderLargeFrame(t *testing.T) {
	var stream bytes.Buffer
	want := [][]byte{testFrame(wire.CommandRequest, 10, 1), testFrame(wire.CommandRequest, 3*wire.LargeFrame, 2), testFrame(wire.CommandRequest, 5, 3)}
	for _, f := range want {
		stream.Write(f)
	}
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"whole": func(r io.Reader) io.Reader { return r },
		"half":  iotest.HalfReader,
	} {
		t.Run(name, func(t *testing.T) {
			fr := NewFrameReader(wrap(bytes.NewReader(stream.Bytes())), 0)
			for i, w := range want {
				f, err := fr.ReadFrame()
				if err != nil || !bytes.Equal(f.Bytes(), w) {
					t.Fatalf("frame %d: %v", i, err)
				}
				f.Release()
			}
			if _, err := fr.ReadFrame(); err != io.EOF {
				t.Fatalf("end: %v", err)
			}
		})
	}
}
