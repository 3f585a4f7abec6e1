package ws

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	gws "github.com/gobwas/ws"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// RFC 6455 opcodes. These constants are part of the wire format and must
// not be changed.
const (
	opContinuation = 0x0 // fragment of a message; refused (one message = one frame)
	opText         = 0x1 // UTF-8 message; refused with 1003
	opBinary       = 0x2 // one wire frame
	opClose        = 0x8 // 2B code + reason, at most 125B
	opPing         = 0x9 // answered with a pong carrying the same payload
	opPong         = 0xa // ignored
)

// RFC 6455 close codes.
const (
	closeNormal      = 1000
	closeProtocol    = 1002
	closeUnsupported = 1003
	closeTooBig      = 1009
)

const (
	// readBufSize is the look-ahead buffer a Conn borrows while frames
	// are flowing; an idle Conn holds only its 256-byte small buffer.
	readBufSize = 64 << 10
	// maxKeptBuf bounds the batch buffer kept between batches.
	maxKeptBuf = 1 << 20
	// maxWSHeader is the longest frame header: 2 + 8 length + 4 mask.
	maxWSHeader = 14
	// closeWriteTimeout bounds the close frame Close writes.
	closeWriteTimeout = time.Second
)

var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// Conn is an established WebSocket connection carrying one wire frame per
// binary message. ReadFrame is called by one goroutine at a time; SendBatch
// and Close are safe for concurrent use.
type Conn struct {
	nc     net.Conn           // *tls.Conn for WSS, raw otherwise
	raw    *net.TCPConn       // the socket under nc
	bc     *tlsconn.BatchConn // WSS: gathers a batch's TLS records into one write; nil for WS
	kind   transport.Kind
	client bool // client role: masks what it sends, expects unmasked frames
	max    uint32

	// Reader state. Owned by the single reader.
	small  [256]byte // idle read target, so an idle Conn borrows no buffer
	rbuf   *[]byte   // borrowed look-ahead, nil when idle
	rs, re int       // unread bytes are (*rbuf)[rs:re]
	rerr   error     // sticky read error

	closing atomic.Bool // a close frame is queued: no more data frames

	ctlMu sync.Mutex // guards the following field; never held while writing
	// +checklocks:ctlMu
	ctl        []byte      // encoded control frames waiting for the write lock
	ctlPending atomic.Bool // ctl is non-empty (set and cleared under ctlMu)

	wmu sync.Mutex // serialises writes to nc; guards the following field
	// +checklocks:wmu
	wbuf []byte // batch scratch, reused up to maxKeptBuf
	// +checklocks:wmu
	iov net.Buffers // ws:// server: headers and payloads for one writev

	closeOnce sync.Once
	closeErr  error
}

var _ transport.Conn = (*Conn)(nil)

// newConn wraps an upgraded connection. rest holds bytes already read past
// the upgrade (at most 4 KiB).
func newConn(nc net.Conn, raw *net.TCPConn, bc *tlsconn.BatchConn, max uint32, client bool, kind transport.Kind, rest []byte) *Conn {
	if max == 0 {
		max = wire.DefaultMaxMessageSize
	}
	c := &Conn{nc: nc, raw: raw, bc: bc, kind: kind, client: client, max: max}
	if len(rest) > 0 {
		c.rbuf = readBufs.Get().(*[]byte)
		c.re = copy(*c.rbuf, rest)
	}
	return c
}

// ReadFrame returns the payload of the next binary message as a validated
// frame (S8), answering pings and skipping pongs on the way. It returns
// io.EOF after a close frame or a clean end of stream at a message boundary.
func (c *Conn) ReadFrame() (*wire.Frame, error) {
	if c.rerr != nil {
		return nil, c.rerr
	}
	f, err := c.readFrame()
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			err = fmt.Errorf("%w: %w", transport.ErrClosed, err)
		}
		c.rerr = err
		c.release()
	}
	return f, err
}

func (c *Conn) readFrame() (*wire.Frame, error) {
	for {
		if err := c.fill(2); err != nil {
			return nil, err
		}
		b := (*c.rbuf)[c.rs:c.re]
		b0, b1 := b[0], b[1]
		fin, op, masked := b0&0x80 != 0, b0&0x0f, b1&0x80 != 0
		hl := 2
		switch b1 & 0x7f {
		case 126:
			hl += 2
		case 127:
			hl += 8
		}
		if masked {
			hl += 4
		}
		if err := c.fill(hl); err != nil {
			return nil, unexpected(err)
		}
		b = (*c.rbuf)[c.rs:c.re]
		var n uint64
		switch l := b1 & 0x7f; l {
		case 126:
			n = uint64(binary.BigEndian.Uint16(b[2:]))
		case 127:
			n = binary.BigEndian.Uint64(b[2:])
		default:
			n = uint64(l)
		}
		var mask [4]byte
		if masked {
			copy(mask[:], b[hl-4:hl])
		}
		switch {
		case b0&0x70 != 0:
			return nil, c.fail(closeProtocol, "reserved bits set", ErrProtocol)
		case masked == c.client:
			return nil, c.fail(closeProtocol, "wrong masking", ErrProtocol)
		}
		c.rs += hl

		switch op {
		case opBinary:
			if !fin {
				return nil, c.fail(closeProtocol, "fragmented message", fmt.Errorf("%w: fragmented message", ErrProtocol))
			}
			// S8: the WS length is checked before any payload byte is read.
			if n > uint64(c.max) {
				return nil, c.fail(closeTooBig, "message too big",
					fmt.Errorf("%w: %w: %d > %d", ErrProtocol, wire.ErrFrameTooLarge, n, c.max))
			}
			if n < wire.HeaderSize {
				return nil, c.fail(closeProtocol, "invalid frame",
					fmt.Errorf("%w: %w: %d", ErrProtocol, wire.ErrFrameTooSmall, n))
			}
			var f *wire.Frame
			if n > wire.LargeFrame {
				// Grow with the bytes that arrive, not with the
				// announced length (wire.ReadLargeFrame).
				var hdr [wire.HeaderSize]byte
				if err := c.readPayload(hdr[:]); err != nil {
					return nil, err
				}
				var err error
				if f, err = wire.ReadLargeFrame(payloadReader{c}, int(n), hdr[:]); err != nil {
					return nil, err
				}
			} else {
				f = wire.NewFrame(int(n))
				if err := c.readPayload(f.Bytes()); err != nil {
					f.Release()
					return nil, err
				}
			}
			if masked {
				gws.Cipher(f.Bytes(), mask, 0)
			}
			if err := wire.CheckFrame(f.Bytes(), c.max); err != nil {
				f.Release()
				return nil, c.fail(closeProtocol, "invalid frame", fmt.Errorf("%w: %w", ErrProtocol, err))
			}
			c.releaseIfEmpty()
			return f, nil
		case opText:
			return nil, c.fail(closeUnsupported, "binary messages only", ErrTextMessage)
		case opClose, opPing, opPong:
			if !fin || n > 125 {
				return nil, c.fail(closeProtocol, "bad control frame", fmt.Errorf("%w: bad control frame", ErrProtocol))
			}
			var p [125]byte
			payload := p[:n]
			if err := c.readPayload(payload); err != nil {
				return nil, err
			}
			if masked {
				gws.Cipher(payload, mask, 0)
			}
			c.releaseIfEmpty()
			switch op {
			case opPing:
				c.queueControl(opPong, payload)
				c.flushControl()
			case opClose:
				if n == 1 {
					return nil, c.fail(closeProtocol, "bad close frame", fmt.Errorf("%w: bad close frame", ErrProtocol))
				}
				// Echo the status code and end the stream.
				c.queueControl(opClose, payload[:min(n, 2)])
				c.flushControl()
				return nil, io.EOF
			}
		default: // opContinuation without a start, or a reserved opcode
			return nil, c.fail(closeProtocol, "unexpected opcode", fmt.Errorf("%w: opcode %#x", ErrProtocol, op))
		}
	}
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

// fill makes at least n (<= readBufSize) bytes available in the look-ahead
// buffer. io.EOF means the stream ended with nothing buffered.
func (c *Conn) fill(n int) error {
	for c.re-c.rs < n {
		if c.rbuf == nil {
			m, err := c.nc.Read(c.small[:])
			if m > 0 {
				c.rbuf = readBufs.Get().(*[]byte)
				c.rs, c.re = 0, copy(*c.rbuf, c.small[:m])
				continue
			}
			if err != nil {
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
		_, err := io.ReadFull(c.nc, dst)
		return unexpected(err)
	}
	if err := c.fill(len(dst)); err != nil {
		return unexpected(err)
	}
	c.rs += copy(dst, (*c.rbuf)[c.rs:c.re])
	return nil
}

// payloadReader reads payload bytes: the look-ahead first, then the
// connection. Its callers never ask for more than the payload has left.
type payloadReader struct{ c *Conn }

func (r payloadReader) Read(p []byte) (int, error) {
	c := r.c
	if c.rbuf != nil && c.rs < c.re {
		n := copy(p, (*c.rbuf)[c.rs:c.re])
		c.rs += n
		return n, nil
	}
	c.release()
	return c.nc.Read(p)
}

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

// queueControl appends a control frame for the next writer. After a close
// frame nothing more is queued.
func (c *Conn) queueControl(op byte, payload []byte) {
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	if c.closing.Load() {
		return
	}
	if op == opClose {
		c.closing.Store(true)
	}
	c.ctl = c.appendFrame(c.ctl, op, payload)
	c.ctlPending.Store(true)
}

// flushControl writes queued control frames if the write lock is free. If
// a SendBatch holds it, that SendBatch writes them when it is done, so the
// reader never waits behind a batch.
func (c *Conn) flushControl() {
	for c.ctlPending.Load() && c.wmu.TryLock() {
		c.writeControlLocked()
		c.wmu.Unlock()
	}
}

// writeControlLocked writes the queued control frames. c.wmu must be held.
func (c *Conn) writeControlLocked() {
	c.wbuf = c.takeControl(c.wbuf[:0])
	if len(c.wbuf) > 0 {
		_, _ = c.nc.Write(c.wbuf) // a failure surfaces on the next read or send
	}
}

// takeControl appends the queued control frames to b and empties the queue.
func (c *Conn) takeControl(b []byte) []byte {
	c.ctlMu.Lock()
	defer c.ctlMu.Unlock()
	b = append(b, c.ctl...)
	c.ctl = c.ctl[:0]
	c.ctlPending.Store(false)
	return b
}

// SendBatch encodes every frame as one binary message into one buffer,
// preceded by any queued control frames, and writes it once (S2). Write
// writes everything or fails, so the batch is whole or an error (S3).
func (c *Conn) SendBatch(frames [][]byte) error {
	if len(frames) == 0 {
		return nil
	}
	c.wmu.Lock()
	err := c.sendLocked(frames)
	c.wmu.Unlock()
	c.flushControl() // control frames queued while we held the lock
	return err
}

// sendLocked is SendBatch's body. c.wmu must be held.
func (c *Conn) sendLocked(frames [][]byte) error {
	if c.closing.Load() {
		return transport.ErrClosed
	}
	if !c.client && c.bc == nil {
		return c.writevLocked(frames)
	}
	n := 0
	for _, f := range frames {
		n += maxWSHeader + len(f)
	}
	buf := c.wbuf[:0]
	if cap(buf) < n+128 {
		buf = make([]byte, 0, n+128)
	}
	buf = c.takeControl(buf)
	for _, f := range frames {
		buf = c.appendFrame(buf, opBinary, f)
	}
	if cap(buf) > maxKeptBuf || c.bc == nil {
		if cap(buf) <= maxKeptBuf {
			c.wbuf = buf
		}
		_, err := c.nc.Write(buf)
		return err
	}
	c.wbuf = buf
	c.bc.Begin()
	_, err := c.nc.Write(buf)
	if ferr := c.bc.Flush(); err == nil {
		err = ferr
	}
	return err
}

// writevLocked is sendLocked for a ws:// server: the frame headers (and
// any queued control frames) are encoded into one small buffer and written
// together with the unmasked payloads in one writev, so payloads are not
// copied. c.wmu must be held.
func (c *Conn) writevLocked(frames [][]byte) error {
	hdr := c.takeControl(c.wbuf[:0])
	ctl := len(hdr)
	for _, f := range frames {
		hdr = appendHeader(hdr, opBinary, len(f), false)
	}
	if cap(hdr) <= maxKeptBuf {
		c.wbuf = hdr
	}
	iov := c.iov[:0]
	if ctl > 0 {
		iov = append(iov, hdr[:ctl])
	}
	off := ctl
	for _, f := range frames {
		h := headerLen(len(f))
		iov = append(iov, hdr[off:off+h], f)
		off += h
	}
	c.iov = iov[:0]
	_, err := iov.WriteTo(c.nc)
	clear(c.iov[:cap(c.iov)])
	return err
}

// headerLen is the length of an unmasked frame header for n payload bytes.
func headerLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// appendHeader appends a frame header with FIN set.
func appendHeader(b []byte, op byte, n int, masked bool) []byte {
	var maskBit byte
	if masked {
		maskBit = 0x80
	}
	b = append(b, 0x80|op)
	switch {
	case n < 126:
		return append(b, maskBit|byte(n))
	case n <= 0xffff:
		b = append(b, maskBit|126)
		return binary.BigEndian.AppendUint16(b, uint16(n))
	}
	b = append(b, maskBit|127)
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// appendFrame appends one unfragmented frame; in the client role the
// payload is masked with a fresh random key (RFC 6455 §5.3).
func (c *Conn) appendFrame(b []byte, op byte, payload []byte) []byte {
	b = appendHeader(b, op, len(payload), c.client)
	if !c.client {
		return append(b, payload...)
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:]) // crypto/rand.Read never fails
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, payload...)
	gws.Cipher(b[start:], mask, 0)
	return b
}

// Close sends a close frame (1000) unless a write is in flight or one was
// already sent, and closes the connection.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.queueControl(opClose, closePayload(closeNormal, ""))
		if c.wmu.TryLock() {
			if c.ctlPending.Load() {
				_ = c.raw.SetWriteDeadline(time.Now().Add(closeWriteTimeout))
				c.writeControlLocked()
			}
			c.wmu.Unlock()
		}
		c.closeErr = c.nc.Close()
	})
	return c.closeErr
}

// Kind reports transport.KindWS or transport.KindWSS.
func (c *Conn) Kind() transport.Kind { return c.kind }

// RemoteAddr reports the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }
