package shard

import (
	"context"
	"errors"
	"fmt"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// ErrReplicaConnected means an authenticated inbound replica connection
// was closed because its replica already holds a connection (the owner
// table names a shard).
var ErrReplicaConnected = errors.New("shard: replica already connected")

// InboundReplica is an accepted replica-plane connection. Its peer names
// itself only inside the handshake, which runs on the owning shard (S6),
// so shard 0 delegates it without an id (DelegateInboundReplica) and the
// owner learns the id from Peer once Handshake has authenticated it.
type InboundReplica interface {
	transport.Pending
	// Peer reports the replica Handshake authenticated. It is called only
	// after Handshake returned nil.
	Peer() wire.ReplicaID
	// Settled reports, on the owner's handshake goroutine, what became of
	// the connection: nil once it is installed on shard owner, otherwise
	// Handshake's error, an error wrapping ErrReplicaConnected, or the
	// install's error. It is called once per Handshake, never for a
	// connection closed before it reached its owner.
	Settled(owner wire.ShardID, err error)
}

// delegateInbound is the accept loop's delegate for a ListenerSpec with
// Replica set.
func (rt *Runtime) delegateInbound(p transport.Pending) {
	ip, ok := p.(InboundReplica)
	if !ok {
		rt.log.Error("replica listener returned a connection that is not an InboundReplica; closed",
			"kind", p.Kind(), "remote", p.RemoteAddr())
		p.Close()
		return
	}
	rt.DelegateInboundReplica(ip)
}

// DelegateInboundReplica hands an accepted replica-plane connection to an
// owning shard, chosen round-robin like DelegateReplica's. The owner runs
// the handshake on its bus under the bus's HandshakeTimeout and, only once
// the peer is authenticated, claims it in the owner table and installs the
// connection, so an unauthenticated peer never holds a replica's slot. On
// a full lane the connection is closed. It never blocks.
func (rt *Runtime) DelegateInboundReplica(p InboundReplica) (wire.ShardID, error) {
	owner := rt.coord.nextReplica()
	return owner, rt.post(owner, msg{kind: kindReplicaInbound, pending: p}, "replica")
}

// setupInbound runs p's handshake as background work of s's bus, then
// installs the connection for the replica it authenticated.
func (s *Shard) setupInbound(p InboundReplica) {
	err := s.bus.Go(func(ctx context.Context) {
		hctx, cancel := context.WithTimeout(ctx, s.bus.Config().HandshakeTimeout)
		defer cancel()
		c, err := p.Handshake(hctx)
		if err == nil {
			err = s.installInbound(p.Peer(), c)
		}
		p.Settled(s.id, err)
	})
	if err != nil {
		p.Close()
	}
}

// installInbound claims r for s in the owner table and installs c on s's
// bus, releasing the claim if the install fails. A replica owned already
// keeps its connection; c is closed.
func (s *Shard) installInbound(r wire.ReplicaID, c transport.Conn) error {
	owners := &s.rt.owners
	if !owners.Claim(r, s.id) {
		c.Close()
		owner, _ := owners.Owner(r)
		return fmt.Errorf("%w: replica %d on shard %d", ErrReplicaConnected, r, owner)
	}
	if err := s.bus.InstallReplica(r, c); err != nil {
		owners.ClearIfOwned(r, s.id)
		return err
	}
	return nil
}

// CloseReplica closes replica r's connection on whichever shard holds it
// (bus.Bus.CloseReplica): at once, with connection-lost fired and the
// owner table slot freed before it returns, unless a teardown of its own
// was already under way. It reports whether it closed one.
func (rt *Runtime) CloseReplica(r wire.ReplicaID, cause error) bool {
	owner, ok := rt.owners.Owner(r)
	return ok && rt.shards[owner].bus.CloseReplica(r, cause)
}
