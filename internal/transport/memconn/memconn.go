package memconn

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// half is one direction of a pipe: an unbounded byte buffer.
type half struct {
	mu   sync.Mutex
	cond sync.Cond
	// +checklocks:mu
	buf []byte
	// +checklocks:mu
	eof bool // writer closed: the reader sees io.EOF once buf is empty
	// +checklocks:mu
	closed bool // reader closed: reads and writes fail
}

func newHalf() *half {
	h := &half{}
	h.cond.L = &h.mu
	return h
}

// write appends all of bufs atomically.
func (h *half) write(bufs ...[]byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.eof || h.closed {
		return transport.ErrClosed
	}
	for _, b := range bufs {
		h.buf = append(h.buf, b...)
	}
	h.cond.Broadcast()
	return nil
}

func (h *half) read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.buf) == 0 && !h.eof && !h.closed {
		h.cond.Wait()
	}
	if h.closed {
		return 0, transport.ErrClosed
	}
	if len(h.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, h.buf)
	h.buf = h.buf[n:]
	if len(h.buf) == 0 {
		h.buf = nil
	}
	return n, nil
}

func (h *half) closeWrite() {
	h.mu.Lock()
	h.eof = true
	h.cond.Broadcast()
	h.mu.Unlock()
}

func (h *half) closeRead() {
	h.mu.Lock()
	h.closed = true
	h.buf = nil
	h.cond.Broadcast()
	h.mu.Unlock()
}

type reader struct{ h *half }

func (r reader) Read(p []byte) (int, error) { return r.h.read(p) }

type addr string

func (a addr) Network() string { return "mem" }
func (a addr) String() string  { return string(a) }

// Conn is one end of an in-memory connection.
type Conn struct {
	in, out *half
	fr      *transport.FrameReader
	remote  addr
	once    sync.Once
}

var (
	_ transport.Conn    = (*Conn)(nil)
	_ transport.Limiter = (*Conn)(nil)
)

// Pipe returns two connected ends; frames above max bytes are refused by
// the reader (0 means wire.DefaultMaxMessageSize).
func Pipe(max uint32) (*Conn, *Conn) {
	ab, ba := newHalf(), newHalf()
	a := &Conn{in: ba, out: ab, remote: "mem:b"}
	b := &Conn{in: ab, out: ba, remote: "mem:a"}
	a.fr = transport.NewFrameReader(reader{a.in}, max)
	b.fr = transport.NewFrameReader(reader{b.in}, max)
	return a, b
}

// ReadFrame reads the next validated frame.
func (c *Conn) ReadFrame() (*wire.Frame, error) { return c.fr.ReadFrame() }

// SetReadLimits implements transport.Limiter for the frame limit; an
// in-memory pipe has no read deadline, so FrameTimeout is not enforced.
func (c *Conn) SetReadLimits(l transport.ReadLimits) { c.fr.SetReadLimits(l) }

// SendBatch appends the whole batch to the peer's buffer in one step.
func (c *Conn) SendBatch(frames [][]byte) error {
	if len(frames) == 0 {
		return nil
	}
	return c.out.write(frames...)
}

// WriteRaw appends raw bytes, possibly a partial frame (tests of truncation).
func (c *Conn) WriteRaw(b []byte) error { return c.out.write(b) }

// Close ends both directions: the peer reads what was sent, then io.EOF; a
// blocked ReadFrame on c returns transport.ErrClosed.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.out.closeWrite()
		c.in.closeRead()
	})
	return nil
}

// Kind reports transport.KindMem.
func (c *Conn) Kind() transport.Kind { return transport.KindMem }

// RemoteAddr reports a symbolic peer address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// Listener hands out server ends of connections made with Dial.
type Listener struct {
	max    uint32
	conns  chan *Conn
	done   chan struct{}
	closer sync.Once
}

var _ transport.Listener = (*Listener)(nil)

// Listen returns a listener whose connections refuse frames above max.
func Listen(max uint32) *Listener {
	return &Listener{max: max, conns: make(chan *Conn), done: make(chan struct{})}
}

// Dial connects to l and returns the client end.
func (l *Listener) Dial(ctx context.Context) (*Conn, error) {
	client, server := Pipe(l.max)
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, fmt.Errorf("memconn: dial: %w", transport.ErrClosed)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Accept waits for the next Dial.
func (l *Listener) Accept() (transport.Pending, error) {
	select {
	case c := <-l.conns:
		return pending{c}, nil
	case <-l.done:
		return nil, fmt.Errorf("memconn: accept: %w", transport.ErrClosed)
	}
}

// Close stops the listener.
func (l *Listener) Close() error {
	l.closer.Do(func() { close(l.done) })
	return nil
}

// Addr reports a symbolic address.
func (l *Listener) Addr() net.Addr { return addr("mem:listener") }

// Kind reports transport.KindMem.
func (l *Listener) Kind() transport.Kind { return transport.KindMem }

type pending struct{ c *Conn }

func (p pending) Handshake(context.Context) (transport.Conn, error) { return p.c, nil }
func (p pending) Close() error                                      { return p.c.Close() }
func (p pending) Kind() transport.Kind                              { return transport.KindMem }
func (p pending) RemoteAddr() net.Addr                              { return p.c.remote }
