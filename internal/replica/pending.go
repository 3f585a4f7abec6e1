package replica

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

// Listener is the replica-plane listener, bound by shard 0 only (S6). It
// wraps a TCP listener; Accept returns an *Inbound without reading a byte.
type Listener struct {
	l   *tcp.Listener
	hs  *handshaker
	tls *tls.Config // server side; nil for plain TCP
	max uint32      // frame limit on a TLS connection
}

var _ transport.Listener = (*Listener)(nil)

// Accept waits for the next connection and returns it untouched.
func (l *Listener) Accept() (transport.Pending, error) {
	p, err := l.l.Accept()
	if err != nil {
		return nil, err
	}
	return &Inbound{p: p.(*tcp.Pending), hs: l.hs, tls: l.tls, max: l.max}, nil
}

// Close stops the listener; a blocked Accept returns net.ErrClosed.
func (l *Listener) Close() error { return l.l.Close() }

// Addr reports the bound address.
func (l *Listener) Addr() net.Addr { return l.l.Addr() }

// Kind reports transport.KindTCP.
func (l *Listener) Kind() transport.Kind { return transport.KindTCP }

// Inbound is an accepted replica connection before its handshake. Its
// Handshake, run on the owning shard under the bus's handshake deadline,
// applies the socket options, runs the TLS handshake when the plane uses
// TLS and then the acceptor side of the replica handshake; Peer then names
// the authenticated replica.
type Inbound struct {
	p   *tcp.Pending
	hs  *handshaker
	tls *tls.Config
	max uint32

	gate gate // Plane's owner-table check and claim
	peer wire.ReplicaID
}

var _ transport.Pending = (*Inbound)(nil)

// Handshake authenticates the dialer and returns the established Conn. On
// error the connection is closed.
func (in *Inbound) Handshake(ctx context.Context) (transport.Conn, error) {
	tc, err := in.p.Handshake(ctx)
	if err != nil {
		return nil, err
	}
	c := tc.(*tcp.Conn)
	if in.tls == nil {
		in.peer, err = in.hs.accept(ctx, c.NetConn(), in.gate, binding{})
		if err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	t, bd, err := startTLS(ctx, c.NetConn(), in.tls, true, "")
	if err == nil {
		in.peer, err = in.hs.accept(ctx, t, in.gate, bd)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return newTLSConn(t, c.NetConn(), in.max), nil
}

// Peer returns the replica id the dialer announced (authenticated once
// Handshake returned nil).
func (in *Inbound) Peer() wire.ReplicaID { return in.peer }

// Close abandons the connection.
func (in *Inbound) Close() error { return in.p.Close() }

// Kind reports transport.KindTCP.
func (in *Inbound) Kind() transport.Kind { return transport.KindTCP }

// RemoteAddr reports the peer's address.
func (in *Inbound) RemoteAddr() net.Addr { return in.p.RemoteAddr() }

// Outbound is a connection shard 0 dialed to a peer, handed to the owning
// shard with shard.Runtime.DelegateReplica. Its Handshake runs the dialer
// side there. done runs exactly once, when the handshake ends or the
// connection is abandoned, whichever comes first.
type Outbound struct {
	c    *tcp.Conn
	peer wire.ReplicaID
	addr string
	hs   *handshaker
	tls  *tls.Config // client side; nil for plain TCP
	max  uint32
	log  func(peer wire.ReplicaID, err error) // outcome of Handshake (nil: success)

	once sync.Once
	done func()
}

var _ transport.Pending = (*Outbound)(nil)

func (o *Outbound) finish() {
	o.once.Do(func() {
		if o.done != nil {
			o.done()
		}
	})
}

// Handshake authenticates the acceptor and returns the established Conn.
func (o *Outbound) Handshake(ctx context.Context) (transport.Conn, error) {
	defer o.finish()
	conn, err := o.handshake(ctx)
	if err != nil {
		o.c.Close()
		if o.log != nil {
			o.log(o.peer, err)
		}
		return nil, fmt.Errorf("replica %d: %w", o.peer, err)
	}
	if o.log != nil {
		o.log(o.peer, nil)
	}
	return conn, nil
}

func (o *Outbound) handshake(ctx context.Context) (transport.Conn, error) {
	if o.tls == nil {
		return o.c, o.hs.dial(ctx, o.c.NetConn(), o.peer, binding{})
	}
	t, bd, err := startTLS(ctx, o.c.NetConn(), o.tls, false, o.addr)
	if err != nil {
		return nil, err
	}
	if err := o.hs.dial(ctx, t, o.peer, bd); err != nil {
		return nil, err
	}
	return newTLSConn(t, o.c.NetConn(), o.max), nil
}

// Close abandons the connection.
func (o *Outbound) Close() error {
	o.finish()
	return o.c.Close()
}

// Kind reports transport.KindTCP.
func (o *Outbound) Kind() transport.Kind { return transport.KindTCP }

// RemoteAddr reports the peer's address.
func (o *Outbound) RemoteAddr() net.Addr { return o.c.RemoteAddr() }

// reasonOf extracts a handshake refusal's reason for logging.
func reasonOf(err error) string {
	var re *RejectError
	if errors.As(err, &re) {
		if re.Remote {
			return "peer: " + re.Reason.String()
		}
		return re.Reason.String()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "io"
}
