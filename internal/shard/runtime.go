package shard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Handlers run on the shard goroutine that receives the message (S5). They
// own the frames they are given.
type Handlers struct {
	// OnRequest handles a client Request on the client's owning shard.
	OnRequest func(s *Shard, id wire.ClientID, f *wire.Frame)
	// OnReplicaMessage handles a replica-plane frame on the shard holding
	// that replica's connection.
	OnReplicaMessage func(s *Shard, r wire.ReplicaID, f *wire.Frame)
	// OnConnectionLost runs on shard 0 once per replica disconnect, after
	// the owner table slot was freed.
	OnConnectionLost func(s *Shard, r wire.ReplicaID)
	// OnClientInstalled runs on the client's owning shard once per client
	// connection installed, usually before its first request (a request
	// that overtakes it is handled first; handlers must allow either
	// order). If the lifecycle lane is full it is skipped.
	OnClientInstalled func(s *Shard, id wire.ClientID)
	// OnClientLost runs on the client's owning shard once per closed client
	// connection (not during shutdown).
	OnClientLost func(s *Shard, id wire.ClientID)
}

// Runtime is a set of shards. Create it with New, stop it with Shutdown.
type Runtime struct {
	cfg      Config
	handlers Handlers
	log      *slog.Logger
	shards   []*Shard
	owners   OwnerTable
	coord    coordinator
	gate     *bus.Gate // shared by every shard's bus: the unauthenticated caps are process-wide

	quit chan struct{}  // closed when the shard loops must drain and exit
	wg   sync.WaitGroup // the shard loops

	mu sync.Mutex // guards the following fields
	// +checklocks:mu
	listeners []transport.Listener
	// +checklocks:mu
	stopped bool
}

// New starts cfg.Shards shard goroutines.
func New(cfg Config, h Handlers) (*Runtime, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := &Runtime{
		cfg:      cfg,
		handlers: h,
		log:      log,
		quit:     make(chan struct{}),
		gate:     bus.NewGate(cfg.Bus),
		coord: coordinator{
			n:                cfg.Shards,
			skipZeroClients:  cfg.SkipShardZeroForClients,
			skipZeroReplicas: cfg.SkipShardZeroForReplicas,
		},
	}
	rt.shards = make([]*Shard, cfg.Shards)
	for i := range rt.shards {
		s := &Shard{
			id:     wire.ShardID(i),
			rt:     rt,
			log:    log.With("shard", i),
			life:   make(chan msg, cfg.LifecycleLane),
			cons:   make(chan msg, cfg.ConsensusLane),
			reply:  make(chan msg, cfg.ReplyLane),
			data:   make(chan msg, cfg.DataLane),
			client: make(chan msg, cfg.ClientLane),
		}
		rt.shards[i] = s
	}
	for _, s := range rt.shards {
		s.bus = bus.New(s.id, cfg.Bus, s.busHooks(log))
		rt.wg.Add(1)
		go func() {
			defer rt.wg.Done()
			s.run()
		}()
	}
	return rt, nil
}

// Shards returns the number of shards.
func (rt *Runtime) Shards() int { return len(rt.shards) }

// Shard returns shard i.
func (rt *Runtime) Shard(i int) *Shard { return rt.shards[i] }

// Owners returns the replica owner table.
func (rt *Runtime) Owners() *OwnerTable { return &rt.owners }

// ListenerSpec names one listener for Serve. Bind creates it; only shard 0
// ever calls Bind (S6).
type ListenerSpec struct {
	Name string
	Bind func() (transport.Listener, error)
	// Replica marks the replica plane's listener (internal/replica): its
	// connections go to DelegateInboundReplica instead of DelegateClient,
	// so every Pending its Accept returns must be an InboundReplica.
	Replica bool
}

// Serve binds the listeners and starts their accept loops, on shard 0 only
// (S6): on any other shard it binds nothing and returns (nil, nil). Accept
// loops are background work of shard 0's bus; Shutdown closes the
// listeners first (S9).
func (s *Shard) Serve(specs ...ListenerSpec) ([]net.Addr, error) {
	if s.id != 0 {
		return nil, nil
	}
	rt := s.rt
	var bound []transport.Listener
	fail := func(err error) ([]net.Addr, error) {
		for _, l := range bound {
			l.Close()
		}
		return nil, err
	}
	for _, spec := range specs {
		l, err := spec.Bind()
		if err != nil {
			return fail(fmt.Errorf("shard: bind %s: %w", spec.Name, err))
		}
		bound = append(bound, l)
	}
	rt.mu.Lock()
	if rt.stopped {
		rt.mu.Unlock()
		return fail(bus.ErrShuttingDown)
	}
	rt.listeners = append(rt.listeners, bound...)
	rt.mu.Unlock()
	addrs := make([]net.Addr, len(bound))
	for i, l := range bound {
		addrs[i] = l.Addr()
		delegate := rt.delegateClient
		if specs[i].Replica {
			delegate = rt.delegateInbound
		}
		if err := s.bus.Go(func(ctx context.Context) { rt.acceptLoop(ctx, l, delegate) }); err != nil {
			l.Close()
			return nil, err
		}
	}
	return addrs, nil
}

// acceptLoop accepts until the listener closes, delegating every
// connection untouched (S6: no protocol work here).
func (rt *Runtime) acceptLoop(ctx context.Context, l transport.Listener, delegate func(transport.Pending)) {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	backoff := 5 * time.Millisecond
	for {
		p, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) || errors.Is(err, transport.ErrClosed) {
				return
			}
			// Transient (EMFILE, ECONNABORTED): back off, as net/http does.
			rt.log.Warn("accept failed", "listener", l.Addr(), "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		delegate(p)
	}
}

func (rt *Runtime) delegateClient(p transport.Pending) { rt.DelegateClient(p) }

// DelegateClient hands an accepted client connection to its owning shard:
// round-robin owner, id minted as owner<<112 | seq, Pending posted to the
// owner's lifecycle lane. On a full lane the connection is closed. It
// never blocks.
func (rt *Runtime) DelegateClient(p transport.Pending) (wire.ClientID, error) {
	owner, id := rt.coord.nextClient()
	return id, rt.post(owner, msg{kind: kindClientSetup, client: id, pending: p}, "client")
}

// DelegateReplica hands a connection to replica r (accepted or dialed by
// shard 0) to an owning shard, chosen round-robin (off shard 0 by
// default). The owner claims r in the owner table, runs the handshake and
// installs it; a shard finding r already owned drops the connection.
func (rt *Runtime) DelegateReplica(r wire.ReplicaID, p transport.Pending) (wire.ShardID, error) {
	owner := rt.coord.nextReplica()
	return owner, rt.post(owner, msg{kind: kindReplicaSetup, replica: r, pending: p}, "replica")
}

// post hands a connection-setup message to owner's lifecycle lane. If the
// owner is shutting down or the lane is full, the connection is closed
// and the error returned. It never blocks.
func (rt *Runtime) post(owner wire.ShardID, m msg, plane string) error {
	if rt.shards[owner].bus.ShuttingDown() {
		m.pending.Close()
		return bus.ErrShuttingDown
	}
	if err := try(rt.shards[owner].life, m); err != nil {
		rt.log.Warn(plane+" delegation failed; connection closed", "owner", owner, "err", err)
		m.pending.Close()
		return err
	}
	return nil
}

// Shutdown stops the runtime: it closes shard 0's listeners (stop
// accepting), shuts every bus down in the S9 order under ctx (concurrently
// across shards), then stops the shard loops, which drain their inboxes. It
// returns the summed drain outcome. If anything was forced, call Wait to
// join the goroutines left behind.
func (rt *Runtime) Shutdown(ctx context.Context) bus.DrainOutcome {
	rt.mu.Lock()
	if rt.stopped {
		rt.mu.Unlock()
		return bus.DrainOutcome{}
	}
	rt.stopped = true
	ls := rt.listeners
	rt.listeners = nil
	rt.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}

	outs := make([]bus.DrainOutcome, len(rt.shards))
	var wg sync.WaitGroup
	for i, s := range rt.shards {
		wg.Go(func() { outs[i] = s.bus.Shutdown(ctx) })
	}
	wg.Wait()
	close(rt.quit)
	rt.wg.Wait()

	var out bus.DrainOutcome
	for _, o := range outs {
		out.Add(o)
	}
	return out
}

// Wait joins every goroutine of every shard's bus; use it after a Shutdown
// that forced something.
func (rt *Runtime) Wait() {
	for _, s := range rt.shards {
		s.bus.Wait()
	}
}
