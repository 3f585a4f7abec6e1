package quicconn

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Errors.
var (
	// ErrNoConfig is returned by Listen and Dial without a tls.Config.
	ErrNoConfig = errors.New("quicconn: nil tls.Config")
	// ErrALPN means the peer did not negotiate iggy.consensus.v1.
	ErrALPN = errors.New("quicconn: ALPN " + ALPN + " not negotiated")
	// Err0RTT means a connection used 0-RTT, which is refused.
	Err0RTT = errors.New("quicconn: 0-RTT not permitted")
)

// Config configures a QUIC listener.
type Config struct {
	// TLS is the server TLS configuration; ALPN and TLS 1.3 are set on a
	// copy.
	TLS *tls.Config
	// QUIC overrides DefaultQUICConfig when set (Allow0RTT is forced off).
	QUIC *quic.Config
	// MaxFrameSize bounds incoming frames (S8); 0 means
	// wire.DefaultMaxMessageSize.
	MaxFrameSize uint32
}

// Listener accepts QUIC connections whose handshake quic-go has completed.
type Listener struct {
	udp *net.UDPConn
	tr  *quic.Transport
	ql  *quic.Listener
	max uint32

	mu sync.Mutex // guards the following fields
	// +checklocks:mu
	live int // accepted connections not yet closed
	// +checklocks:mu
	closed bool
	// +checklocks:mu
	trClosed bool
}

var _ transport.Listener = (*Listener)(nil)

// Listen binds a UDP socket at addr ("host:port"; port 0 picks one).
func Listen(ctx context.Context, addr string, cfg Config) (*Listener, error) {
	if cfg.TLS == nil {
		return nil, ErrNoConfig
	}
	qc := cfg.QUIC
	if qc == nil {
		qc = DefaultQUICConfig()
	}
	qc = qc.Clone()
	qc.Allow0RTT = false
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("quicconn: listen %s: %w", addr, err)
	}
	udp := pc.(*net.UDPConn)
	tr := &quic.Transport{Conn: udp}
	ql, err := tr.Listen(withALPN(cfg.TLS), qc)
	if err != nil {
		tr.Close()
		udp.Close()
		return nil, fmt.Errorf("quicconn: listen %s: %w", addr, err)
	}
	return &Listener{udp: udp, tr: tr, ql: ql, max: cfg.MaxFrameSize}, nil
}

// Accept returns the next connection whose handshake completed. It never
// waits on a slow handshake (S6): quic-go runs handshakes concurrently and
// bounds them by HandshakeIdleTimeout.
func (l *Listener) Accept() (transport.Pending, error) {
	qc, err := l.ql.Accept(context.Background())
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.live++
	l.mu.Unlock()
	return &Pending{qc: qc, l: l}, nil
}

// Close stops accepting. Accepted connections keep running; the UDP socket
// is closed once the last of them is closed.
func (l *Listener) Close() error {
	err := l.ql.Close()
	l.mu.Lock()
	l.closed = true
	l.maybeCloseTransportLocked()
	l.mu.Unlock()
	return err
}

// release is called once per accepted connection when it is closed.
func (l *Listener) release() {
	l.mu.Lock()
	l.live--
	l.maybeCloseTransportLocked()
	l.mu.Unlock()
}

// l.mu must be held.
func (l *Listener) maybeCloseTransportLocked() {
	if l.closed && l.live == 0 && !l.trClosed {
		l.trClosed = true
		l.tr.Close()
		l.udp.Close()
	}
}

// Addr reports the bound UDP address.
func (l *Listener) Addr() net.Addr { return l.udp.LocalAddr() }

// Kind reports transport.KindQUIC.
func (l *Listener) Kind() transport.Kind { return transport.KindQUIC }

// Pending is a QUIC connection before the owner has installed it.
type Pending struct {
	qc   *quic.Conn
	l    *Listener
	once sync.Once
}

var _ transport.Pending = (*Pending)(nil)

// Handshake checks ALPN and 0-RTT and starts the Conn's reader. The
// cryptographic handshake already completed inside quic-go under
// HandshakeIdleTimeout; ctx is honoured but nothing here blocks.
func (p *Pending) Handshake(ctx context.Context) (transport.Conn, error) {
	st := p.qc.ConnectionState()
	var err error
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
		_ = p.qc.CloseWithError(CodeHandshakeFailed, "handshake deadline")
	case st.TLS.NegotiatedProtocol != ALPN:
		err = ErrALPN
		_ = p.qc.CloseWithError(CodeHandshakeFailed, "alpn")
	case st.Used0RTT:
		err = Err0RTT
		_ = p.qc.CloseWithError(CodeProtocolViolated, "0-RTT not permitted")
	}
	if err != nil {
		p.once.Do(p.l.release)
		return nil, fmt.Errorf("quicconn: handshake with %s: %w", p.qc.RemoteAddr(), err)
	}
	return newServerConn(p.qc, p.l.max, func() { p.once.Do(p.l.release) }), nil
}

// Close abandons the connection.
func (p *Pending) Close() error {
	err := p.qc.CloseWithError(CodeShutdown, "")
	p.once.Do(p.l.release)
	return err
}

// Kind reports transport.KindQUIC.
func (p *Pending) Kind() transport.Kind { return transport.KindQUIC }

// RemoteAddr reports the peer's address.
func (p *Pending) RemoteAddr() net.Addr { return p.qc.RemoteAddr() }

// slot is one request stream and the frame read from it.
type slot struct {
	s    *quic.Stream
	f    *wire.Frame
	err  error
	done chan struct{} // closed when f or err is set
}

// readRequest reads sl's request frame under the connection's limits; it
// runs in its own goroutine, from the moment the stream is accepted
// (streams are accepted as they arrive, so none that arrived before the
// peer closed is lost). A stream exists once its first bytes have
// arrived, so a positive timeout bounds the whole frame (and the FIN after
// it) from then on. The frame cap is read when the frame's header is, so a
// cap the bus sets at install (its pre-login cap) applies to every stream
// whose header arrives after it: in practice all of them, as install
// follows the handshake at once. An empty stream is the client's goodbye,
// acknowledged by ackGoodbye.
func (c *serverConn) readRequest(sl *slot) {
	ok := fillSlot(sl, c.guard.Limit, c.guard.Timeout())
	c.mu.Lock()
	c.unread--
	if c.unread == 0 {
		c.cond.Broadcast()
	}
	c.mu.Unlock()
	switch {
	case ok:
		finishRead(sl.s)
	case sl.err == io.EOF:
		c.ackGoodbye(sl.s)
	}
}

// ackGoodbye finishes the goodbye stream s once every request stream
// accepted has been read in full, whether or not ReadFrame has taken it
// yet: the client may then close the connection without losing a request
// (CONNECTION_CLOSE discards what quic-go holds unread, not what a reader
// has read). Acknowledging only when ReadFrame reached the goodbye made
// the client's Close wait closeTimeout whenever the server was not
// reading, for instance under the bus's backpressure.
func (c *serverConn) ackGoodbye(s *quic.Stream) {
	c.mu.Lock()
	for c.unread > 0 && !c.closed {
		c.cond.Wait()
	}
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		_ = s.Close()
	}
}

// fillSlot reads sl's frame, capped at what max says when the header
// arrives, within timeout of now when it is positive, and closes sl.done.
// It reports whether a frame was read.
func fillSlot(sl *slot, max func() uint32, timeout time.Duration) bool {
	if timeout > 0 {
		_ = sl.s.SetReadDeadline(time.Now().Add(timeout))
	}
	sl.f, sl.err = readStreamFrameWith(sl.s, max)
	if sl.err != nil && errors.Is(sl.err, os.ErrDeadlineExceeded) {
		sl.err = fmt.Errorf("%w (%s): %w", transport.ErrFrameTimeout, timeout, sl.err)
	}
	ok := sl.err == nil
	close(sl.done)
	return ok
}

// readSlotWith is fillSlot, then finishRead after a frame.
func readSlotWith(sl *slot, max func() uint32, timeout time.Duration) {
	if fillSlot(sl, max, timeout) {
		finishRead(sl.s)
	}
}

// releaseSlots releases the frames read into slots nobody took, after
// their readers have ended.
func releaseSlots(slots []*slot) {
	for _, sl := range slots {
		if sl.f != nil {
			sl.f.Release()
		}
	}
}

// waiting is a request stream awaiting its reply.
type waiting struct {
	s  *quic.Stream
	id uint64
}

// serverConn is the server side of a QUIC connection.
//
// acceptLoop accepts every request stream as soon as quic-go has it and
// starts a reader for it, which reads the whole frame without waiting for
// ReadFrame; ReadFrame returns the frames in stream order. No stream is
// ever left unread: its data would stay in quic-go, counted against the
// connection's flow-control window, and once streams behind it had filled
// that window the client could not finish the oldest one, the one
// ReadFrame waits for, and both ends would stall. For the same reason a
// byte bound that pauses readers cannot work here; what bounds a
// connection's memory is MaxIncomingStreams (a stream holds its slot
// until its reply is sent) times the frame limit (see the package doc).
type serverConn struct {
	qc      *quic.Conn
	release func()

	// guard holds the read limits, applied to each stream as it is
	// accepted (frame size, and a deadline on the stream). It has no
	// connection-wide deadline.
	guard transport.FrameGuard

	done chan struct{} // closed by Close
	wg   sync.WaitGroup
	rerr sticky // owned by the ReadFrame caller

	mu   sync.Mutex // guards the following fields
	cond sync.Cond  // on mu: the queue, unread, acceptErr or closed changed
	// +checklocks:mu
	queue []*slot // accepted streams ReadFrame has not taken, oldest first
	// +checklocks:mu
	unread int // accepted streams whose reader has not finished reading
	// +checklocks:mu
	acceptErr error // set when acceptLoop ends
	// +checklocks:mu
	closed bool

	pmu sync.Mutex // guards the following field
	// +checklocks:pmu
	pending []waiting // streams awaiting a reply, in arrival order

	wmu   sync.Mutex // serialises SendBatch
	stale atomic.Int64

	closeOnce sync.Once
}

var (
	_ transport.Conn    = (*serverConn)(nil)
	_ transport.Limiter = (*serverConn)(nil)
)

func newServerConn(qc *quic.Conn, max uint32, release func()) *serverConn {
	c := &serverConn{qc: qc, release: release, done: make(chan struct{})}
	c.guard.Init(max, nil)
	c.cond.L = &c.mu
	c.wg.Go(c.acceptLoop)
	return c
}

// acceptLoop accepts request streams (quic-go hands them out by stream id,
// i.e. in the order the client opened them) and starts a reader for each.
// quic-go bounds the streams open at once by MaxIncomingStreams.
func (c *serverConn) acceptLoop() {
	for {
		s, err := c.qc.AcceptStream(context.Background())
		c.mu.Lock()
		if err != nil || c.closed {
			if err == nil {
				err = transport.ErrClosed
				s.CancelRead(streamCodeRefused)
				s.CancelWrite(streamCodeRefused)
			}
			c.acceptErr = connErr(err)
			c.cond.Broadcast()
			c.mu.Unlock()
			return
		}
		sl := &slot{s: s, done: make(chan struct{})}
		c.queue = append(c.queue, sl)
		c.unread++
		c.cond.Broadcast()
		c.mu.Unlock()
		c.wg.Go(func() { c.readRequest(sl) })
	}
}

// next takes the oldest accepted stream, waiting for one if none is
// queued.
func (c *serverConn) next() (*slot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) == 0 && c.acceptErr == nil && !c.closed {
		c.cond.Wait()
	}
	switch {
	case c.closed:
		return nil, transport.ErrClosed
	case len(c.queue) == 0:
		return nil, c.acceptErr
	}
	sl := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	return sl, nil
}

// ReadFrame returns the next request frame, in the order the client sent
// them. It returns io.EOF after the client's goodbye (an empty stream,
// which follows every request the client sent) or a clean close.
func (c *serverConn) ReadFrame() (*wire.Frame, error) { return c.rerr.read(c.readFrame) }

func (c *serverConn) readFrame() (*wire.Frame, error) {
	sl, err := c.next()
	if err != nil {
		return nil, err
	}
	select {
	case <-sl.done:
	case <-c.done:
		return nil, transport.ErrClosed
	}
	switch {
	case sl.err == io.EOF: // the goodbye, which readRequest acknowledges
		return nil, io.EOF
	case sl.err != nil:
		sl.s.CancelRead(streamCodeRefused)
		sl.s.CancelWrite(streamCodeRefused)
		return nil, sl.err
	}
	f := sl.f
	sl.f = nil
	c.pmu.Lock()
	c.pending = append(c.pending, waiting{s: sl.s, id: binary.LittleEndian.Uint64(f.Bytes()[offRequestID:])})
	c.pmu.Unlock()
	return f, nil
}

// route removes and returns the stream a frame goes on: for a reply, the
// oldest stream waiting with the same request id; for a server-initiated
// frame, the oldest waiting stream. nil with stale=true means a reply
// nobody waits for; nil with stale=false means open a new stream.
func (c *serverConn) route(f []byte) (s *quic.Stream, stale bool) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	id, keyed := requestKey(f)
	for i, w := range c.pending {
		if !keyed || w.id == id {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return w.s, false
		}
	}
	return nil, keyed
}

// SendBatch sends each frame on the stream of the request it answers and
// finishes that stream (see the package doc). quic-go packs the streams'
// data into packets itself, so the batch leaves in as few packets as it
// fits. A connection error fails the batch (S3); a request stream the
// client abandoned only loses that frame.
func (c *serverConn) SendBatch(frames [][]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for _, f := range frames {
		s, stale := c.route(f)
		if stale {
			c.stale.Add(1)
			continue
		}
		if s != nil {
			if err := sendOn(s, f); err != nil {
				return connErr(err)
			}
			continue
		}
		us, err := c.qc.OpenUniStreamSync(c.qc.Context())
		if err != nil {
			return connErr(err)
		}
		if err := sendOn(us, f); err != nil {
			return connErr(err)
		}
	}
	return nil
}

// SetReadLimits implements transport.Limiter. The limits apply to request
// streams accepted from then on: a frame above MaxFrame is refused from
// its header (S8), and a stream's frame must be complete within
// FrameTimeout of the stream's arrival. A connection that opens no stream
// is bounded by the bus's login deadline and QUIC's idle timeout.
func (c *serverConn) SetReadLimits(l transport.ReadLimits) { c.guard.SetReadLimits(l) }

// Stale reports how many replies matched no waiting request and were
// discarded.
func (c *serverConn) Stale() int64 { return c.stale.Load() }

// Close closes the connection (CONNECTION_CLOSE with CodeNoError) and
// waits for the reader goroutines.
func (c *serverConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.done)
		c.mu.Lock()
		c.closed = true
		c.cond.Broadcast()
		c.mu.Unlock()
		err = c.qc.CloseWithError(CodeNoError, "")
		c.wg.Wait()
		c.mu.Lock()
		releaseSlots(c.queue)
		c.queue = nil
		c.mu.Unlock()
		c.release()
	})
	return err
}

// Kind reports transport.KindQUIC.
func (c *serverConn) Kind() transport.Kind { return transport.KindQUIC }

// RemoteAddr reports the peer's address.
func (c *serverConn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }
