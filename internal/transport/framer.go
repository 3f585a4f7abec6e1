package transport

import (
	"io"
	"sync"
	"time"

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
// It enforces ReadLimits (it implements Limiter): the frame limit is read
// at each header, and once a frame has started, every read that waits for
// more of it runs under the frame deadline (FrameGuard). The wait for the
// first byte of a frame has no deadline.
//
// A FrameReader is not safe for concurrent use, except SetReadLimits.
type FrameReader struct {
	r io.Reader
	FrameGuard

	hdr        [wire.HeaderSize]byte
	buf        *[]byte // borrowed look-ahead buffer, nil when idle
	start, end int     // unread bytes are (*buf)[start:end]
}

var _ Limiter = (*FrameReader)(nil)

// NewFrameReader returns a FrameReader of frames of at most max bytes (0
// means wire.DefaultMaxMessageSize). FrameTimeout is not enforced unless
// SetDeadlineFunc names the stream's deadline setter.
func NewFrameReader(r io.Reader, max uint32) *FrameReader {
	fr := &FrameReader{r: r}
	fr.Init(max, nil)
	return fr
}

// SetDeadlineFunc sets the function that sets the read deadline of the
// stream under the reader (net.Conn.SetReadDeadline). Call it before the
// first ReadFrame.
func (fr *FrameReader) SetDeadlineFunc(set func(time.Time) error) { fr.setDeadline = set }

// ReadFrame reads and validates one frame (S8: the header's size and command
// are checked before any body byte is read). It returns io.EOF at a clean
// frame boundary, io.ErrUnexpectedEOF inside a frame and ErrFrameTimeout
// when a started frame missed its deadline.
func (fr *FrameReader) ReadFrame() (*wire.Frame, error) {
	f, err := fr.readFrame()
	return f, fr.Finish(err)
}

func (fr *FrameReader) readFrame() (*wire.Frame, error) {
	if err := fr.readHeader(); err != nil {
		return nil, err
	}
	if err := wire.CheckHeader(fr.hdr[:], fr.Limit()); err != nil {
		fr.release()
		return nil, err
	}
	size := int(wire.PeekSize(fr.hdr[:]))
	if size > wire.LargeFrame {
		// Grow with the bytes that arrive, not with the announced size: a
		// peer announcing 64 MiB and sending nothing costs LargeFrame. The
		// look-ahead (64 KiB) holds only bytes of this frame.
		fr.Arm()
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

// readHeader fills fr.hdr. Only its first read, when no byte of the frame
// has arrived yet, waits without a deadline.
func (fr *FrameReader) readHeader() error {
	n := copy(fr.hdr[:], fr.buffered())
	fr.start += n
	if n == wire.HeaderSize {
		return nil
	}
	fr.release()
	for n < wire.HeaderSize {
		if n > 0 {
			fr.Arm()
		}
		m, err := fr.r.Read(fr.hdr[n:])
		n += m
		if err != nil && n < wire.HeaderSize {
			if n == 0 && fr.IdleExpired(err) {
				continue // an earlier frame's deadline: idle waits are unbounded
			}
			if err == io.EOF && n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
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
	fr.Arm()
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
