package transport

import (
	"io"
	"sync"

	"github.com/shoal-io/shoal/internal/wire"
)

// readBufSize is the size of the pooled look-ahead buffer a FrameReader
// borrows while frames are flowing.
const readBufSize = 64 << 10

var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// FrameReader reads frames from a byte stream (TCP, TLS, a QUIC stream).
//
// Between frames it holds no buffer: the next header is read straight into a
// 256-byte array, so an idle connection costs 256 bytes, not a read buffer.
// Once a header has arrived it borrows a pooled 64 KiB buffer to read the
// body together with whatever frames follow it, and returns the buffer to the
// pool as soon as it is empty at a frame boundary. Bodies larger than half
// the buffer are read directly into the frame.
//
// A FrameReader is not safe for concurrent use.
type FrameReader struct {
	r   io.Reader
	max uint32

	hdr        [wire.HeaderSize]byte
	buf        *[]byte // borrowed look-ahead buffer, nil when idle
	start, end int     // unread bytes are (*buf)[start:end]
}

// NewFrameReader returns a FrameReader of frames of at most max bytes (0
// means wire.DefaultMaxMessageSize).
func NewFrameReader(r io.Reader, max uint32) *FrameReader {
	if max == 0 {
		max = wire.DefaultMaxMessageSize
	}
	return &FrameReader{r: r, max: max}
}

// ReadFrame reads and validates one frame (S8: the header's size and command
// are checked before any body byte is read). It returns io.EOF at a clean
// frame boundary and io.ErrUnexpectedEOF inside a frame.
func (fr *FrameReader) ReadFrame() (*wire.Frame, error) {
	if err := fr.readHeader(); err != nil {
		return nil, err
	}
	if err := wire.CheckHeader(fr.hdr[:], fr.max); err != nil {
		fr.release()
		return nil, err
	}
	size := int(wire.PeekSize(fr.hdr[:]))
	if size > wire.LargeFrame {
		// Grow with the bytes that arrive, not with the announced size: a
		// peer announcing 64 MiB and sending nothing costs LargeFrame. The
		// look-ahead (64 KiB) holds only bytes of this frame.
		f, err := wire.ReadLargeFrame(fr.r, size, fr.hdr[:], fr.buffered())
		fr.release()
		return f, err
	}
	f := wire.NewFrame(size)
	b := f.Bytes()
	copy(b, fr.hdr[:])
	if err := fr.readBody(b[wire.HeaderSize:]); err != nil {
		f.Release()
		fr.release()
		return nil, err
	}
	if fr.start == fr.end {
		fr.release()
	}
	return f, nil
}

func (fr *FrameReader) readHeader() error {
	n := copy(fr.hdr[:], fr.buffered())
	fr.start += n
	if n == wire.HeaderSize {
		return nil
	}
	fr.release()
	if _, err := io.ReadFull(fr.r, fr.hdr[n:]); err != nil {
		if err == io.EOF && n > 0 {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

func (fr *FrameReader) readBody(dst []byte) error {
	n := copy(dst, fr.buffered())
	fr.start += n
	dst = dst[n:]
	if len(dst) == 0 {
		return nil
	}
	if len(dst) > readBufSize/2 {
		fr.release()
		_, err := io.ReadFull(fr.r, dst)
		return unexpected(err)
	}
	// Mid-frame: borrow the look-ahead buffer and read the rest of the body
	// plus whatever follows it.
	if fr.buf == nil {
		fr.buf = readBufs.Get().(*[]byte)
	}
	fr.start, fr.end = 0, 0
	m, err := io.ReadAtLeast(fr.r, *fr.buf, len(dst))
	fr.end = m
	if err != nil {
		return unexpected(err)
	}
	fr.start = copy(dst, (*fr.buf)[:m])
	return nil
}

func (fr *FrameReader) buffered() []byte {
	if fr.buf == nil {
		return nil
	}
	return (*fr.buf)[fr.start:fr.end]
}

func (fr *FrameReader) release() {
	if fr.buf != nil {
		readBufs.Put(fr.buf)
		fr.buf = nil
	}
	fr.start, fr.end = 0, 0
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
