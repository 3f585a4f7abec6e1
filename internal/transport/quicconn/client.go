package quicconn

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Conn is the client side of a QUIC connection: one bidirectional stream
// per frame sent; replies are read in the order the requests were sent.
// ReadFrame is called by one goroutine at a time; SendBatch and Close are
// safe for concurrent use.
type Conn struct {
	udp *net.UDPConn
	tr  *quic.Transport
	qc  *quic.Conn
	max uint32
	// closeWait bounds how long Close waits for the goodbye to be
	// acknowledged: closeTimeout, or less in tests whose server is gone.
	closeWait time.Duration

	wmu sync.Mutex // serialises SendBatch, so a batch's streams are consecutive
	wg  sync.WaitGroup
	// closing is closed by Close; it unblocks a ReadFrame waiting for a reply.
	closing chan struct{}

	qmu sync.Mutex // guards the following fields
	// +checklocks:qmu
	queue []*slot // requests whose reply is not returned yet, oldest first
	// +checklocks:qmu
	wake context.CancelFunc // interrupts a ReadFrame waiting for a server-opened stream
	// +checklocks:qmu
	closed bool

	rerr      sticky // owned by the ReadFrame caller
	closeOnce sync.Once
	acked     bool // set by Close: the server acknowledged the goodbye (tests)
}

var _ transport.Conn = (*Conn)(nil)

// Dial connects to addr ("host:port") with ALPN iggy.consensus.v1 and no
// 0-RTT. cfg.ServerName defaults to addr's host.
func Dial(ctx context.Context, addr string, cfg *tls.Config) (*Conn, error) {
	if cfg == nil {
		return nil, ErrNoConfig
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("quicconn: dial %s: %w", addr, err)
	}
	tcfg := withALPN(cfg)
	if tcfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("quicconn: dial %s: %w", addr, err)
		}
		tcfg.ServerName = host
	}
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, fmt.Errorf("quicconn: dial %s: %w", addr, err)
	}
	tr := &quic.Transport{Conn: udp}
	qc, err := tr.Dial(ctx, ua, tcfg, clientQUICConfig())
	if err != nil {
		tr.Close()
		udp.Close()
		return nil, fmt.Errorf("quicconn: dial %s: %w", addr, err)
	}
	return &Conn{udp: udp, tr: tr, qc: qc, max: wire.DefaultMaxMessageSize, closeWait: closeTimeout, closing: make(chan struct{})}, nil
}

// SendBatch opens one stream per frame, writes the frame and finishes the
// stream, and starts a goroutine that reads the reply as soon as it comes:
// reading replies only in request order would let later replies fill the
// connection's flow-control window while the oldest is incomplete. It
// blocks while MaxStreams requests are in flight.
func (c *Conn) SendBatch(frames [][]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for _, f := range frames {
		s, err := c.qc.OpenStreamSync(c.qc.Context())
		if err != nil {
			return connErr(err)
		}
		if _, err := s.Write(f); err != nil {
			s.CancelRead(streamCodeRefused)
			s.CancelWrite(streamCodeRefused)
			return connErr(err)
		}
		// Close fails only if the server already stopped the stream
		// after reading the whole frame (finishRead); that is success.
		_ = s.Close()
		sl := &slot{s: s, done: make(chan struct{})}
		c.wg.Go(func() { readSlotWith(sl, func() uint32 { return c.max }, 0) })
		c.qmu.Lock()
		c.queue = append(c.queue, sl)
		if c.wake != nil {
			c.wake()
		}
		c.qmu.Unlock()
	}
	return nil
}

// ReadFrame returns the reply to the oldest request not yet answered; when
// no request is outstanding, a frame from a server-opened stream. A request
// stream the server reset or finished without a frame is skipped. It
// returns io.EOF once the server closed the connection cleanly.
func (c *Conn) ReadFrame() (*wire.Frame, error) { return c.rerr.read(c.readFrame) }

func (c *Conn) readFrame() (*wire.Frame, error) {
	for {
		sl, err := c.next()
		if err != nil {
			return nil, err
		}
		if sl == nil {
			us, err := c.acceptUni()
			if err != nil {
				return nil, err
			}
			if us == nil {
				continue // woken by SendBatch
			}
			f, err := readStreamFrame(us, c.max)
			if err != nil {
				us.CancelRead(streamCodeRefused)
				return nil, c.streamReadErr(err)
			}
			finishRead(us)
			return f, nil
		}
		select {
		case <-sl.done:
		case <-c.closing:
			return nil, transport.ErrClosed
		}
		switch {
		case sl.err == io.EOF || sl.err != nil && isStreamErr(sl.err):
			continue // no reply on this stream
		case sl.err != nil:
			sl.s.CancelRead(streamCodeRefused)
			return nil, c.streamReadErr(sl.err)
		}
		return sl.f, nil
	}
}

// streamReadErr maps a read error, preferring the connection's cause.
func (c *Conn) streamReadErr(err error) error {
	if cause := context.Cause(c.qc.Context()); cause != nil {
		return connErr(cause)
	}
	return err
}

// next pops the oldest request, or returns nil when none is outstanding.
func (c *Conn) next() (*slot, error) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.closed {
		return nil, transport.ErrClosed
	}
	if len(c.queue) == 0 {
		return nil, nil
	}
	s := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	return s, nil
}

// acceptUni waits for a server-opened stream until SendBatch queues a
// request (nil, nil) or the connection ends.
func (c *Conn) acceptUni() (*quic.ReceiveStream, error) {
	c.qmu.Lock()
	if len(c.queue) > 0 {
		c.qmu.Unlock()
		return nil, nil
	}
	ctx, cancel := context.WithCancel(c.qc.Context())
	c.wake = cancel
	c.qmu.Unlock()
	us, err := c.qc.AcceptUniStream(ctx)
	c.qmu.Lock()
	c.wake = nil
	c.qmu.Unlock()
	cancel()
	if err != nil {
		if cause := context.Cause(c.qc.Context()); cause != nil {
			return nil, connErr(cause)
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		return nil, connErr(err)
	}
	return us, nil
}

// Close says goodbye with an empty stream, waits up to closeTimeout for
// the server to acknowledge it (it has then read every request in full,
// see the package doc), and closes the connection and its UDP socket.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		// Only when no SendBatch is in flight: Close must not wait
		// behind one, it unblocks it.
		if c.wmu.TryLock() {
			if s, oerr := c.qc.OpenStream(); oerr == nil {
				if s.Close() == nil {
					_ = s.SetReadDeadline(time.Now().Add(c.closeWait))
					_, rerr := io.Copy(io.Discard, s)
					c.acked = rerr == nil
				}
			}
			c.wmu.Unlock()
		}
		c.qmu.Lock()
		c.closed = true
		c.qmu.Unlock()
		close(c.closing)
		err = c.qc.CloseWithError(CodeNoError, "")
		// Holding wmu, no SendBatch can start a reader while we wait; one
		// in flight fails promptly because the connection is closed.
		c.wmu.Lock()
		c.wg.Wait()
		c.wmu.Unlock()
		c.qmu.Lock()
		releaseSlots(c.queue)
		c.queue = nil
		c.qmu.Unlock()
		c.tr.Close()
		c.udp.Close()
	})
	return err
}

// Kind reports transport.KindQUIC.
func (c *Conn) Kind() transport.Kind { return transport.KindQUIC }

// RemoteAddr reports the server's address.
func (c *Conn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }
