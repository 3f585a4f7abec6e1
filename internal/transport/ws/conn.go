package ws

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	gws "github.com/gobwas/ws"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
)

// RFC 6455 opcodes. These constants are part of the wire format and must
// not be changed.
const (
	opContinuation = 0x0 // later fragment of a message; reassembled
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

	// guard holds the read limits (frame size, frame deadline); its
	// SetReadLimits is safe from any goroutine.
	guard transport.FrameGuard

	// Reader state. Owned by the single reader.
	small  [256]byte // idle read target, so an idle Conn borrows no buffer
	rbuf   *[]byte   // borrowed look-ahead, nil when idle
	rs, re int       // unread bytes are (*rbuf)[rs:re]
	rerr   error     // sticky read error
	idle   bool      // waiting for the first byte of a message: no deadline

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

var (
	_ transport.Conn    = (*Conn)(nil)
	_ transport.Limiter = (*Conn)(nil)
)

// newConn wraps an upgraded connection. rest holds bytes already read past
// the upgrade (at most 4 KiB).
func newConn(nc net.Conn, raw *net.TCPConn, bc *tlsconn.BatchConn, max uint32, client bool, kind transport.Kind, rest []byte) *Conn {
	c := &Conn{nc: nc, raw: raw, bc: bc, kind: kind, client: client}
	c.guard.Init(max, raw.SetReadDeadline)
	if bc != nil {
		// WSS: bytes reaching the socket start the frame deadline, even
		// inside a TLS record that yields no plaintext yet.
		bc.SetReadHook(c.guard.Arm)
	}
	if len(rest) > 0 {
		c.rbuf = readBufs.Get().(*[]byte)
		c.re = copy(*c.rbuf, rest)
	}
	return c
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
// CloseRead shuts the socket's read side; writes go on
// (transport.ReadCloser).
func (c *Conn) CloseRead() error {
	if c.raw == nil {
		return errors.ErrUnsupported
	}
	return c.raw.CloseRead()
}

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
