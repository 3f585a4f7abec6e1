package tlsconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/wire"
)

// ErrNoConfig is returned by Listen and Dial without a tls.Config.
var ErrNoConfig = errors.New("tlsconn: nil tls.Config")

// Config configures a TLS listener.
type Config struct {
	// TCP holds the socket options and the frame limit (S8).
	TCP tcp.Config
	// TLS is the server configuration (see ServerConfig, NewServerConfig).
	TLS *tls.Config
}

// Listener accepts raw TCP connections; TLS runs later, on the owner (S6).
type Listener struct {
	l   *tcp.Listener
	cfg Config
}

var _ transport.Listener = (*Listener)(nil)

// Listen binds addr ("host:port"; port 0 picks one).
func Listen(ctx context.Context, addr string, cfg Config) (*Listener, error) {
	if cfg.TLS == nil {
		return nil, ErrNoConfig
	}
	l, err := tcp.Listen(ctx, addr, cfg.TCP)
	if err != nil {
		return nil, fmt.Errorf("tlsconn: %w", err)
	}
	return &Listener{l: l, cfg: cfg}, nil
}

// Accept returns the next raw connection without reading from it.
func (l *Listener) Accept() (transport.Pending, error) {
	p, err := l.l.Accept()
	if err != nil {
		return nil, err
	}
	return &Pending{c: p.(*tcp.Pending).NetConn(), cfg: l.cfg}, nil
}

// Close stops the listener; a blocked Accept returns net.ErrClosed.
func (l *Listener) Close() error { return l.l.Close() }

// Addr reports the bound address.
func (l *Listener) Addr() net.Addr { return l.l.Addr() }

// Kind reports transport.KindTLS.
func (l *Listener) Kind() transport.Kind { return transport.KindTLS }

// Pending is an accepted TCP connection before its TLS handshake.
type Pending struct {
	c   *net.TCPConn
	cfg Config
}

var _ transport.Pending = (*Pending)(nil)

// Handshake applies the socket options and runs the server TLS handshake.
// ctx bounds it: when ctx is done the connection is closed and Handshake
// returns an error (S6: a silent peer costs the owner one goroutine until
// the deadline, never the accept loop).
func (p *Pending) Handshake(ctx context.Context) (transport.Conn, error) {
	if err := tcp.ApplyOptions(p.c, p.cfg.TCP); err != nil {
		p.c.Close()
		return nil, err
	}
	bc := NewBatchConn(p.c)
	tc := tls.Server(bc, p.cfg.TLS)
	if err := tc.HandshakeContext(ctx); err != nil {
		p.c.Close()
		return nil, fmt.Errorf("tlsconn: handshake with %s: %w", p.c.RemoteAddr(), err)
	}
	return newConn(tc, bc, p.cfg.TCP.MaxFrameSize), nil
}

// Close closes the raw connection.
func (p *Pending) Close() error { return p.c.Close() }

// Kind reports transport.KindTLS.
func (p *Pending) Kind() transport.Kind { return transport.KindTLS }

// RemoteAddr reports the peer's address.
func (p *Pending) RemoteAddr() net.Addr { return p.c.RemoteAddr() }

// Dial connects to addr, runs the client TLS handshake under ctx and
// returns the Conn. cfg.ServerName defaults to addr's host. Socket options
// are tcp.DefaultConfig's.
func Dial(ctx context.Context, addr string, cfg *tls.Config) (*Conn, error) {
	if cfg == nil {
		return nil, ErrNoConfig
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tlsconn: dial %s: %w", addr, err)
	}
	raw := nc.(*net.TCPConn)
	tcfg := tcp.DefaultConfig()
	if err := tcp.ApplyOptions(raw, tcfg); err != nil {
		raw.Close()
		return nil, err
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			raw.Close()
			return nil, fmt.Errorf("tlsconn: dial %s: %w", addr, err)
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	bc := NewBatchConn(raw)
	tc := tls.Client(bc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("tlsconn: handshake with %s: %w", addr, err)
	}
	return newConn(tc, bc, tcfg.MaxFrameSize), nil
}

// maxKeptBuf bounds the batch buffer a Conn keeps between batches; a larger
// batch gets a buffer of its own that the collector reclaims.
const maxKeptBuf = 1 << 20

// Conn is an established TLS connection.
type Conn struct {
	tc *tls.Conn
	bc *BatchConn             // the socket under tc
	fr *transport.FrameReader // owned by the single reader

	wmu sync.Mutex // serialises SendBatch; guards the following field
	// +checklocks:wmu
	buf []byte // batch scratch, reused up to maxKeptBuf
}

var (
	_ transport.Conn    = (*Conn)(nil)
	_ transport.Limiter = (*Conn)(nil)
)

func newConn(tc *tls.Conn, bc *BatchConn, max uint32) *Conn {
	fr := transport.NewFrameReader(tc, max)
	fr.SetDeadlineFunc(tc.SetReadDeadline)
	// Bytes reaching the socket start the frame deadline, even when they
	// are only part of a TLS record.
	bc.SetReadHook(fr.Arm)
	return &Conn{tc: tc, bc: bc, fr: fr}
}

// ReadFrame reads the next validated frame (S8). A close_notify from the
// peer at a frame boundary is io.EOF.
func (c *Conn) ReadFrame() (*wire.Frame, error) {
	f, err := c.fr.ReadFrame()
	if err != nil && errors.Is(err, net.ErrClosed) {
		err = fmt.Errorf("%w: %w", transport.ErrClosed, err)
	}
	return f, err
}

// SetReadLimits implements transport.Limiter.
func (c *Conn) SetReadLimits(l transport.ReadLimits) { c.fr.SetReadLimits(l) }

// SendBatch copies the batch into one buffer and makes one TLS write,
// whose records are gathered under the TLS layer and written with one
// syscall (S2). tls.Conn.Write writes everything or fails, so the batch is
// whole or an error (S3).
func (c *Conn) SendBatch(frames [][]byte) error {
	switch len(frames) {
	case 0:
		return nil
	case 1:
		c.wmu.Lock()
		defer c.wmu.Unlock()
		_, err := c.tc.Write(frames[0])
		return err
	}
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	buf := c.buf[:0]
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	for _, f := range frames {
		buf = append(buf, f...)
	}
	if cap(buf) > maxKeptBuf {
		// A huge batch goes out record by record rather than doubling
		// its memory in the coalescing buffer.
		_, err := c.tc.Write(buf)
		return err
	}
	c.buf = buf
	c.bc.Begin()
	_, err := c.tc.Write(buf)
	if ferr := c.bc.Flush(); err == nil {
		err = ferr
	}
	return err
}

// Close sends close_notify (unless a write is in flight) and closes the
// connection.
func (c *Conn) Close() error { return c.tc.Close() }

// Kind reports transport.KindTLS.
func (c *Conn) Kind() transport.Kind { return transport.KindTLS }

// RemoteAddr reports the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.bc.RemoteAddr() }

// ConnectionState reports the negotiated TLS parameters.
func (c *Conn) ConnectionState() tls.ConnectionState { return c.tc.ConnectionState() }
