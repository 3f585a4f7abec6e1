package ws

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	gws "github.com/gobwas/ws"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
)

const (
	// Subprotocol is the only Sec-WebSocket-Protocol value the server
	// accepts, and the one Dial offers.
	Subprotocol = "iggy.consensus.v1"
	// DefaultPort is the default WebSocket client port.
	DefaultPort = 8092
)

// rejectBody is the body of the HTTP 400 answer to a missing or wrong
// subprotocol.
const rejectBody = "ws: Sec-WebSocket-Protocol must be " + Subprotocol

// Errors.
var (
	// ErrSubprotocol: the peer did not offer (server) or echo (client)
	// iggy.consensus.v1.
	ErrSubprotocol = errors.New("ws: subprotocol " + Subprotocol + " required")
	// ErrProtocol: the peer broke RFC 6455 or sent a message that is not
	// one valid frame; the connection was closed with 1002 (or 1009 when
	// too large, wrapping wire.ErrFrameTooLarge).
	ErrProtocol = errors.New("ws: protocol violation")
	// ErrTextMessage: the peer sent a text message; closed with 1003.
	ErrTextMessage = errors.New("ws: text message")
)

// Config configures a WS or WSS listener.
type Config struct {
	// TCP holds the socket options and the maximum frame (= message) size.
	TCP tcp.Config
	// TLS, when set, makes the listener WSS: the TLS handshake runs first.
	TLS *tls.Config
}

// Listener accepts raw TCP connections; TLS and the upgrade run later, on
// the owner (S6).
type Listener struct {
	l   *tcp.Listener
	cfg Config
}

var _ transport.Listener = (*Listener)(nil)

// Listen binds addr ("host:port"; port 0 picks one).
func Listen(ctx context.Context, addr string, cfg Config) (*Listener, error) {
	l, err := tcp.Listen(ctx, addr, cfg.TCP)
	if err != nil {
		return nil, fmt.Errorf("ws: %w", err)
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

// Kind reports transport.KindWS or transport.KindWSS.
func (l *Listener) Kind() transport.Kind { return kindOf(l.cfg.TLS) }

func kindOf(c *tls.Config) transport.Kind {
	if c != nil {
		return transport.KindWSS
	}
	return transport.KindWS
}

// Pending is an accepted TCP connection before its (TLS and) upgrade.
type Pending struct {
	c   *net.TCPConn
	cfg Config
}

var _ transport.Pending = (*Pending)(nil)

// Handshake applies the socket options, runs the TLS handshake for WSS and
// then the WebSocket upgrade, all bounded by ctx. A missing or wrong
// subprotocol is answered with HTTP 400 and returns ErrSubprotocol. On any
// error the connection is closed.
func (p *Pending) Handshake(ctx context.Context) (transport.Conn, error) {
	c, err := p.handshake(ctx)
	if err != nil {
		p.c.Close()
		return nil, fmt.Errorf("ws: handshake with %s: %w", p.c.RemoteAddr(), err)
	}
	return c, nil
}

func (p *Pending) handshake(ctx context.Context) (*Conn, error) {
	if err := tcp.ApplyOptions(p.c, p.cfg.TCP); err != nil {
		return nil, err
	}
	var nc net.Conn = p.c
	var bc *tlsconn.BatchConn
	if p.cfg.TLS != nil {
		bc = tlsconn.NewBatchConn(p.c)
		tc := tls.Server(bc, p.cfg.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		nc = tc
	}
	hr := &headReader{r: nc}
	var offered, wrong bool
	up := gws.Upgrader{
		ProtocolCustom: func(v []byte) (string, bool) {
			if string(v) == Subprotocol {
				offered = true
				return Subprotocol, true
			}
			wrong = true
			return "", true
		},
		OnBeforeUpgrade: func() (gws.HandshakeHeader, error) {
			if !offered || wrong {
				return nil, gws.RejectConnectionError(
					gws.RejectionStatus(400),
					gws.RejectionReason(rejectBody),
				)
			}
			return nil, nil
		},
	}
	err := withDeadline(ctx, p.c, func() error {
		_, err := up.Upgrade(struct {
			io.Reader
			io.Writer
		}{hr, nc})
		return err
	})
	if err != nil {
		var rej *gws.ConnectionRejectedError
		if errors.As(err, &rej) && rej.Error() == rejectBody {
			err = fmt.Errorf("%w: %w", ErrSubprotocol, err)
		}
		return nil, err
	}
	return newConn(nc, p.c, bc, p.cfg.TCP.MaxFrameSize, false, kindOf(p.cfg.TLS), hr.rest()), nil
}

// Close closes the raw connection.
func (p *Pending) Close() error { return p.c.Close() }

// Kind reports transport.KindWS or transport.KindWSS.
func (p *Pending) Kind() transport.Kind { return kindOf(p.cfg.TLS) }

// RemoteAddr reports the peer's address.
func (p *Pending) RemoteAddr() net.Addr { return p.c.RemoteAddr() }

// aLongTimeAgo is a deadline in the past: setting it fails pending I/O.
var aLongTimeAgo = time.Unix(1, 0)

// withDeadline runs fn with nc's deadline set from ctx: ctx's deadline,
// and an immediate deadline once ctx is done.
func withDeadline(ctx context.Context, nc net.Conn, fn func() error) error {
	if dl, ok := ctx.Deadline(); ok {
		if err := nc.SetDeadline(dl); err != nil {
			return err
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(aLongTimeAgo) })
	err := fn()
	if !stop() {
		// ctx ended while fn ran: its deadline poisoned the connection.
		if cerr := context.Cause(ctx); err == nil || cerr != nil {
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
		return err
	}
	if err != nil {
		return err
	}
	return nc.SetDeadline(time.Time{})
}

// Dial connects to a ws:// or wss:// URL, offers the subprotocol and
// requires it echoed. tlsCfg is used for wss:// (nil means the system
// roots); ServerName defaults to the URL's host. Socket options are
// tcp.DefaultConfig's.
func Dial(ctx context.Context, rawURL string, tlsCfg *tls.Config) (*Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("ws: dial %s: %w", rawURL, err)
	}
	var kind transport.Kind
	switch u.Scheme {
	case "ws":
		kind = transport.KindWS
	case "wss":
		kind = transport.KindWSS
	default:
		return nil, fmt.Errorf("ws: dial %s: scheme must be ws or wss", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"ws": "80", "wss": "443"}[u.Scheme])
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ws: dial %s: %w", rawURL, err)
	}
	raw := c.(*net.TCPConn)
	cfg := tcp.DefaultConfig()
	conn, err := dialUpgrade(ctx, raw, u, kind, tlsCfg, cfg)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("ws: dial %s: %w", rawURL, err)
	}
	return conn, nil
}

func dialUpgrade(ctx context.Context, raw *net.TCPConn, u *url.URL, kind transport.Kind, tlsCfg *tls.Config, cfg tcp.Config) (*Conn, error) {
	if err := tcp.ApplyOptions(raw, cfg); err != nil {
		return nil, err
	}
	var nc net.Conn = raw
	var bc *tlsconn.BatchConn
	if kind == transport.KindWSS {
		if tlsCfg == nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if tlsCfg.ServerName == "" {
			tlsCfg = tlsCfg.Clone()
			tlsCfg.ServerName = u.Hostname()
		}
		bc = tlsconn.NewBatchConn(raw)
		tc := tls.Client(bc, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		nc = tc
	}
	var rest []byte
	err := withDeadline(ctx, raw, func() error {
		d := gws.Dialer{Protocols: []string{Subprotocol}}
		br, hs, err := d.Upgrade(nc, u)
		if br != nil {
			rest = buffered(br)
			gws.PutReader(br)
		}
		if err == nil && hs.Protocol != Subprotocol {
			err = ErrSubprotocol
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return newConn(nc, raw, bc, cfg.MaxFrameSize, true, kind, rest), nil
}

func buffered(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return append([]byte(nil), b...)
}
