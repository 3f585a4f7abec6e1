package replica

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/wire"
)

// binding is the channel binding a handshake MAC absorbs.
type binding struct {
	tls      bool
	exporter [32]byte
}

// handshaker runs the three-message handshake for one replica:
//
//	dialer                                acceptor
//	ReplicaHello(nonce_d, ts_d)      →
//	                                 ←    ReplicaChallenge(nonce_a, ts_a, MAC_a, status)
//	ReplicaFinish(MAC_d)             →
//
// The acceptor checks, in order: command, cluster id, the directional rule
// (dialer < acceptor), the timestamp, that nonce_d is unused and that the
// peer holds no connection this Hello may not supersede (the caller's busy
// check); any failure is answered with a Challenge carrying the status and
// no MAC. The dialer checks the Challenge's status, cluster id, sender,
// timestamp, MAC_a and only then records nonce_a. The acceptor verifies
// MAC_d and only then records nonce_d, so a forged MAC never uses up a
// ring slot. Claiming the peer is the owning shard's work, once the
// handshake has returned (shard.InboundReplica), so an unauthenticated
// Hello can never hold a replica's slot.
//
// A handshaker is immutable and safe for concurrent use.
type handshaker struct {
	auth   *Auth
	self   wire.ReplicaID
	nonces *NonceStore
	now    func() time.Time
	rand   io.Reader
}

// frameBuf is one handshake frame.
type frameBuf [wire.HeaderSize]byte

func (h *handshaker) put(b *frameBuf, cmd wire.Command, nonce [NonceSize]byte, mac [MACSize]byte, status Reason, ts uint64) {
	hh := wire.HandshakeHeader{
		Prefix:    wire.Prefix{Cluster: h.auth.cluster, Command: cmd, Replica: h.self},
		Nonce:     nonce,
		MAC:       mac,
		Status:    uint8(status),
		Timestamp: ts,
	}
	hh.Put(b[:])
}

// read reads exactly one 256-byte handshake frame. It never reads past it,
// so frames the peer sends right after the handshake stay for the bus
// reader.
func read(nc net.Conn, want wire.Command) (wire.HandshakeHeader, error) {
	var b frameBuf
	var hh wire.HandshakeHeader
	if _, err := io.ReadFull(nc, b[:]); err != nil {
		return hh, fmt.Errorf("replica: read %v: %w", want, err)
	}
	if cmd := wire.PeekCommand(b[:]); cmd != want {
		return hh, reject(ReasonUnknownCommand, "got %v, want %v", cmd, want)
	}
	if err := hh.Decode(b[:]); err != nil {
		return hh, reject(ReasonMalformed, "%v", err)
	}
	return hh, nil
}

func write(nc net.Conn, b *frameBuf) error {
	if _, err := nc.Write(b[:]); err != nil {
		return fmt.Errorf("replica: write %v: %w", wire.PeekCommand(b[:]), err)
	}
	return nil
}

func (h *handshaker) nonce() ([NonceSize]byte, error) {
	var n [NonceSize]byte
	_, err := io.ReadFull(h.rand, n[:])
	return n, err
}

func (h *handshaker) stamp() uint64 { return uint64(h.now().UnixNano()) }

// dial runs the dialer side against peer over nc, within ctx.
func (h *handshaker) dial(ctx context.Context, nc net.Conn, peer wire.ReplicaID, bd binding) error {
	return tcp.WithDeadline(ctx, nc, func() error { return h.dialSteps(nc, peer, bd) })
}

func (h *handshaker) dialSteps(nc net.Conn, peer wire.ReplicaID, bd binding) error {
	t := transcript{dialer: h.self, acceptor: peer, tls: bd.tls, exporter: bd.exporter}
	var err error
	if t.nonceD, err = h.nonce(); err != nil {
		return err
	}
	t.tsD = h.stamp()
	var b frameBuf
	h.put(&b, wire.CommandReplicaHello, t.nonceD, [MACSize]byte{}, ReasonOK, t.tsD)
	if err := write(nc, &b); err != nil {
		return err
	}
	ch, err := read(nc, wire.CommandReplicaChallenge)
	if err != nil {
		return err
	}
	if ch.Status != uint8(ReasonOK) {
		return &RejectError{Reason: Reason(ch.Status), Remote: true}
	}
	if ch.Cluster != h.auth.cluster {
		return reject(ReasonClusterMismatch, "challenge cluster %v", ch.Cluster)
	}
	if ch.Replica != peer {
		return reject(ReasonWrongPeer, "challenge from replica %d, dialed %d", ch.Replica, peer)
	}
	if re := checkTimestamp(ch.Timestamp, h.now()); re != nil {
		return re
	}
	t.nonceA, t.tsA = ch.Nonce, ch.Timestamp
	if !h.auth.verify(&t, dirAcceptor, ch.MAC) {
		return reject(ReasonMACMismatch, "challenge MAC from replica %d", peer)
	}
	if !h.nonces.Insert(peer, t.nonceA) {
		return reject(ReasonReplayedNonce, "challenge nonce from replica %d", peer)
	}
	h.put(&b, wire.CommandReplicaFinish, [NonceSize]byte{}, h.auth.mac(&t, dirDialer), ReasonOK, h.stamp())
	return write(nc, &b)
}

// accept runs the acceptor side over nc, within ctx. busy, if not nil, is
// asked about the Hello's sender and timestamp once the Hello has passed
// the other checks; true refuses it as already connected, with a status
// the dialer sees. accept returns the peer's id whenever it was read, for
// the log.
func (h *handshaker) accept(ctx context.Context, nc net.Conn, busy func(wire.ReplicaID, uint64) bool, bd binding) (wire.ReplicaID, error) {
	var peer wire.ReplicaID
	err := tcp.WithDeadline(ctx, nc, func() (err error) {
		peer, err = h.acceptSteps(nc, busy, bd)
		return err
	})
	return peer, err
}

func (h *handshaker) acceptSteps(nc net.Conn, busy func(wire.ReplicaID, uint64) bool, bd binding) (wire.ReplicaID, error) {
	var b frameBuf
	refuse := func(peer wire.ReplicaID, re *RejectError) (wire.ReplicaID, error) {
		// Best effort: tell the dialer why, so its log names the cause.
		h.put(&b, wire.CommandReplicaChallenge, [NonceSize]byte{}, [MACSize]byte{}, re.Reason, h.stamp())
		write(nc, &b)
		return peer, re
	}
	hello, err := read(nc, wire.CommandReplicaHello)
	if err != nil {
		var re *RejectError
		if errors.As(err, &re) {
			return refuse(0, re)
		}
		return 0, err
	}
	peer := hello.Replica
	switch {
	case hello.Cluster != h.auth.cluster:
		return refuse(peer, reject(ReasonClusterMismatch, "hello cluster %v from replica %d", hello.Cluster, peer))
	case peer >= h.self:
		return refuse(peer, reject(ReasonDirectional, "replica %d dialed replica %d; only lower ids dial", peer, h.self))
	}
	if re := checkTimestamp(hello.Timestamp, h.now()); re != nil {
		re.Detail += fmt.Sprintf(" (hello from replica %d)", peer)
		return refuse(peer, re)
	}
	if h.nonces.Seen(peer, hello.Nonce) {
		return refuse(peer, reject(ReasonReplayedNonce, "hello nonce from replica %d", peer))
	}
	if busy != nil && busy(peer, hello.Timestamp) {
		return refuse(peer, reject(ReasonAlreadyConnected, "replica %d", peer))
	}
	t := transcript{
		dialer: peer, acceptor: h.self, nonceD: hello.Nonce, tsD: hello.Timestamp,
		tls: bd.tls, exporter: bd.exporter,
	}
	if t.nonceA, err = h.nonce(); err != nil {
		return peer, err
	}
	t.tsA = h.stamp()
	h.put(&b, wire.CommandReplicaChallenge, t.nonceA, h.auth.mac(&t, dirAcceptor), ReasonOK, t.tsA)
	if err := write(nc, &b); err != nil {
		return peer, err
	}
	fin, err := read(nc, wire.CommandReplicaFinish)
	if err != nil {
		return peer, err
	}
	switch {
	case fin.Cluster != h.auth.cluster:
		return peer, reject(ReasonClusterMismatch, "finish cluster %v from replica %d", fin.Cluster, peer)
	case fin.Replica != peer:
		return peer, reject(ReasonWrongPeer, "finish from replica %d, hello from %d", fin.Replica, peer)
	case !h.auth.verify(&t, dirDialer, fin.MAC):
		return peer, reject(ReasonMACMismatch, "finish MAC from replica %d", peer)
	case !h.nonces.Insert(peer, t.nonceD):
		// A concurrent handshake with the same nonce won the insert.
		return peer, reject(ReasonReplayedNonce, "hello nonce from replica %d", peer)
	}
	return peer, nil
}

// newHandshaker fills in a default clock and nonce store.
func newHandshaker(a *Auth, self wire.ReplicaID, nonces *NonceStore, now func() time.Time) *handshaker {
	if now == nil {
		now = time.Now
	}
	if nonces == nil {
		nonces = NewNonceStore()
	}
	return &handshaker{auth: a, self: self, nonces: nonces, now: now, rand: rand.Reader}
}
