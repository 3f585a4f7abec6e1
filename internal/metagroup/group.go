package metagroup

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/consensus"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// Errors returned by Propose and the forwarding calls.
var (
	// ErrNotPrimary means this replica is not the primary of a normal
	// view: nothing was proposed. Clients are told 58 and look for the
	// leader (wire.md §2.6).
	ErrNotPrimary = errors.New("metagroup: not the primary")
	// ErrUnknown means the proposal was handed to the replica but no
	// commit was seen in time, or the view changed: it may or may not
	// commit.
	ErrUnknown = errors.New("metagroup: outcome unknown")
	// ErrBusy means the node's proposal lane is full; nothing was
	// proposed.
	ErrBusy = errors.New("metagroup: proposals busy")
	// ErrStopped means the group has stopped. When the group stopped (or
	// was abandoned) while a proposal it had handed to the replica waited
	// for its commit, the error matches ErrUnknown too: the proposal may
	// still commit.
	ErrStopped = errors.New("metagroup: stopped")
	// ErrEvicted means the session a Logout names is not in the client
	// table (already ended, or evicted).
	ErrEvicted = errors.New("metagroup: session not in the client table")
)

// errStoppedInFlight is ErrStopped for a proposal in flight: it matches
// both ErrStopped and ErrUnknown.
var errStoppedInFlight = fmt.Errorf("%w with a proposal in flight: %w", ErrStopped, ErrUnknown)

// DefaultTimeout bounds how long Propose waits for a commit.
const DefaultTimeout = 10 * time.Second

// DefaultClients is the client table's size: every logged-in session,
// cluster-wide, and one proposer per node start.
const DefaultClients = 8192

// DefaultCheckpointInterval is how many ops the group commits between
// checkpoints (issue #14): the VSR journal and the in-memory log hold at
// most about this many ops (two intervals after a crash in the middle of
// a compaction), so restart time and memory stay bounded however many
// logins the group has seen.
const DefaultCheckpointInterval = 4096

// Storage carries out the partition effects of committed operations on
// this replica. Apply runs on the group's goroutine for each committed
// operation with effects, after the state is published, and returns once
// they are done; it must not fail the operation (it is committed): it
// logs what it could not do, and the partition is refused until a restart
// finds it.
//
// op is the operation's number: effects are carried out again when an
// operation is re-applied after a crash (creation and removal are
// idempotent; a purge remembers the op it was and is not repeated).
type Storage interface {
	Apply(op uint64, effects []metadata.Effect)
}

// EffectsLog is implemented by a Storage that records durably the latest
// operation whose effects it carried out (partset.DoneFile). A Machine
// over one carries out the effects of the replayed ops above it too: the
// commit point a restart replays to may cover ops whose effects never
// reached this replica's disk (vsr.Restart re-applies every op it knows
// committed, whether or not this replica applied it before the crash).
// Without it, replayed ops carry out no effects.
type EffectsLog interface {
	// EffectsDone returns the latest operation whose effects were carried
	// out, and false if there is no record.
	EffectsDone() (uint64, bool)
}

// Config configures a Group.
type Config struct {
	Store   *metadata.Store // required; Commit is called for each op
	Storage Storage         // required
	// Replica configures the vsr replica: ID, Replicas, Cluster, Timeouts,
	// Seed. Group and StateMachine are set by Start; ClientsMax defaults
	// to DefaultClients.
	Replica   vsr.Config
	FS        vfs.FS
	Dir       string
	Transport consensus.Transport
	// Ticks replaces the production ticker (tests drive time).
	Ticks   <-chan time.Time
	Timeout time.Duration // Propose's wait; 0 means DefaultTimeout
	// Now stamps forwarded Registers on the primary; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Group is one replica of the metadata consensus group.
type Group struct {
	cfg   Config
	log   *slog.Logger
	node  *consensus.Node
	sm    *Machine
	quit  chan struct{} // closed by Abandon: nothing waits for answers any more
	qonce sync.Once

	propose sync.Mutex // one proposer op in flight (vsr: one request per client)

	mu sync.Mutex // guards the fields below
	// +checklocks:mu
	waiters map[key]*waiter
	// +checklocks:mu
	proposer wire.ClientID
	// +checklocks:mu
	session uint64 // the proposer's session; 0 until registered
	// +checklocks:mu
	request uint64
	// +checklocks:mu
	forwards map[wire.Uint128]chan forwardResult

	fwd sync.WaitGroup // forwarded operations the primary is proposing
	sem chan struct{}  // bounds them
}

// key names a proposal by the client and request it went out under.
type key struct {
	client  wire.ClientID
	request uint64
}

// waiter is one proposal waiting for its commit.
type waiter struct {
	done    chan struct{} // closed once, by finish
	applied bool          // the state machine saw it (set under mu)
	res     metadata.Result
	st      *metadata.State
	reply   wire.ReplyHeader
	err     error
}

// Start opens the group's log under cfg.Dir and starts its replica: ops
// this replica had committed before a restart are applied again here,
// before Start returns, without their effects.
func Start(cfg Config) (*Group, error) {
	if cfg.Store == nil || cfg.Storage == nil {
		return nil, errors.New("metagroup: Store and Storage are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	g := &Group{cfg: cfg, log: lg, sm: NewMachine(cfg.Store, cfg.Storage), quit: make(chan struct{}), waiters: map[key]*waiter{},
		forwards: map[wire.Uint128]chan forwardResult{}, sem: make(chan struct{}, 64)}
	g.proposer = newClientID()
	rc := cfg.Replica
	rc.Group = wire.MetadataGroup
	g.sm.Applied = g.applied
	rc.StateMachine = g.sm
	if rc.ClientsMax == 0 {
		rc.ClientsMax = DefaultClients
	}
	if rc.CheckpointInterval == 0 {
		rc.CheckpointInterval = DefaultCheckpointInterval
	}
	n, err := consensus.Start(consensus.Config{Replica: rc, FS: cfg.FS, Dir: cfg.Dir, Transport: cfg.Transport,
		Replies: g.onReply, Ticks: cfg.Ticks, Logger: lg, Built: g.sm.Live, LogViews: true})
	if err != nil {
		return nil, fmt.Errorf("metagroup: %w", err)
	}
	g.node = n
	return g, nil
}

// Node returns the group's consensus node, for the replica plane's Router.
func (g *Group) Node() *consensus.Node { return g.node }

// Opened tells the group that the partitions of the state it started
// with are open: live operations' effects, which waited, may run.
func (g *Group) Opened() { g.sm.Opened() }

// Status returns the replica's status after its latest round.
func (g *Group) Status() consensus.Status { return g.node.Status() }

// IsPrimary reports whether this replica is the primary of a normal view
// in contact with a replication quorum. A primary cut off from its peers
// (vsr abdication) is not: its new proposals are refused with
// ErrNotPrimary, which tells a client to look for the leader elsewhere,
// instead of timing out with an unknown outcome.
func (g *Group) IsPrimary() bool {
	s := g.node.Status()
	return s.IsPrimary && s.Status == vsr.StatusNormal && !s.Abdicated
}

// Abandon makes every call waiting for a commit or a forwarded result
// return ErrStopped now, and later ones at once: a node shutting down
// answers what it holds instead of waiting for peers that may be gone
// (the operations may still commit). The replica keeps running until
// Stop.
func (g *Group) Abandon() { g.qonce.Do(func() { close(g.quit) }) }

// Stop stops the replica and waits for forwarded operations in flight.
func (g *Group) Stop() error {
	g.Opened() // nothing may wait for it any more
	g.Abandon()
	err := g.node.Stop()
	g.fwd.Wait()
	g.mu.Lock()
	for k, w := range g.waiters {
		delete(g.waiters, k)
		w.err = errStoppedInFlight
		close(w.done)
	}
	g.mu.Unlock()
	return err
}

// Machine is the metadata group's state machine (vsr.StateMachine),
// apart from any goroutine: it commits each operation into the store,
// carries out its partition effects, and returns the operation's status
// (u32 LE) as the reply body, the same on every replica. A Group runs one
// on its Node; the simulator (internal/sim) runs it on its replicas.
type Machine struct {
	store   *metadata.Store
	storage Storage
	// live is set once the restart replay is over: live effects wait for
	// Opened.
	live atomic.Bool
	// done is the latest op whose effects were carried out before this
	// process (EffectsLog): only ops above it carry out theirs, replayed
	// or live (a live op at or below it is one a restart with a lower
	// commit point applies again; running its effects on a disk that
	// holds later ones could drop or purge a partition created since).
	// Without an EffectsLog it is the maximum until Live, 0 after.
	done   atomic.Uint64
	logged bool
	opened chan struct{} // closed by Opened; live effects wait for it
	once   sync.Once
	// Applied, if set, is told of every applied op with its result and
	// the state it produced (a Group notes its own proposals' results).
	Applied func(h *wire.PrepareHeader, r metadata.Result, st *metadata.State)
}

// NewMachine returns a state machine over store. It starts in replay.
// Effects are carried out for the ops above the storage's EffectsLog
// record, replayed or live; without a record, for the ops applied after
// Live. Live effects wait for Opened.
func NewMachine(store *metadata.Store, storage Storage) *Machine {
	m := &Machine{store: store, storage: storage, opened: make(chan struct{})}
	m.done.Store(math.MaxUint64)
	if l, ok := storage.(EffectsLog); ok {
		if done, ok := l.EffectsDone(); ok {
			m.done.Store(done)
			m.logged = true
		}
	}
	return m
}

// Live ends the replay: ops applied from now on are new to this process
// and carry out their effects.
func (m *Machine) Live() {
	if !m.logged {
		m.done.Store(0)
	}
	m.live.Store(true)
}

// Opened tells the machine that the partitions of the state it replayed
// are open: live effects, which wait for it, may run.
func (m *Machine) Opened() { m.once.Do(func() { close(m.opened) }) }

// EffectsDone returns the op at or below which applied ops carry out no
// effects (see NewMachine).
func (m *Machine) EffectsDone() uint64 { return m.done.Load() }

// Apply commits one operation (vsr.StateMachine).
func (m *Machine) Apply(op wire.Op, h *wire.PrepareHeader, body []byte) []byte {
	live := m.live.Load()
	if live {
		<-m.opened
	}
	r, st := m.store.Commit(uint64(op), body)
	if uint64(op) > m.done.Load() && r.OK() && len(r.Effects) > 0 {
		m.storage.Apply(uint64(op), r.Effects)
	}
	if m.Applied != nil {
		m.Applied(h, r, st)
	}
	return binary.LittleEndian.AppendUint32(nil, uint32(r.Status))
}

// Snapshot implements vsr.Snapshotter: the committed metadata state
// (metadata.State.AppendSnapshot), taken between applies on the group's
// goroutine.
func (m *Machine) Snapshot() []byte { return m.store.Current().AppendSnapshot(nil) }

// Restore implements vsr.Snapshotter: the store's state becomes the
// snapshot's. On a restart it runs before any op is replayed, and the
// server then opens the restored state's partitions. Live (a state
// transfer), it carries out the partition effects of the ops the
// checkpoint skipped, as metadata.TransitionEffects derives them from the
// two states: partitions dropped and created meanwhile (not purges; see
// the package doc).
func (m *Machine) Restore(b []byte) error {
	st, err := metadata.DecodeSnapshot(b)
	if err != nil {
		return err
	}
	live := m.live.Load()
	var fx []metadata.Effect
	if live {
		fx = metadata.TransitionEffects(m.store.Current(), st)
	}
	m.store.Restore(st)
	if len(fx) > 0 {
		<-m.opened
		m.storage.Apply(st.CommitOp(), fx)
	}
	return nil
}

// Evicted ends the session the client table evicted (vsr.Evicter): the
// metadata holds exactly the table's sessions.
func (m *Machine) Evicted(client wire.ClientID) { m.store.EndSession(client) }

// applied notes the result of a proposal waiting here.
func (g *Group) applied(h *wire.PrepareHeader, r metadata.Result, st *metadata.State) {
	g.mu.Lock()
	if w := g.waiters[key{h.Client, h.Request}]; w != nil {
		w.applied, w.res, w.st = true, r, st
	}
	g.mu.Unlock()
}

// onReply completes the proposal a reply or eviction answers. It runs on
// the node's goroutine after the round's Persist (S12).
func (g *Group) onReply(cf vsr.ClientFrame) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch wire.PeekCommand(cf.Frame) {
	case wire.CommandReply:
		var rh wire.ReplyHeader
		if rh.Decode(cf.Frame) != nil {
			return
		}
		w := g.waiters[key{cf.Client, rh.Request}]
		if w == nil {
			return
		}
		delete(g.waiters, key{cf.Client, rh.Request})
		w.reply = rh
		close(w.done)
	case wire.CommandEviction:
		if cf.Client == g.proposer {
			g.session = 0 // registers again on the next proposal
		}
		for k, w := range g.waiters {
			if k.client == cf.Client {
				delete(g.waiters, k)
				w.err = ErrEvicted
				close(w.done)
			}
		}
	}
}

// Propose commits op through the group and returns its result and the
// state right after it. Only the primary proposes (ErrNotPrimary). A
// Register goes out as the VSR Register of the session's own client, so
// the client table holds the session; a Logout as that session's
// request, ending it; every other operation under this node's proposer
// session.
func (g *Group) Propose(op metadata.Op) (metadata.Result, *metadata.State, error) {
	if !g.IsPrimary() {
		return metadata.Result{}, nil, ErrNotPrimary
	}
	switch o := op.(type) {
	case metadata.Register:
		return g.submit(wire.RequestHeader{Client: o.Client, Operation: wire.OpRegister}, op)
	case metadata.Logout:
		r, st, err := g.submit(wire.RequestHeader{Client: o.Client, Session: uint64(o.Epoch), Request: 1, Operation: wire.OpLogout}, op)
		if !errors.Is(err, ErrEvicted) {
			return r, st, err
		}
		// Not in the client table (a session from before the metadata
		// moved to the VSR log, or evicted): end it in the metadata
		// through the proposer.
	}
	g.propose.Lock()
	defer g.propose.Unlock()
	for attempt := 0; ; attempt++ {
		g.mu.Lock()
		registered := g.session != 0
		g.mu.Unlock()
		if !registered {
			if err := g.registerProposer(); err != nil {
				return metadata.Result{}, nil, err
			}
		}
		g.mu.Lock()
		g.request++
		h := wire.RequestHeader{Client: g.proposer, Session: g.session, Request: g.request, Operation: wire.Operation(op.Kind())}
		g.mu.Unlock()
		r, st, err := g.submit(h, op)
		if errors.Is(err, ErrEvicted) && attempt == 0 {
			// The client table evicted the proposer's session (logins
			// filled it): the request was refused before it was
			// prepared. Register again and send it once more.
			continue
		}
		return r, st, err
	}
}

// registerProposer opens this node's proposer session.
func (g *Group) registerProposer() error {
	g.mu.Lock()
	g.proposer = newClientID() // a fresh session: requests start at 1
	g.request = 0
	h := wire.RequestHeader{Client: g.proposer, Operation: wire.OpRegister}
	g.mu.Unlock()
	w, err := g.send(h, nil)
	if err != nil {
		return err
	}
	if err := g.wait(w, key{h.Client, 0}); err != nil {
		return err
	}
	g.mu.Lock()
	g.session = uint64(w.reply.Op)
	g.mu.Unlock()
	return nil
}

// submit proposes op under h and waits for its commit.
func (g *Group) submit(h wire.RequestHeader, op metadata.Op) (metadata.Result, *metadata.State, error) {
	w, err := g.send(h, metadata.Encode(op))
	if err != nil {
		return metadata.Result{}, nil, err
	}
	if err := g.wait(w, key{h.Client, h.Request}); err != nil {
		return metadata.Result{}, nil, err
	}
	g.mu.Lock()
	applied, res, st := w.applied, w.res, w.st
	g.mu.Unlock()
	if !applied {
		// Answered from the client table without applying: the same
		// Register again (its session is open), or a duplicate.
		if o, ok := op.(metadata.Register); ok {
			st = g.cfg.Store.Current()
			if s, ok := st.Session(o.Client); ok && s.UserID == o.UserID {
				return metadata.Result{UserID: s.UserID, Epoch: s.Epoch}, st, nil
			}
		}
		return metadata.Result{}, nil, ErrUnknown
	}
	return res, st, nil
}

// send registers a waiter for h and hands the request to the node.
func (g *Group) send(h wire.RequestHeader, body []byte) (*waiter, error) {
	h.Size = uint32(wire.HeaderSize + len(body))
	f := make([]byte, wire.HeaderSize+len(body))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	k := key{h.Client, h.Request}
	w := &waiter{done: make(chan struct{})}
	g.mu.Lock()
	if _, dup := g.waiters[k]; dup {
		g.mu.Unlock()
		return nil, ErrBusy // the same session's request is already in flight
	}
	g.waiters[k] = w
	g.mu.Unlock()
	if err := g.node.Propose(f); err != nil {
		g.drop(k, w)
		if errors.Is(err, consensus.ErrBusy) {
			return nil, ErrBusy
		}
		return nil, ErrStopped
	}
	return w, nil
}

func (g *Group) drop(k key, w *waiter) {
	g.mu.Lock()
	if g.waiters[k] == w {
		delete(g.waiters, k)
	}
	g.mu.Unlock()
}

// wait waits for w's commit: until the reply, the timeout, the node
// stopping, or this replica ceasing to be primary (checked every
// statusEvery), whichever comes first.
func (g *Group) wait(w *waiter, k key) error {
	timeout := time.NewTimer(g.cfg.Timeout)
	defer timeout.Stop()
	check := time.NewTicker(statusEvery)
	defer check.Stop()
	for {
		select {
		case <-w.done:
			return w.err
		case <-g.node.Done():
			g.drop(k, w)
			return errStoppedInFlight
		case <-g.quit:
			g.drop(k, w)
			return errStoppedInFlight
		case <-timeout.C:
			g.drop(k, w)
			return ErrUnknown
		case <-check.C:
			if !g.IsPrimary() {
				g.drop(k, w)
				return ErrUnknown
			}
		}
	}
}

// statusEvery is how often a waiting proposal checks that this replica is
// still the primary.
const statusEvery = 20 * time.Millisecond

func newClientID() wire.ClientID {
	var b [16]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic("metagroup: crypto/rand: " + err.Error())
		}
		c := wire.ClientID{Lo: binary.LittleEndian.Uint64(b[:]), Hi: binary.LittleEndian.Uint64(b[8:])}
		if !c.IsZero() {
			return c
		}
	}
}

// waitForward waits for a forwarded operation's result, the timeout, or
// the node stopping.
func (g *Group) waitForward(ch chan forwardResult) (forwardResult, error) {
	timeout := time.NewTimer(g.cfg.Timeout)
	defer timeout.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-g.node.Done():
		return forwardResult{}, ErrStopped
	case <-g.quit:
		return forwardResult{}, ErrStopped
	case <-timeout.C:
		return forwardResult{}, ErrUnknown
	}
}
