package ws

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	gws "github.com/gobwas/ws"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// errClosedInMessage: the peer sent a close frame between the fragments of
// a message, so the stream ended inside a frame.
var errClosedInMessage = fmt.Errorf("ws: close frame inside a fragmented message: %w", io.ErrUnexpectedEOF)

// ReadFrame returns the payload of the next binary message as a validated
// frame (S8), answering pings and skipping pongs on the way, and
// reassembling a fragmented message (RFC 6455 §5.4) within the frame
// limit. It returns io.EOF after a close frame or a clean end of stream at
// a message boundary, and transport.ErrFrameTimeout when a message that
// has started is not complete within the frame deadline.
func (c *Conn) ReadFrame() (*wire.Frame, error) {
	if c.rerr != nil {
		return nil, c.rerr
	}
	f, err := c.readFrame()
	if err = c.guard.Finish(err); err != nil {
		if errors.Is(err, net.ErrClosed) {
			err = fmt.Errorf("%w: %w", transport.ErrClosed, err)
		}
		c.rerr = err
		c.release()
	}
	return f, err
}

// SetReadLimits implements transport.Limiter: a message (all its fragments
// together) larger than MaxFrame is refused with 1009 before its payload
// is read, and a message that has started must be complete, interleaved
// control frames included, within FrameTimeout.
func (c *Conn) SetReadLimits(l transport.ReadLimits) { c.guard.SetReadLimits(l) }

// header is a parsed RFC 6455 frame header.
type header struct {
	fin    bool
	op     byte
	masked bool
	n      uint64 // payload length
	mask   [4]byte
}

func (c *Conn) readFrame() (*wire.Frame, error) {
	for {
		h, err := c.readHeader(true)
		if err != nil {
			return nil, err
		}
		switch h.op {
		case opBinary:
			if !h.fin {
				return c.readFragmented(h)
			}
			return c.readMessage(h)
		case opText:
			return nil, c.fail(closeUnsupported, "binary messages only", ErrTextMessage)
		case opClose, opPing, opPong:
			if err := c.control(h); err != nil {
				return nil, err
			}
			_ = c.guard.Finish(nil) // the control frame is whole and no message has begun
		default: // a continuation with no message to continue, or a reserved opcode
			return nil, c.fail(closeProtocol, "unexpected opcode", fmt.Errorf("%w: opcode %#x", ErrProtocol, h.op))
		}
	}
}

// readHeader reads and checks the next frame header. idle means no byte of
// a message has arrived yet, so the first read waits without a deadline.
func (c *Conn) readHeader(idle bool) (header, error) {
	c.idle = idle
	err := c.fill(2)
	c.idle = false
	if err != nil {
		if !idle {
			err = unexpected(err)
		}
		return header{}, err
	}
	b := (*c.rbuf)[c.rs:c.re]
	b0, b1 := b[0], b[1]
	h := header{fin: b0&0x80 != 0, op: b0 & 0x0f, masked: b1&0x80 != 0}
	hl := 2
	switch b1 & 0x7f {
	case 126:
		hl += 2
	case 127:
		hl += 8
	}
	if h.masked {
		hl += 4
	}
	if err := c.fill(hl); err != nil {
		return h, unexpected(err)
	}
	b = (*c.rbuf)[c.rs:c.re]
	switch l := b1 & 0x7f; l {
	case 126:
		h.n = uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		h.n = binary.BigEndian.Uint64(b[2:])
	default:
		h.n = uint64(l)
	}
	if h.masked {
		copy(h.mask[:], b[hl-4:hl])
	}
	switch {
	case b0&0x70 != 0:
		return h, c.fail(closeProtocol, "reserved bits set", ErrProtocol)
	case h.masked == c.client:
		return h, c.fail(closeProtocol, "wrong masking", ErrProtocol)
	}
	c.rs += hl
	return h, nil
}

// readMessage reads an unfragmented binary message: one wire frame.
func (c *Conn) readMessage(h header) (*wire.Frame, error) {
	limit := c.guard.Limit()
	// S8: the WS length is checked before any payload byte is read.
	if h.n > uint64(limit) {
		return nil, c.tooBig(h.n, limit)
	}
	if h.n < wire.HeaderSize {
		return nil, c.fail(closeProtocol, "invalid frame",
			fmt.Errorf("%w: %w: %d", ErrProtocol, wire.ErrFrameTooSmall, h.n))
	}
	var f *wire.Frame
	if h.n > wire.LargeFrame {
		// Grow with the bytes that arrive, not with the announced length
		// (wire.ReadLargeFrame).
		var hdr [wire.HeaderSize]byte
		if err := c.readPayload(hdr[:]); err != nil {
			return nil, err
		}
		var err error
		if f, err = wire.ReadLargeFrame(payloadReader{c}, int(h.n), hdr[:]); err != nil {
			return nil, err
		}
	} else {
		f = wire.NewFrame(int(h.n))
		if err := c.readPayload(f.Bytes()); err != nil {
			f.Release()
			return nil, err
		}
	}
	if h.masked {
		gws.Cipher(f.Bytes(), h.mask, 0)
	}
	if err := wire.CheckFrame(f.Bytes(), limit); err != nil {
		f.Release()
		return nil, c.fail(closeProtocol, "invalid frame", fmt.Errorf("%w: %w", ErrProtocol, err))
	}
	c.releaseIfEmpty()
	return f, nil
}

// readFragmented reassembles a message sent in fragments: the first
// (binary, FIN clear) and continuations up to one with FIN set, with
// control frames allowed in between. The wire header is checked (S8) as
// soon as its 256 bytes have arrived, and the frame grows with the bytes
// that arrive; the fragments must add up to exactly one frame.
func (c *Conn) readFragmented(first header) (*wire.Frame, error) {
	limit := c.guard.Limit()
	if first.n > uint64(limit) {
		return nil, c.tooBig(first.n, limit)
	}
	m := message{c: c, limit: limit, total: first.n}
	m.start(first)
	var hdr [wire.HeaderSize]byte
	if _, err := io.ReadFull(&m, hdr[:]); err != nil {
		return nil, m.fault(err, wire.ErrFrameTooSmall)
	}
	if err := wire.CheckHeader(hdr[:], limit); err != nil {
		if errors.Is(err, wire.ErrFrameTooLarge) {
			return nil, c.fail(closeTooBig, "message too big", fmt.Errorf("%w: %w", ErrProtocol, err))
		}
		return nil, c.fail(closeProtocol, "invalid frame", fmt.Errorf("%w: %w", ErrProtocol, err))
	}
	size := int(wire.PeekSize(hdr[:]))
	var f *wire.Frame
	var err error
	if size > wire.LargeFrame {
		f, err = wire.ReadLargeFrame(&m, size, hdr[:])
	} else {
		f = wire.NewFrame(size)
		copy(f.Bytes(), hdr[:])
		if _, err = io.ReadFull(&m, f.Bytes()[wire.HeaderSize:]); err != nil {
			f.Release()
		}
	}
	if err != nil {
		return nil, m.fault(err, wire.ErrFrameMismatch)
	}
	// The message must end where the frame does.
	var one [1]byte
	if n, err := m.Read(one[:]); n > 0 || err != io.EOF {
		f.Release()
		if n > 0 {
			return nil, c.fail(closeProtocol, "invalid frame",
				fmt.Errorf("%w: %w: message longer than its %d-byte frame", ErrProtocol, wire.ErrFrameMismatch, size))
		}
		return nil, err
	}
	c.releaseIfEmpty()
	return f, nil
}

func (c *Conn) tooBig(n uint64, limit uint32) error {
	return c.fail(closeTooBig, "message too big",
		fmt.Errorf("%w: %w: %d > %d", ErrProtocol, wire.ErrFrameTooLarge, n, limit))
}

// control handles a control frame: a ping is answered, a pong skipped, a
// close echoed and reported as io.EOF.
func (c *Conn) control(h header) error {
	if !h.fin || h.n > 125 {
		return c.fail(closeProtocol, "bad control frame", fmt.Errorf("%w: bad control frame", ErrProtocol))
	}
	var p [125]byte
	payload := p[:h.n]
	if err := c.readPayload(payload); err != nil {
		return err
	}
	if h.masked {
		gws.Cipher(payload, h.mask, 0)
	}
	c.releaseIfEmpty()
	switch h.op {
	case opPing:
		c.queueControl(opPong, payload)
		c.flushControl()
	case opClose:
		if h.n == 1 {
			return c.fail(closeProtocol, "bad close frame", fmt.Errorf("%w: bad close frame", ErrProtocol))
		}
		// Echo the status code and end the stream.
		c.queueControl(opClose, payload[:min(h.n, 2)])
		c.flushControl()
		return io.EOF
	}
	return nil
}

// message reads the payload of a fragmented message as one stream: it
// unmasks each fragment, reads the next fragment's header when one is
// used up (handling control frames in between) and returns io.EOF after
// the final fragment.
type message struct {
	c      *Conn
	limit  uint32
	total  uint64 // payload length of the fragments so far
	rem    uint64 // bytes left in the current fragment
	off    int    // bytes read of the current fragment (the mask offset)
	fin    bool   // the current fragment is the last
	masked bool
	mask   [4]byte
}

func (m *message) start(h header) {
	m.rem, m.off, m.fin, m.masked, m.mask = h.n, 0, h.fin, h.masked, h.mask
}

// ended reports whether the final fragment has been read whole.
func (m *message) ended() bool { return m.fin && m.rem == 0 }

func (m *message) Read(p []byte) (int, error) {
	for m.rem == 0 {
		if m.fin {
			return 0, io.EOF
		}
		if err := m.next(); err != nil {
			return 0, err
		}
	}
	if uint64(len(p)) > m.rem {
		p = p[:m.rem]
	}
	n, err := m.c.readSome(p)
	if m.masked {
		gws.Cipher(p[:n], m.mask, m.off)
	}
	m.off += n
	m.rem -= uint64(n)
	return n, unexpected(err)
}

// next reads up to the next continuation frame.
func (m *message) next() error {
	for {
		h, err := m.c.readHeader(false)
		if err != nil {
			return err
		}
		switch h.op {
		case opContinuation:
			// S8: the message's length so far is checked before the
			// fragment's payload is read.
			m.total += h.n
			if m.total > uint64(m.limit) {
				return m.c.tooBig(m.total, m.limit)
			}
			m.start(h)
			return nil
		case opClose, opPing, opPong:
			if err := m.c.control(h); err != nil {
				if err == io.EOF {
					return errClosedInMessage
				}
				return err
			}
		default: // a new message before this one ended
			return m.c.fail(closeProtocol, "continuation expected",
				fmt.Errorf("%w: opcode %#x inside a fragmented message", ErrProtocol, h.op))
		}
	}
}

// fault turns an error met while reading a fragmented message into the
// connection's error: a message that ended before its frame did is a
// protocol violation (short); anything else passes through.
func (m *message) fault(err error, short error) error {
	if !m.ended() {
		return err
	}
	return m.c.fail(closeProtocol, "invalid frame",
		fmt.Errorf("%w: %w: message of %d bytes", ErrProtocol, short, m.total))
}

// fill makes at least n (<= readBufSize) bytes available in the look-ahead
// buffer. io.EOF means the stream ended with nothing buffered. Every read
// but the one that waits, idle, for a message's first byte runs under the
// frame deadline.
func (c *Conn) fill(n int) error {
	for c.re-c.rs < n {
		if c.re > c.rs || !c.idle {
			c.guard.Arm()
		}
		if c.rbuf == nil {
			m, err := c.nc.Read(c.small[:])
			if m > 0 {
				c.rbuf = readBufs.Get().(*[]byte)
				c.rs, c.re = 0, copy(*c.rbuf, c.small[:m])
				continue
			}
			if err != nil && !(c.idle && c.guard.IdleExpired(err)) {
				return err
			}
			continue
		}
		b := *c.rbuf
		if len(b)-c.rs < n {
			c.re = copy(b, b[c.rs:c.re])
			c.rs = 0
		}
		m, err := c.nc.Read(b[c.re:])
		c.re += m
		if err != nil && c.re-c.rs < n {
			if c.re == c.rs && c.idle && c.guard.IdleExpired(err) {
				continue
			}
			if err == io.EOF && c.re > c.rs {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readPayload fills dst from the look-ahead buffer and the stream. Large
// payloads are read straight into dst.
func (c *Conn) readPayload(dst []byte) error {
	if c.rbuf != nil {
		k := copy(dst, (*c.rbuf)[c.rs:c.re])
		c.rs += k
		dst = dst[k:]
	}
	if len(dst) == 0 {
		return nil
	}
	if len(dst) > readBufSize/2 {
		c.release()
		c.guard.Arm()
		_, err := io.ReadFull(c.nc, dst)
		return unexpected(err)
	}
	if err := c.fill(len(dst)); err != nil {
		return unexpected(err)
	}
	c.rs += copy(dst, (*c.rbuf)[c.rs:c.re])
	return nil
}

// readSome reads payload bytes: the look-ahead first, then the
// connection, under the frame deadline. Its callers never ask for more
// than the payload has left.
func (c *Conn) readSome(p []byte) (int, error) {
	if c.rbuf != nil && c.rs < c.re {
		n := copy(p, (*c.rbuf)[c.rs:c.re])
		c.rs += n
		return n, nil
	}
	c.release()
	c.guard.Arm()
	return c.nc.Read(p)
}

// payloadReader reads an unfragmented message's payload (readSome).
type payloadReader struct{ c *Conn }

func (r payloadReader) Read(p []byte) (int, error) { return r.c.readSome(p) }

func (c *Conn) releaseIfEmpty() {
	if c.rs == c.re {
		c.release()
	}
}

func (c *Conn) release() {
	if c.rbuf != nil {
		readBufs.Put(c.rbuf)
		c.rbuf = nil
	}
	c.rs, c.re = 0, 0
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// fail queues a close frame with code and reason, tries to send it and
// returns err. The caller closes the connection.
func (c *Conn) fail(code uint16, reason string, err error) error {
	c.queueControl(opClose, closePayload(code, reason))
	c.flushControl()
	return err
}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}
