package replica

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
	"lukechampine.com/blake3"
)

// Sizes and limits of the handshake. They are part of the wire format and
// must not be changed.
const (
	NonceSize = 32 // a handshake nonce
	MACSize   = 32 // a handshake MAC

	// TimestampWindow bounds how far a Hello or Challenge timestamp may be
	// from the receiver's clock, either way.
	TimestampWindow = 30 * time.Second

	// NonceRingSize is how many accepted nonces are remembered per peer.
	NonceRingSize = 64
)

// MAC transcript constants. domainTag is the protocol's (spec/wire.md
// §1.8); the subkey context is Shoal's.
const (
	domainTag  = "apache-iggy replica-auth v1"
	keyContext = "shoal replica-auth v1 psk mac subkey"

	dirDialer   byte = 1 // MAC computed by the dialer (Finish)
	dirAcceptor byte = 2 // MAC computed by the acceptor (Challenge)

	modePlain byte = 0 // no channel binding: exporter all zero
	modeTLS   byte = 1 // bound to the TLS session's exporter
)

// ClusterID is the cluster id the handshake carries: the first 16 bytes of
// BLAKE3(name), read little-endian.
func ClusterID(name string) wire.Uint128 {
	sum := blake3.Sum256([]byte(name))
	return wire.Uint128{Lo: binary.LittleEndian.Uint64(sum[0:8]), Hi: binary.LittleEndian.Uint64(sum[8:16])}
}

// Reason says why a handshake was refused. Reasons below 16 travel in a
// Challenge's status byte with the same meaning as in Iggy; 16 and up are
// Shoal's. These values are part of the wire format.
type Reason uint8

const (
	ReasonOK               Reason = 0  // accepted
	ReasonUnknownCommand   Reason = 1  // a frame of the wrong command for its position
	ReasonClusterMismatch  Reason = 2  // the frame's cluster id is not ours
	ReasonDirectional      Reason = 3  // the dialer's id is not lower than the acceptor's
	ReasonMACMismatch      Reason = 5  // a MAC did not verify (logged, never sent)
	ReasonStaleTimestamp   Reason = 16 // timestamp outside ±TimestampWindow
	ReasonReplayedNonce    Reason = 17 // a nonce this peer already used
	ReasonAlreadyConnected Reason = 18 // the peer holds a connection already
	ReasonMalformed        Reason = 19 // not a valid handshake header
	ReasonWrongPeer        Reason = 20 // the acceptor is not the replica dialed (logged)
)

func (r Reason) String() string {
	switch r {
	case ReasonOK:
		return "ok"
	case ReasonUnknownCommand:
		return "unknown_command"
	case ReasonClusterMismatch:
		return "cluster_mismatch"
	case ReasonDirectional:
		return "directional_rule"
	case ReasonMACMismatch:
		return "mac_mismatch"
	case ReasonStaleTimestamp:
		return "stale_timestamp"
	case ReasonReplayedNonce:
		return "replayed_nonce"
	case ReasonAlreadyConnected:
		return "already_connected"
	case ReasonMalformed:
		return "malformed"
	case ReasonWrongPeer:
		return "wrong_peer"
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// RejectError is a refused handshake. Remote is set when the peer refused
// us (a Challenge with a non-zero status) rather than we it.
type RejectError struct {
	Reason Reason
	Remote bool
	Detail string
}

func (e *RejectError) Error() string {
	who := "refused"
	if e.Remote {
		who = "refused by peer"
	}
	if e.Detail == "" {
		return fmt.Sprintf("replica: handshake %s: %v", who, e.Reason)
	}
	return fmt.Sprintf("replica: handshake %s: %v: %s", who, e.Reason, e.Detail)
}

// Is matches another *RejectError with the same Reason and side, so tests
// and callers can write errors.Is(err, &RejectError{Reason: ...}).
func (e *RejectError) Is(target error) bool {
	t, ok := target.(*RejectError)
	return ok && t.Reason == e.Reason && t.Remote == e.Remote
}

func reject(r Reason, format string, args ...any) *RejectError {
	return &RejectError{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// Auth holds what both ends of a handshake must share: the MAC subkey
// (derived from the cluster secret, which itself never leaves this struct's
// constructor) and the cluster id. During a key rotation it also holds a
// verify-only subkey (WithPrevious).
type Auth struct {
	key     [32]byte
	prev    *[32]byte // verify-only; nil outside a rotation
	cluster wire.Uint128
}

// NewAuth derives the MAC subkey from secret and the cluster id from name.
func NewAuth(secret Secret, clusterName string) *Auth {
	a := &Auth{cluster: ClusterID(clusterName)}
	blake3.DeriveKey(a.key[:], keyContext, secret[:])
	return a
}

// WithPrevious makes a also accept MACs made with secret, which it never
// signs with (cluster.auth.previous_shared_secret). A rolling rotation from
// key A to key B without an outage takes three rolls, as in Iggy: every
// node to (shared A, previous B), then to (shared B, previous A), then to
// (shared B) alone. At each step a node that signs with one key talks to
// nodes that accept it.
func (a *Auth) WithPrevious(secret Secret) *Auth {
	a.prev = new([32]byte)
	blake3.DeriveKey(a.prev[:], keyContext, secret[:])
	return a
}

// Cluster returns the cluster id.
func (a *Auth) Cluster() wire.Uint128 { return a.cluster }

// transcript is what a handshake MAC covers. Both ends build the same one.
type transcript struct {
	dialer, acceptor wire.ReplicaID
	nonceD, nonceA   [NonceSize]byte
	tsD, tsA         uint64   // Shoal: the Hello and Challenge timestamps
	tls              bool     // mode byte
	exporter         [32]byte // TLS exporter value; zero on plain TCP
}

// mac computes BLAKE3-keyed(subkey, domain ‖ cluster ‖ dialer ‖ acceptor ‖
// nonce_d ‖ nonce_a ‖ ts_d ‖ ts_a ‖ mode ‖ exporter ‖ dir). Binding both
// nonces, the ordered pair and the direction defeats replay and reflection;
// binding the timestamps keeps a recorded Hello from being re-dated.
func (a *Auth) mac(t *transcript, dir byte) [MACSize]byte { return macWith(&a.key, a.cluster, t, dir) }

func macWith(key *[32]byte, cluster wire.Uint128, t *transcript, dir byte) [MACSize]byte {
	var buf [len(domainTag) + 16 + 2 + 2*NonceSize + 16 + 1 + 32 + 1]byte
	b := append(buf[:0], domainTag...)
	b = binary.LittleEndian.AppendUint64(b, cluster.Lo)
	b = binary.LittleEndian.AppendUint64(b, cluster.Hi)
	b = append(b, byte(t.dialer), byte(t.acceptor))
	b = append(b, t.nonceD[:]...)
	b = append(b, t.nonceA[:]...)
	b = binary.LittleEndian.AppendUint64(b, t.tsD)
	b = binary.LittleEndian.AppendUint64(b, t.tsA)
	mode := modePlain
	if t.tls {
		mode = modeTLS
	}
	b = append(b, mode)
	b = append(b, t.exporter[:]...)
	b = append(b, dir)
	h := blake3.New(MACSize, key[:])
	h.Write(b)
	var out [MACSize]byte
	h.Sum(out[:0])
	return out
}

// verify compares a received MAC with the expected one in constant time,
// under the current key and, during a rotation, the previous one.
func (a *Auth) verify(t *transcript, dir byte, got [MACSize]byte) bool {
	want := a.mac(t, dir)
	ok := subtle.ConstantTimeCompare(want[:], got[:]) == 1
	if a.prev != nil {
		old := macWith(a.prev, a.cluster, t, dir)
		ok = subtle.ConstantTimeCompare(old[:], got[:]) == 1 || ok
	}
	return ok
}

// checkTimestamp reports whether ts (wall-clock ns) is within
// TimestampWindow of now, either way.
func checkTimestamp(ts uint64, now time.Time) *RejectError {
	d := time.Duration(now.UnixNano() - int64(ts))
	if d > TimestampWindow || d < -TimestampWindow {
		return reject(ReasonStaleTimestamp, "timestamp off by %v", d)
	}
	return nil
}

// NonceStore remembers, per peer, the last NonceRingSize nonces that peer
// authenticated with, so none is accepted twice. It belongs to the replica
// plane, not to a listener or a connection, so it survives listener
// restarts; pass the same store to a restarted Plane (Config.Nonces). It is
// safe for concurrent use.
type NonceStore struct {
	mu    sync.Mutex // guards rings
	rings map[wire.ReplicaID]*nonceRing
}

// NewNonceStore returns an empty store.
func NewNonceStore() *NonceStore {
	return &NonceStore{rings: make(map[wire.ReplicaID]*nonceRing)}
}

// Seen reports whether peer already used n.
func (s *NonceStore) Seen(peer wire.ReplicaID, n [NonceSize]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rings[peer]
	return r != nil && r.contains(n)
}

// Insert records n for peer; it reports false, recording nothing, if peer
// already used n.
func (s *NonceStore) Insert(peer wire.ReplicaID, n [NonceSize]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rings[peer]
	if r == nil {
		r = &nonceRing{}
		s.rings[peer] = r
	}
	return r.insert(n)
}

// nonceRing is a FIFO of the last NonceRingSize nonces.
// Invariant: len <= NonceRingSize; slots[:len] are the live entries.
type nonceRing struct {
	slots [NonceRingSize][NonceSize]byte
	len   int
	next  int // slot overwritten next once full
}

func (r *nonceRing) contains(n [NonceSize]byte) bool {
	for i := range r.len {
		if r.slots[i] == n {
			return true
		}
	}
	return false
}

func (r *nonceRing) insert(n [NonceSize]byte) bool {
	if r.contains(n) {
		return false
	}
	if r.len < NonceRingSize {
		r.slots[r.len] = n
		r.len++
		return true
	}
	r.slots[r.next] = n
	r.next = (r.next + 1) % NonceRingSize
	return true
}
