package replica

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// MaxHandshakes is the default cap on replica handshakes in flight, dials
// included, across the whole plane (Iggy HEAD's
// MAX_INFLIGHT_REPLICA_HANDSHAKES). Connections beyond it are shed.
const MaxHandshakes = 256

// Config configures a Plane.
type Config struct {
	// ClusterName is cluster.name; the handshake carries its ClusterID.
	ClusterName string
	// Self is this replica's id (cluster.replica_id).
	Self wire.ReplicaID
	// Listen is the replica listener's address ("ip:tcp_replica").
	Listen string
	// Peers maps replica ids to their replica-plane addresses
	// (cluster.nodes). Only ids above Self are dialed; an entry for Self
	// is ignored.
	Peers map[wire.ReplicaID]string
	// Secret is the cluster pre-shared key (LoadSecret).
	Secret Secret
	// PreviousSecret, if set, is accepted but never signed with, for a
	// rolling key rotation (Auth.WithPrevious).
	PreviousSecret *Secret
	// ReconnectPeriod is the sweep period of the connector; 0 means the
	// shard bus's ReconnectPeriod (message_bus.reconnect_period).
	ReconnectPeriod time.Duration
	// DialTimeout bounds one dial; 0 means min(ReconnectPeriod, 5 s). The
	// handshake that follows is bounded by the owner bus's
	// HandshakeTimeout (message_bus.handshake_grace).
	DialTimeout time.Duration
	// MaxHandshakes caps handshakes in flight; 0 means MaxHandshakes.
	MaxHandshakes int
	// TCP holds socket options and the frame limit; the zero value means
	// the shard bus's keepalive settings, no-delay and its MaxMessageSize.
	TCP tcp.Config
	// TLS, if set, wraps every replica connection in TLS 1.3 with ALPN
	// iggy-replica, run on the owning shard before the replica handshake,
	// whose MACs then absorb the session's exporter. The same config serves
	// both roles: Certificates for accepting (and as the client
	// certificate), RootCAs (or InsecureSkipVerify for self-signed peers)
	// for dialing, ClientAuth and ClientCAs, if set, for checking the
	// dialer's certificate (mutual TLS); an empty ServerName means the
	// peer address's host.
	TLS *tls.Config
	// Nonces remembers peers' nonces; nil means a new store. Pass the old
	// Plane's store (Plane.Nonces) to a restarted Plane in the same
	// process.
	Nonces *NonceStore
	// Now is the wall clock for handshake timestamps; nil means time.Now.
	Now func() time.Time
	// Logger receives handshake and connector events; nil discards them.
	Logger *slog.Logger

	// tick, if set, replaces the reconnect ticker (tests).
	tick <-chan time.Time
	// swept, if set, is called after each sweep (tests).
	swept func()
}

// Plane is one replica's replica plane: the listener and the connector of
// shard 0, and the handshakes they hand to owning shards. Create it with
// Start. Its goroutines are background work of shard 0's bus (the
// runtime's accept loop, the connector, dials) and of the owning shards'
// buses (handshakes), so the Runtime's Shutdown stops and waits for them;
// Close stops accepting and dialing earlier.
type Plane struct {
	rt  *shard.Runtime
	cfg Config
	hs  *handshaker
	log *slog.Logger
	ln  *listener
	tls *tlsconn.Config // both roles; nil for plain TCP

	peers []peer // ids above Self, ascending

	slots chan struct{} // one token per handshake in flight

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	loops  sync.WaitGroup // the connector

	mu sync.Mutex // guards dialing
	// +checklocks:mu
	dialing map[wire.ReplicaID]bool // a dial or dialer handshake is in flight

	// helloTS holds, per lower peer, the Hello timestamp of its installed
	// connection, which only a newer Hello supersedes. It is meaningful
	// only while the owner table names the peer.
	helloTS [256]atomic.Uint64

	dials, accepts, accepted, shed atomic.Uint64
}

type peer struct {
	id   wire.ReplicaID
	addr string
}

// Start binds the replica listener through shard 0's Serve, whose accept
// loop delegates every connection to an owning shard
// (shard.ListenerSpec.Replica), and starts the connector, which dials
// every higher peer at once and then every ReconnectPeriod.
func Start(rt *shard.Runtime, cfg Config) (*Plane, error) {
	s0 := rt.Shard(0)
	bcfg := s0.Bus().Config()
	if cfg.ReconnectPeriod <= 0 {
		cfg.ReconnectPeriod = bcfg.ReconnectPeriod
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = min(cfg.ReconnectPeriod, 5*time.Second)
	}
	if cfg.MaxHandshakes <= 0 {
		cfg.MaxHandshakes = MaxHandshakes
	}
	if cfg.TCP == (tcp.Config{}) {
		cfg.TCP = tcp.Config{NoDelay: true, KeepAlive: bcfg.KeepAlive(), MaxFrameSize: bcfg.MaxMessageSize}
	}
	if cfg.Nonces == nil {
		cfg.Nonces = NewNonceStore()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pl := &Plane{
		rt:      rt,
		cfg:     cfg,
		hs:      newHandshaker(cfg.auth(), cfg.Self, cfg.Nonces, cfg.Now),
		log:     log.With("replica", int(cfg.Self)),
		tls:     tlsConfig(cfg.TLS, cfg.TCP),
		slots:   make(chan struct{}, cfg.MaxHandshakes),
		dialing: make(map[wire.ReplicaID]bool),
	}
	for id, addr := range cfg.Peers {
		if id > cfg.Self {
			pl.peers = append(pl.peers, peer{id, addr})
		}
	}
	slices.SortFunc(pl.peers, func(a, b peer) int { return cmp.Compare(a.id, b.id) })

	pl.ctx, pl.cancel = context.WithCancel(context.Background())
	if _, err := s0.Serve(shard.ListenerSpec{Name: "replica", Bind: pl.bind, Replica: true}); err != nil {
		pl.cancel()
		return nil, fmt.Errorf("replica: %w", err)
	}
	pl.loops.Add(1)
	if err := s0.Bus().Go(pl.connectLoop); err != nil {
		pl.loops.Done()
		pl.Close()
		return nil, err
	}
	return pl, nil
}

// bind binds the replica listener: tlsconn when the plane uses TLS, else
// tcp, wrapped in the handshake-slot listener.
func (pl *Plane) bind() (transport.Listener, error) {
	var l transport.Listener
	var err error
	if pl.tls != nil {
		l, err = tlsconn.Listen(context.Background(), pl.cfg.Listen, *pl.tls)
	} else {
		l, err = tcp.Listen(context.Background(), pl.cfg.Listen, pl.cfg.TCP)
	}
	if err != nil {
		return nil, err
	}
	pl.ln = &listener{l: l, pl: pl}
	return pl.ln, nil
}

// Addr reports the replica listener's address.
func (pl *Plane) Addr() net.Addr { return pl.ln.Addr() }

// Nonces returns the plane's nonce store.
func (pl *Plane) Nonces() *NonceStore { return pl.cfg.Nonces }

// Connected reports whether replica r has a connection (or a handshake
// that has claimed r) on some shard.
func (pl *Plane) Connected(r wire.ReplicaID) bool {
	_, ok := pl.rt.Owners().Owner(r)
	return ok
}

// Stats counts a Plane's connection events since Start.
type Stats struct {
	Dials    uint64 // dials the connector started
	Accepts  uint64 // connections the listener accepted
	Accepted uint64 // accepted connections authenticated and installed
	Shed     uint64 // connections closed and dials deferred by the handshake cap
}

// Stats reports the plane's counters.
func (pl *Plane) Stats() Stats {
	return Stats{
		Dials: pl.dials.Load(), Accepts: pl.accepts.Load(),
		Accepted: pl.accepted.Load(), Shed: pl.shed.Load(),
	}
}

// Close stops accepting and dialing: it closes the listener, which ends
// shard 0's accept loop for it, and waits for the connector to exit.
// Installed connections and handshakes already running on owning shards
// are left to the Runtime.
func (pl *Plane) Close() error {
	pl.cancel()
	err := pl.ln.Close()
	pl.loops.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (pl *Plane) acquire() bool {
	select {
	case pl.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (pl *Plane) release() { <-pl.slots }

// connectLoop sweeps at start and then again after a pause: minRedial
// after a sweep that had to dial, doubling while peers stay missing, up to
// ReconnectPeriod (which is also the pause once every peer is connected).
// So a cluster whose nodes start a moment apart, or a peer that restarts,
// is connected within a fraction of a second, and a peer that stays down
// is dialed every ReconnectPeriod.
func (pl *Plane) connectLoop(ctx context.Context) {
	defer pl.loops.Done()
	timer := time.NewTimer(pl.cfg.ReconnectPeriod)
	defer timer.Stop()
	var pause time.Duration // 0 while every peer is connected
	for {
		missing := pl.sweep()
		if pl.cfg.swept != nil {
			pl.cfg.swept()
		}
		tick := pl.cfg.tick
		if tick == nil {
			pause = redialPause(pause, missing, pl.cfg.ReconnectPeriod)
			timer.Reset(cmp.Or(pause, pl.cfg.ReconnectPeriod))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-pl.ctx.Done():
			return
		case <-tick:
		}
	}
}

// redialPause is the pause after a sweep, given the one before: 0 (wait
// the reconnect period) when no peer was missing, else minRedial, doubling
// up to period.
func redialPause(prev time.Duration, missing bool, period time.Duration) time.Duration {
	switch {
	case !missing:
		return 0
	case prev == 0:
		return min(minRedial, period)
	}
	return min(2*prev, period)
}

// minRedial is the first pause after a sweep that had to dial a peer.
const minRedial = 100 * time.Millisecond

// sweep dials every higher peer that is neither connected (owner table)
// nor being dialed, each dial as its own background task of shard 0. It
// reports whether some peer was not connected.
func (pl *Plane) sweep() (missing bool) {
	for _, p := range pl.peers {
		if pl.Connected(p.id) {
			continue
		}
		missing = true
		pl.mu.Lock()
		busy := pl.dialing[p.id]
		pl.mu.Unlock()
		if busy {
			continue
		}
		if !pl.acquire() {
			pl.shed.Add(1)
			pl.log.Warn("replica dial deferred: too many handshakes in flight", "peer", int(p.id))
			continue
		}
		pl.mu.Lock()
		pl.dialing[p.id] = true
		pl.mu.Unlock()
		pl.dials.Add(1)
		if err := pl.rt.Shard(0).Bus().Go(func(ctx context.Context) { pl.dial(ctx, p) }); err != nil {
			pl.dialDone(p.id)
		}
	}
	return missing
}

func (pl *Plane) dialDone(r wire.ReplicaID) {
	pl.mu.Lock()
	delete(pl.dialing, r)
	pl.mu.Unlock()
	pl.release()
}

// dial connects to p under DialTimeout and delegates the connection to an
// owning shard, which claims p in the owner table and runs the dialer
// handshake.
func (pl *Plane) dial(ctx context.Context, p peer) {
	dctx, cancel := context.WithTimeout(ctx, pl.cfg.DialTimeout)
	c, err := tcp.Dial(dctx, p.addr, pl.cfg.TCP)
	cancel()
	if err != nil {
		pl.dialDone(p.id)
		pl.log.Debug("replica dial failed", "peer", int(p.id), "addr", p.addr, "err", err)
		return
	}
	if _, err := pl.rt.DelegateReplica(p.id, &Outbound{c: c, peer: p, pl: pl}); err != nil {
		pl.log.Warn("replica delegation failed", "peer", int(p.id), "err", err)
	}
}

// auth builds the handshake's keys from the secrets.
func (cfg *Config) auth() *Auth {
	a := NewAuth(cfg.Secret, cfg.ClusterName)
	if cfg.PreviousSecret != nil {
		a.WithPrevious(*cfg.PreviousSecret)
	}
	return a
}
