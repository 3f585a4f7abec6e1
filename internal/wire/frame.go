package wire

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"
)

// DefaultMaxMessageSize is the default frame cap: 64 MiB.
const DefaultMaxMessageSize = 64 << 20

// Framing errors. ReadFrame returns io.EOF when the stream ends before a
// frame starts and io.ErrUnexpectedEOF when it ends inside one; the others
// are wrapped with detail, so match them with errors.Is.
var (
	ErrFrameTooSmall  = errors.New("wire: frame size below 256")
	ErrFrameTooLarge  = errors.New("wire: frame size above the maximum")
	ErrUnknownCommand = errors.New("wire: unknown command")
	ErrFrameMismatch  = errors.New("wire: frame length differs from its size field")
)

// Frame is one frame, header and body, in a pooled buffer. The holder owns
// it until Release; after Release the bytes must not be touched.
type Frame struct {
	b []byte
}

// Bytes returns the whole frame.
func (f *Frame) Bytes() []byte { return f.b }

// Header returns the 256 header bytes.
func (f *Frame) Header() []byte { return f.b[:HeaderSize] }

// Body returns the bytes after the header.
func (f *Frame) Body() []byte { return f.b[HeaderSize:] }

// Command returns the frame's command.
func (f *Frame) Command() Command { return PeekCommand(f.b) }

// Len returns the frame length in bytes.
func (f *Frame) Len() int { return len(f.b) }

// Release returns f's buffer to the pool. f must not be used afterwards.
func (f *Frame) Release() {
	c := sizeClass(cap(f.b))
	if c < 0 || cap(f.b) != classSize(c) {
		f.b = nil
		return
	}
	f.b = f.b[:0]
	framePools[c].Put(f)
}

// Buffers are pooled in power-of-two classes from 256 B to 4 MiB; larger
// frames are allocated exactly and left to the collector.
const (
	minClassShift = 8
	maxClassShift = 22
	numClasses    = maxClassShift - minClassShift + 1
)

var framePools [numClasses]sync.Pool

func classSize(c int) int { return 1 << (c + minClassShift) }

// sizeClass returns the smallest class holding n bytes, or -1 if n is above
// the largest class.
func sizeClass(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minClassShift
	if c >= numClasses {
		return -1
	}
	return c
}

// NewFrame returns a frame of n bytes (n >= HeaderSize) from the pool. Its
// contents are unspecified; callers write every byte they send (header Put
// methods zero the header).
func NewFrame(n int) *Frame {
	c := sizeClass(n)
	if c < 0 {
		return &Frame{b: make([]byte, n)}
	}
	if f, _ := framePools[c].Get().(*Frame); f != nil {
		f.b = f.b[:n]
		return f
	}
	return &Frame{b: make([]byte, n, classSize(c))}
}

// LargeFrame is the size above which a frame is not allocated whole when
// its header arrives: ReadLargeFrame grows its buffer as the bytes do, so
// a peer that announces a large frame and sends little of it costs little.
const LargeFrame = 1 << 20

// ReadLargeFrame reads a frame of size bytes whose first bytes, heads (the
// header and any body bytes already read, in order), are known, reading
// the rest from r into a buffer that doubles from LargeFrame as the bytes
// arrive. Buffers come from the frame pool (Release returns the frame to
// it), so a steady stream of large frames allocates nothing. A stream that
// ends early is io.ErrUnexpectedEOF.
func ReadLargeFrame(r io.Reader, size int, heads ...[]byte) (*Frame, error) {
	n := 0
	for _, h := range heads {
		n += len(h)
	}
	f := NewFrame(max(n, min(size, LargeFrame)))
	b := f.b[:0]
	for _, h := range heads {
		b = append(b, h...)
	}
	for len(b) < size {
		if len(b) == cap(b) {
			nf := NewFrame(min(size, 2*cap(b)))
			copy(nf.b, b)
			f.b = b
			f.Release()
			f, b = nf, nf.b[:len(b)]
		}
		// Never past size: what follows belongs to the next frame.
		n, err := r.Read(b[len(b):min(cap(b), size)])
		b = b[:len(b)+n]
		if err != nil && len(b) < size {
			f.b = b
			f.Release()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	f.b = b
	return f, nil
}

// FrameOf copies b into a new pooled frame.
func FrameOf(b []byte) *Frame {
	f := NewFrame(len(b))
	copy(f.b, b)
	return f
}

// Reader reads frames from a byte stream. It is not safe for concurrent use.
type Reader struct {
	r   io.Reader
	max uint32
	// VerifySeals makes ReadFrame check the seal and body checksum of
	// sealed commands (the replica plane) and fail with ErrChecksum.
	VerifySeals bool
	hdr         [HeaderSize]byte
}

// NewReader returns a Reader of frames of at most max bytes (0 means
// DefaultMaxMessageSize).
func NewReader(r io.Reader, max uint32) *Reader {
	if max == 0 {
		max = DefaultMaxMessageSize
	}
	return &Reader{r: r, max: max}
}

// ReadFrame reads one frame (S8: size, command and, with VerifySeals, the
// checksums are checked before the frame is handed out). It reads the header
// first and never reads past the frame's end.
func (r *Reader) ReadFrame() (*Frame, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		return nil, err
	}
	if err := CheckHeader(r.hdr[:], r.max); err != nil {
		return nil, err
	}
	size := int(PeekSize(r.hdr[:]))
	f := NewFrame(size)
	copy(f.b, r.hdr[:])
	if size > HeaderSize {
		if _, err := io.ReadFull(r.r, f.b[HeaderSize:]); err != nil {
			f.Release()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	if r.VerifySeals {
		if err := VerifyFrame(f.b); err != nil {
			f.Release()
			return nil, err
		}
	}
	return f, nil
}

// CheckHeader checks a frame header's size field against [256, max] and
// its command byte.
func CheckHeader(h []byte, max uint32) error {
	if len(h) < HeaderSize {
		return ErrShortHeader
	}
	size := PeekSize(h)
	switch {
	case size < HeaderSize:
		return fmt.Errorf("%w: %d", ErrFrameTooSmall, size)
	case size > max:
		return fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, size, max)
	}
	if cmd := PeekCommand(h); !cmd.Valid() {
		return fmt.Errorf("%w: %d", ErrUnknownCommand, uint8(cmd))
	}
	return nil
}

// CheckFrame checks a whole frame received as one message (WebSocket): the
// header rules of CheckHeader and that the size field equals len(b).
func CheckFrame(b []byte, max uint32) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: %d bytes", ErrFrameTooSmall, len(b))
	}
	if err := CheckHeader(b, max); err != nil {
		return err
	}
	if int(PeekSize(b)) != len(b) {
		return fmt.Errorf("%w: size %d, length %d", ErrFrameMismatch, PeekSize(b), len(b))
	}
	return nil
}

// WriteFrame writes one whole frame to w. It refuses a frame whose size
// field differs from its length.
func WriteFrame(w io.Writer, frame []byte) error {
	if len(frame) < HeaderSize || int(PeekSize(frame)) != len(frame) {
		return ErrFrameMismatch
	}
	_, err := w.Write(frame)
	return err
}
