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

// Errors from Listen, Dial, Client and Pending.Handshake.
var (
	// ErrNoConfig is returned by Listen, Dial and Client without a tls.Config.
	ErrNoConfig = errors.New("tlsconn: nil tls.Config")
	// ErrNoALPN means Config.RequireALPN is set and the peer negotiated no
	// application protocol.
	ErrNoALPN = errors.New("tlsconn: peer negotiated no application protocol")
)

// Config configures a TLS listener or a client handshake (Client).
type Config struct {
	// TCP holds the socket options and the frame limit (S8).
	TCP tcp.Config
	// TLS is the server configuration (see ServerConfig, NewServerConfig),
	// or the client one for Client.
	TLS *tls.Config
	// RequireALPN refuses a peer that negotiates none of TLS.NextProtos.
	// Go's TLS fails a handshake whose ALPN offers do not overlap, but lets
	// a peer that offers none through; the replica plane (ALPN
	// iggy-replica) sets it so that such a peer is refused too. The client
	// plane leaves it off.
	RequireALPN bool
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
	c, err := handshake(ctx, p.c, tls.Server, p.cfg, p.c.RemoteAddr().String())
	if err != nil {
		return nil, err // not a nil *Conn in a non-nil interface
	}
	return c, nil
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
	ccfg := Config{TCP: tcp.DefaultConfig(), TLS: cfg}
	if err := tcp.ApplyOptions(raw, ccfg.TCP); err != nil {
		raw.Close()
		return nil, err
	}
	return Client(ctx, raw, addr, ccfg)
}

// Client runs the client TLS handshake under ctx on nc, a TCP connection
// to addr whose socket options the caller has set, and returns the Conn.
// It is the client half of Pending.Handshake, for a connection dialed on
// one goroutine and handshaken on another (the replica plane dials on
// shard 0 and handshakes on the owner, S6). cfg.TLS.ServerName defaults to
// addr's host; cfg.TCP.MaxFrameSize bounds incoming frames. On error nc is
// closed.
func Client(ctx context.Context, nc *net.TCPConn, addr string, cfg Config) (*Conn, error) {
	if cfg.TLS == nil {
		nc.Close()
		return nil, ErrNoConfig
	}
	if cfg.TLS.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("tlsconn: dial %s: %w", addr, err)
		}
		cfg.TLS = cfg.TLS.Clone()
		cfg.TLS.ServerName = host
	}
	return handshake(ctx, nc, tls.Client, cfg, addr)
}

// handshake runs the TLS handshake of either side (tls.Server or
// tls.Client) on raw under ctx, with a BatchConn between the two, and
// checks the ALPN if cfg requires it. On error raw is closed.
func handshake(ctx context.Context, raw *net.TCPConn, side func(net.Conn, *tls.Config) *tls.Conn, cfg Config, peer string) (*Conn, error) {
	bc := NewBatchConn(raw)
	tc := side(bc, cfg.TLS)
	err := tc.HandshakeContext(ctx)
	if err == nil && cfg.RequireALPN && tc.ConnectionState().NegotiatedProtocol == "" {
		err = ErrNoALPN
	}
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("tlsconn: handshake with %s: %w", peer, err)
	}
	return newConn(tc, bc, cfg.TCP.MaxFrameSize), nil
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

// CloseRead shuts the socket's read side under TLS; writes go on
// (transport.ReadCloser).
func (c *Conn) CloseRead() error { return c.bc.CloseRead() }

// Kind reports transport.KindTLS.
func (c *Conn) Kind() transport.Kind { return transport.KindTLS }

// RemoteAddr reports the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.bc.RemoteAddr() }

// ConnectionState reports the negotiated TLS parameters.
func (c *Conn) ConnectionState() tls.ConnectionState { return c.tc.ConnectionState() }

// NetConn returns the TLS stream, for a protocol that runs its own
// handshake over it before the first frame (the replica plane's). Nothing
// may read or write it once ReadFrame or SendBatch is in use.
func (c *Conn) NetConn() *tls.Conn { return c.tc }
