package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Config holds the socket options applied to every connection, accepted or
// dialed. The zero value is not useful; start from DefaultConfig.
type Config struct {
	// NoDelay sets TCP_NODELAY.
	NoDelay bool
	// KeepAlive sets SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL and
	// TCP_KEEPCNT.
	KeepAlive net.KeepAliveConfig
	// MaxFrameSize bounds incoming frames (S8); 0 means
	// wire.DefaultMaxMessageSize.
	MaxFrameSize uint32
}

// DefaultConfig returns the bus defaults of spec/bus.md: no-delay,
// keepalive 10 s idle, 5 s interval, 3 probes, 64 MiB frames.
func DefaultConfig() Config {
	return Config{
		NoDelay: true,
		KeepAlive: net.KeepAliveConfig{
			Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3,
		},
		MaxFrameSize: wire.DefaultMaxMessageSize,
	}
}

// Listener is a TCP listener. Accept returns raw connections; socket options
// are applied by Pending.Handshake on the owning shard.
type Listener struct {
	l   *net.TCPListener
	cfg Config
}

var _ transport.Listener = (*Listener)(nil)

// Listen binds addr ("host:port"; port 0 picks one).
func Listen(ctx context.Context, addr string, cfg Config) (*Listener, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: listen %s: %w", addr, err)
	}
	return &Listener{l: l.(*net.TCPListener), cfg: cfg}, nil
}

// Accept waits for the next connection.
func (l *Listener) Accept() (transport.Pending, error) {
	c, err := l.l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return &Pending{c: c, cfg: l.cfg}, nil
}

// Close stops the listener; a blocked Accept returns net.ErrClosed.
func (l *Listener) Close() error { return l.l.Close() }

// Addr reports the bound address.
func (l *Listener) Addr() net.Addr { return l.l.Addr() }

// Kind reports transport.KindTCP.
func (l *Listener) Kind() transport.Kind { return transport.KindTCP }

// Pending is an accepted TCP connection before its handshake.
type Pending struct {
	c   *net.TCPConn
	cfg Config
}

var _ transport.Pending = (*Pending)(nil)

// Handshake applies the socket options and returns the Conn. Plain TCP has
// no protocol handshake, so ctx is not consulted.
func (p *Pending) Handshake(context.Context) (transport.Conn, error) {
	c, err := newConn(p.c, p.cfg)
	if err != nil {
		p.c.Close()
		return nil, err
	}
	return c, nil
}

// NetConn returns the raw connection, for transports layered on TCP (TLS,
// WS) that build their own handshake on it.
func (p *Pending) NetConn() *net.TCPConn { return p.c }

// Close closes the raw connection.
func (p *Pending) Close() error { return p.c.Close() }

// Kind reports transport.KindTCP.
func (p *Pending) Kind() transport.Kind { return transport.KindTCP }

// RemoteAddr reports the peer's address.
func (p *Pending) RemoteAddr() net.Addr { return p.c.RemoteAddr() }

// Dial connects to addr and applies cfg.
func Dial(ctx context.Context, addr string, cfg Config) (*Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: dial %s: %w", addr, err)
	}
	tc, err := newConn(c.(*net.TCPConn), cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// Conn is an established TCP connection.
type Conn struct {
	nc *net.TCPConn
	fr *transport.FrameReader // owned by the single reader

	wmu sync.Mutex // serialises SendBatch; guards the following field
	// +checklocks:wmu
	nb net.Buffers // scratch for writev, reused to avoid an allocation per batch
}

var (
	_ transport.Conn    = (*Conn)(nil)
	_ transport.Limiter = (*Conn)(nil)
)

func newConn(nc *net.TCPConn, cfg Config) (*Conn, error) {
	if err := ApplyOptions(nc, cfg); err != nil {
		return nil, err
	}
	fr := transport.NewFrameReader(nc, cfg.MaxFrameSize)
	fr.SetDeadlineFunc(nc.SetReadDeadline)
	return &Conn{nc: nc, fr: fr}, nil
}

// ApplyOptions sets TCP_NODELAY and keepalive from cfg on nc. Transports
// layered on TCP (tlsconn, ws) call it on the owning shard, as tcp does.
func ApplyOptions(nc *net.TCPConn, cfg Config) error {
	if err := nc.SetNoDelay(cfg.NoDelay); err != nil {
		return fmt.Errorf("tcp: set nodelay: %w", err)
	}
	if cfg.KeepAlive.Enable {
		if err := nc.SetKeepAliveConfig(cfg.KeepAlive); err != nil {
			return fmt.Errorf("tcp: set keepalive: %w", err)
		}
	}
	return nil
}

// ReadFrame reads the next validated frame (S8).
func (c *Conn) ReadFrame() (*wire.Frame, error) {
	f, err := c.fr.ReadFrame()
	if err != nil && errors.Is(err, net.ErrClosed) {
		err = fmt.Errorf("%w: %w", transport.ErrClosed, err)
	}
	return f, err
}

// SetReadLimits implements transport.Limiter: the frame limit applies from
// the next header, and a started frame must complete within FrameTimeout.
func (c *Conn) SetReadLimits(l transport.ReadLimits) { c.fr.SetReadLimits(l) }

// SendBatch writes frames with one writev (S2). net.Buffers loops until
// every byte is written or the write fails, so the batch is whole or an
// error (S3).
func (c *Conn) SendBatch(frames [][]byte) error {
	if len(frames) == 0 {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var err error
	if len(frames) == 1 {
		_, err = c.nc.Write(frames[0])
	} else {
		c.nb = frames
		_, err = c.nb.WriteTo(c.nc)
		c.nb = nil
	}
	return err
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// CloseRead shuts the read side; writes go on (transport.ReadCloser).
func (c *Conn) CloseRead() error { return c.nc.CloseRead() }

// CloseWrite shuts down the sending side; the peer reads io.EOF after the
// data already sent.
func (c *Conn) CloseWrite() error { return c.nc.CloseWrite() }

// Kind reports transport.KindTCP.
func (c *Conn) Kind() transport.Kind { return transport.KindTCP }

// RemoteAddr reports the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// NetConn returns the underlying connection (tests use it to write raw bytes).
func (c *Conn) NetConn() *net.TCPConn { return c.nc }
