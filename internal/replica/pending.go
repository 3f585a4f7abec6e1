package replica

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// listener is the replica plane's listener, served by shard 0's accept
// loop (shard.ListenerSpec.Replica, S6). It wraps a tcp or tlsconn
// listener, so Accept reads no byte; it only takes a handshake slot for
// each connection, or sheds the connection when all are taken, so the
// accept loop never waits for a slot.
type listener struct {
	l  transport.Listener
	pl *Plane
}

var _ transport.Listener = (*listener)(nil)

// Accept returns the next connection that got a handshake slot, as an
// *Inbound.
func (l *listener) Accept() (transport.Pending, error) {
	for {
		p, err := l.l.Accept()
		if err != nil {
			return nil, err
		}
		l.pl.accepts.Add(1)
		if l.pl.acquire() {
			return &Inbound{p: p, pl: l.pl}, nil
		}
		l.pl.shed.Add(1)
		l.pl.log.Warn("replica handshake shed: too many in flight", "remote", p.RemoteAddr(), "max", cap(l.pl.slots))
		p.Close()
	}
}

func (l *listener) Close() error         { return l.l.Close() }
func (l *listener) Addr() net.Addr       { return l.l.Addr() }
func (l *listener) Kind() transport.Kind { return l.l.Kind() }

// Inbound is an accepted replica connection before its handshake, holding
// a handshake slot. Its Handshake, run on the owning shard under the bus's
// handshake deadline, runs the transport's handshake (socket options, TLS
// when the plane uses it) and then the acceptor side of the replica
// handshake; Peer then names the authenticated replica, which the owner
// claims and installs (shard.InboundReplica).
type Inbound struct {
	p    transport.Pending // a tcp or tlsconn Pending
	pl   *Plane
	peer wire.ReplicaID
	ts   uint64    // the Hello's timestamp
	once sync.Once // releases the handshake slot
}

var _ shard.InboundReplica = (*Inbound)(nil)

func (in *Inbound) release() { in.once.Do(in.pl.release) }

// Handshake authenticates the dialer and returns the established Conn. On
// error the connection is closed.
func (in *Inbound) Handshake(ctx context.Context) (transport.Conn, error) {
	defer in.release()
	c, err := in.p.Handshake(ctx)
	if err != nil {
		return nil, err
	}
	nc, bd, err := stream(c)
	if err == nil {
		in.peer, err = in.pl.hs.accept(ctx, nc, in.busy, bd)
	}
	if err == nil {
		err = in.pl.supersede(in.peer, in.ts)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// busy is the handshake's check of the Hello: it keeps the Hello's
// timestamp and refuses a Hello that may not supersede r's connection.
func (in *Inbound) busy(r wire.ReplicaID, ts uint64) bool {
	in.ts = ts
	return in.pl.stale(r, ts)
}

// Peer returns the replica id the dialer announced (authenticated once
// Handshake returned nil).
func (in *Inbound) Peer() wire.ReplicaID { return in.peer }

// Settled logs the outcome and counts an installed connection.
func (in *Inbound) Settled(owner wire.ShardID, err error) {
	if errors.Is(err, shard.ErrReplicaConnected) {
		err = &RejectError{Reason: ReasonAlreadyConnected, Detail: err.Error()}
	}
	if err != nil {
		in.pl.log.Warn("replica handshake rejected", "side", "acceptor", "reason", reasonOf(err),
			"peer", int(in.peer), "remote", in.RemoteAddr(), "err", err)
		return
	}
	in.pl.helloTS[in.peer].Store(in.ts)
	in.pl.accepted.Add(1)
	in.pl.log.Info("replica connected", "side", "acceptor", "peer", int(in.peer), "shard", int(owner))
}

// Close abandons the connection.
func (in *Inbound) Close() error {
	in.release()
	return in.p.Close()
}

// Kind reports the transport under the replica handshake.
func (in *Inbound) Kind() transport.Kind { return in.p.Kind() }

// RemoteAddr reports the peer's address.
func (in *Inbound) RemoteAddr() net.Addr { return in.p.RemoteAddr() }

// Outbound is a connection shard 0 dialed to a peer, holding a handshake
// slot and the peer's dialing mark, handed to the owning shard with
// shard.Runtime.DelegateReplica. Its Handshake runs the client TLS
// handshake when the plane uses TLS and then the dialer side of the
// replica handshake, there. Both are released exactly once, when the
// handshake ends or the connection is abandoned, whichever comes first.
type Outbound struct {
	c    *tcp.Conn
	peer peer
	pl   *Plane
	once sync.Once
}

var _ transport.Pending = (*Outbound)(nil)

func (o *Outbound) finish() { o.once.Do(func() { o.pl.dialDone(o.peer.id) }) }

// Handshake authenticates the acceptor and returns the established Conn.
func (o *Outbound) Handshake(ctx context.Context) (transport.Conn, error) {
	defer o.finish()
	c, err := o.handshake(ctx)
	if err != nil {
		o.c.Close()
		o.pl.log.Warn("replica handshake rejected", "side", "dialer", "reason", reasonOf(err),
			"peer", int(o.peer.id), "err", err)
		return nil, fmt.Errorf("replica %d: %w", o.peer.id, err)
	}
	o.pl.log.Info("replica connected", "side", "dialer", "peer", int(o.peer.id))
	return c, nil
}

func (o *Outbound) handshake(ctx context.Context) (transport.Conn, error) {
	var c transport.Conn = o.c
	if o.pl.tls != nil {
		tc, err := tlsconn.Client(ctx, o.c.NetConn(), o.peer.addr, *o.pl.tls)
		if err != nil {
			return nil, err
		}
		c = tc
	}
	nc, bd, err := stream(c)
	if err == nil {
		err = o.pl.hs.dial(ctx, nc, o.peer.id, bd)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close abandons the connection.
func (o *Outbound) Close() error {
	o.finish()
	return o.c.Close()
}

// Kind reports transport.KindTLS when the plane uses TLS, else
// transport.KindTCP.
func (o *Outbound) Kind() transport.Kind {
	if o.pl.tls != nil {
		return transport.KindTLS
	}
	return transport.KindTCP
}

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
