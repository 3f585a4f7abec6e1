package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Hooks connect a Bus to its shard. They are fixed at New. Frame-carrying
// hooks receive ownership of the frame (release it or pass it on); a hook
// that returns an error leaves ownership with the caller.
type Hooks struct {
	// OnRequest receives each Request frame from a client connection, on
	// that connection's reader goroutine. It may block only to apply flow
	// control to that one connection. Each request must be answered with
	// a Reply or an Eviction sent to id (S11), or the connection closed:
	// the answer, once written, returns the credit the request took, and
	// a connection with Config.MaxInFlight unanswered requests is not read
	// (credit.go).
	OnRequest func(id wire.ClientID, f *wire.Frame)
	// OnReplicaMessage receives each verified replica-plane frame, on that
	// connection's reader goroutine.
	OnReplicaMessage func(r wire.ReplicaID, f *wire.Frame)
	// OnConnectionLost fires exactly once per replica disconnect: not for a
	// losing duplicate (S4) and not during Shutdown.
	OnConnectionLost func(r wire.ReplicaID)
	// OnClientInstalled fires once per client connection installed (after
	// its TLS handshake or WebSocket upgrade), on the installing goroutine.
	// Its reader has started: a request may reach OnRequest first.
	OnClientInstalled func(id wire.ClientID)
	// OnClientLost fires exactly once per installed client connection when
	// it closes, on the goroutine that tore it down: not for a losing
	// duplicate (S4) and not during Shutdown.
	OnClientLost func(id wire.ClientID)
	// ForwardClient hands f to the shard that owns id (id.Shard() is not
	// this bus's shard). It must not block (S1).
	ForwardClient func(owner wire.ShardID, id wire.ClientID, f *wire.Frame) error
	// ReplicaOwner reports which shard holds replica r's connection.
	ReplicaOwner func(r wire.ReplicaID) (wire.ShardID, bool)
	// ForwardReplica hands f to the shard that holds replica r. It must not
	// block (S1).
	ForwardReplica func(owner wire.ShardID, r wire.ReplicaID, f *wire.Frame) error
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// Gate admits unauthenticated client connections. Share one among the
	// buses of a runtime so its caps are process-wide; nil gives the bus a
	// gate of its own, built from its Config.
	Gate *Gate
}

// Bus is one shard's message bus. It is safe for concurrent use.
type Bus struct {
	shard wire.ShardID
	cfg   Config // with the connection limits' defaults filled in
	hooks Hooks
	log   *slog.Logger
	gate  *Gate

	watchOnce    sync.Once // starts the watchdog (auth.go)
	onCreditWait func()    // tests only: a reader starts waiting for a credit

	ctx    context.Context // background work; cancelled by Shutdown (S9 step 2)
	cancel context.CancelFunc

	closing atomic.Bool // set once Shutdown starts; sends fail fast

	mu sync.Mutex // guards the following fields
	// +checklocks:mu
	shut bool
	// +checklocks:mu
	clients map[wire.ClientID]*conn
	// +checklocks:mu
	replicas [256]*conn
	// +checklocks:mu
	nreplicas int
	// +checklocks:mu
	token uint64 // last instance token handed out (S4)
	// +checklocks:mu
	tasks map[*task]struct{}

	wg sync.WaitGroup // every goroutine the bus starts
}

type task struct{ done chan struct{} }

// New returns the bus of shard. It panics if cfg is invalid (a
// configuration error, caught at boot).
func New(shard wire.ShardID, cfg Config, hooks Hooks) *Bus {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	log := hooks.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gate := hooks.Gate
	if gate == nil {
		gate = NewGate(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Bus{
		shard:   shard,
		cfg:     cfg,
		hooks:   hooks,
		log:     log.With("shard", int(shard)),
		gate:    gate,
		ctx:     ctx,
		cancel:  cancel,
		clients: make(map[wire.ClientID]*conn),
		tasks:   make(map[*task]struct{}),
	}
}

// Shard returns the bus's shard.
func (b *Bus) Shard() wire.ShardID { return b.shard }

// Config returns the bus's configuration, zero connection limits replaced
// by their defaults.
func (b *Bus) Config() Config { return b.cfg }

// ShuttingDown reports whether Shutdown has begun.
func (b *Bus) ShuttingDown() bool { return b.closing.Load() }

// Clients returns the number of installed client connections.
func (b *Bus) Clients() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.clients)
}

// HasClient reports whether client id is installed on this bus.
func (b *Bus) HasClient(id wire.ClientID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.clients[id] != nil
}

// Replicas returns the number of installed replica connections.
func (b *Bus) Replicas() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nreplicas
}

// HasReplica reports whether replica r is installed on this bus.
func (b *Bus) HasReplica(r wire.ReplicaID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.replicas[r] != nil
}

// SendToClient queues f for client id, or forwards it to the owning shard
// when id names another shard. It never blocks (S1): on nil the bus owns f;
// on error the caller still does. A reply to a request always finds room
// (credit.go); a frame that finds the queue full anyway fails with
// ErrBackpressure and the connection is closed with ErrReplyQueueFull as
// its logged cause, so no frame is dropped silently (S11).
//
// During Shutdown it keeps working for the connections still draining, so
// the requests they sent are answered (issue 15).
func (b *Bus) SendToClient(id wire.ClientID, f *wire.Frame) error {
	if owner := id.Shard(); owner != b.shard {
		if b.hooks.ForwardClient == nil {
			return ErrNoRoute
		}
		return b.hooks.ForwardClient(owner, id, f)
	}
	b.mu.Lock()
	c := b.clients[id]
	b.mu.Unlock()
	if c == nil {
		if b.closing.Load() {
			return ErrShuttingDown
		}
		return ErrNotConnected
	}
	if err := c.enqueue(f); err != nil {
		b.kill(c, fmt.Errorf("%w: %d frames queued and one more to send", ErrReplyQueueFull, cap(c.q)))
		return err
	}
	return nil
}

// SendToReplica queues f for replica r if its connection lives on this bus,
// else forwards it to the shard that holds it. It never blocks (S1).
func (b *Bus) SendToReplica(r wire.ReplicaID, f *wire.Frame) error {
	if b.closing.Load() {
		return ErrShuttingDown
	}
	b.mu.Lock()
	c := b.replicas[r]
	b.mu.Unlock()
	if c != nil {
		return c.enqueue(f)
	}
	if b.hooks.ReplicaOwner == nil {
		return ErrNotConnected
	}
	owner, ok := b.hooks.ReplicaOwner(r)
	// An owner table pointing back here without a local entry is stale:
	// report it rather than forwarding to ourselves (spec/shard.md §7.6).
	if !ok || owner == b.shard {
		return ErrNotConnected
	}
	if b.hooks.ForwardReplica == nil {
		return ErrNoRoute
	}
	return b.hooks.ForwardReplica(owner, r, f)
}

// Go runs fn as tracked background work. fn's context is cancelled when
// Shutdown starts (S9 step 2); Shutdown waits for fn until its deadline and
// counts it clean or forced.
func (b *Bus) Go(fn func(ctx context.Context)) error {
	t := &task{done: make(chan struct{})}
	b.mu.Lock()
	if b.shut {
		b.mu.Unlock()
		return ErrShuttingDown
	}
	b.tasks[t] = struct{}{}
	b.wg.Add(1)
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		defer close(t.done)
		defer func() {
			b.mu.Lock()
			delete(b.tasks, t)
			b.mu.Unlock()
		}()
		fn(b.ctx)
	}()
	return nil
}

// AcceptClient admits p through the Gate, runs its handshake on this (the
// owning) shard under Config.HandshakeTimeout as background work, then
// installs the connection as client id (S6). Beyond the Gate's caps p is
// closed and the refusal logged (at most once a second, with a count) and
// ErrTooManyUnauthenticated returned. If the task cannot start, p is
// closed and the error returned.
func (b *Bus) AcceptClient(id wire.ClientID, p transport.Pending) error {
	tk, err := b.gate.admit(p.RemoteAddr())
	if err != nil {
		p.Close()
		if n, ok := b.gate.report(time.Now()); ok {
			b.log.Info("client connection refused", "kind", p.Kind(), "remote", p.RemoteAddr(), "cause", err, "refused_since_last_report", n)
		}
		return err
	}
	err = b.accept(p, func(c transport.Conn) error { return b.installClient(id, c, tk) }, func(err error) {
		if err != nil {
			tk.release()
		}
	})
	if err != nil {
		tk.release()
	}
	return err
}

// AcceptReplica is AcceptClient for replica r. done, if not nil, is called
// on the handshake goroutine with the outcome (nil once installed), so the
// caller can release a claim on a failed handshake or install. The
// replica-plane authentication runs inside p's Handshake (issue 5).
func (b *Bus) AcceptReplica(r wire.ReplicaID, p transport.Pending, done func(error)) error {
	return b.accept(p, func(c transport.Conn) error { return b.InstallReplica(r, c) }, done)
}

func (b *Bus) accept(p transport.Pending, install func(transport.Conn) error, done func(error)) error {
	err := b.Go(func(ctx context.Context) {
		hctx, cancel := context.WithTimeout(ctx, b.cfg.HandshakeTimeout)
		defer cancel()
		c, err := p.Handshake(hctx)
		if err != nil {
			b.log.Info("handshake failed", "kind", p.Kind(), "remote", p.RemoteAddr(), "err", err)
		} else if err = install(c); err != nil {
			b.log.Warn("install failed", "kind", p.Kind(), "remote", p.RemoteAddr(), "err", err)
		}
		if done != nil {
			done(err)
		}
	})
	if err != nil {
		p.Close()
	}
	return err
}

// InstallClient registers an established connection as client id and starts
// its reader and writer. A duplicate id loses (S4): the new connection is
// closed before any goroutine starts, so it never calls a hook and never
// disturbs the winner. The connection is admitted through the Gate as in
// AcceptClient and starts unauthenticated (see Authenticated).
func (b *Bus) InstallClient(id wire.ClientID, tc transport.Conn) error {
	tk, err := b.gate.admit(tc.RemoteAddr())
	if err != nil {
		tc.Close()
		return err
	}
	return b.installClient(id, tc, tk)
}

// installClient installs tc as client id holding gate slot tk, which it
// releases on failure. Until Authenticated, frames are capped at
// MaxUnauthenticatedFrame and the login deadline runs.
func (b *Bus) installClient(id wire.ClientID, tc transport.Conn, tk *ticket) error {
	if id.Shard() != b.shard {
		tc.Close()
		tk.release()
		return fmt.Errorf("%w: %v on shard %d", ErrWrongShard, id, b.shard)
	}
	c := b.newConn(tc, planeClient)
	c.client = id
	c.ticket.Store(tk)
	c.loginAt.Store(mono())
	b.setLimits(c) // before the reader starts
	if err := b.install(c, func() bool { return b.clients[id] != nil }, func() { b.clients[id] = c }); err != nil {
		tk.release()
		return err
	}
	b.startWatch()
	if b.hooks.OnClientInstalled != nil {
		b.hooks.OnClientInstalled(id)
	}
	return nil
}

// InstallReplica registers an established connection to replica r. A
// duplicate loses as in InstallClient.
func (b *Bus) InstallReplica(r wire.ReplicaID, tc transport.Conn) error {
	c := b.newConn(tc, planeReplica)
	c.replica = r
	return b.install(c, func() bool { return b.replicas[r] != nil }, func() {
		b.replicas[r] = c
		b.nreplicas++
	})
}

// install registers c and starts its reader and writer. taken and put read
// and write c's registry slot and run with b.mu held. A duplicate loses
// (S4): c is closed before any goroutine starts, so it never calls a hook
// and never disturbs the winner.
func (b *Bus) install(c *conn, taken func() bool, put func()) error {
	b.mu.Lock()
	switch {
	case b.shut:
		b.mu.Unlock()
		c.tc.Close()
		return ErrShuttingDown
	case taken():
		b.mu.Unlock()
		c.tc.Close()
		if c.plane == planeClient {
			b.log.Warn("duplicate client id; new connection dropped", "client", c.client)
		} else {
			b.log.Warn("duplicate replica connection; new connection dropped", "replica", c.replica)
		}
		return ErrDuplicate
	}
	b.token++
	c.token = b.token
	put()
	b.wg.Add(2)
	b.mu.Unlock()
	c.start()
	return nil
}

// removeLocked deletes c's registry entry if c still holds it (S4: only
// the install holding the current token removes its entry).
// b.mu must be held.
func (b *Bus) removeLocked(c *conn) bool {
	switch c.plane {
	case planeClient:
		if cur := b.clients[c.client]; cur != nil && cur.token == c.token {
			delete(b.clients, c.client)
			return true
		}
	case planeReplica:
		if cur := b.replicas[c.replica]; cur != nil && cur.token == c.token {
			b.replicas[c.replica] = nil
			b.nreplicas--
			return true
		}
	}
	return false
}

// teardown ends c after its reader or writer failed: remove the entry
// (token-fenced), stop the writer, close the transport, and for a replica
// fire OnConnectionLost once. It runs at most once per connection.
func (b *Bus) teardown(c *conn, cause error) {
	if !c.torn.CompareAndSwap(false, true) {
		return
	}
	b.mu.Lock()
	removed := b.removeLocked(c)
	b.mu.Unlock()
	c.signalStop()
	c.tc.Close()
	switch c.plane {
	case planeClient:
		c.ticket.Swap(nil).release()
		b.logClosed(c, cause)
		if removed && !b.closing.Load() && b.hooks.OnClientLost != nil {
			b.hooks.OnClientLost(c.client)
		}
	case planeReplica:
		b.log.Info("replica connection closed", "replica", c.replica, "cause", cause)
		if removed && !b.closing.Load() && b.hooks.OnConnectionLost != nil {
			b.hooks.OnConnectionLost(c.replica)
		}
	}
}

// logClosed logs why a client connection closed: once per connection,
// with its remote address, at Info for a violation or a limit and at
// Debug for an ordinary end (the peer hung up, or the server closed it
// and logged why itself).
func (b *Bus) logClosed(c *conn, cause error) {
	level := slog.LevelInfo
	if errors.Is(cause, io.EOF) || errors.Is(cause, errClosedByServer) {
		level = slog.LevelDebug
	}
	b.log.Log(context.Background(), level, "client connection closed",
		"client", c.client, "kind", c.tc.Kind(), "remote", c.tc.RemoteAddr(), "cause", cause)
}
