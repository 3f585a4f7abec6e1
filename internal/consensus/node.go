package consensus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/vsrlog"
	"github.com/shoal-io/shoal/internal/wire"
)

// Errors returned by a Node.
var (
	// ErrStopped means the node's loop has exited (Stop, or a Persist error).
	ErrStopped = errors.New("consensus: node stopped")
	// ErrInboxFull means the inbound replica-frame channel is full; the
	// frame was dropped and counted (S1: VSR retransmits).
	ErrInboxFull = errors.New("consensus: inbox full")
	// ErrBusy means the proposal lane is full; the client retries.
	ErrBusy = errors.New("consensus: proposal queue full")
)

// TickInterval is the length of one vsr tick in production (vsr.Timeouts).
const TickInterval = 10 * time.Millisecond

// Default channel capacities.
const (
	DefaultInbox     = 1024
	DefaultProposals = 256
)

// drainMax bounds how many queued inputs one round takes after the one that
// woke it, so that a flood still yields to ticks and stop.
const drainMax = 256

// Transport sends a frame to another replica of the group. It must never
// block (S1): it queues the frame or fails at once; VSR retransmits. The
// frame's bytes may be shared with other sends and the replica and must not
// be modified; an implementation that needs to own them copies them.
type Transport interface {
	SendToReplica(to wire.ReplicaID, frame []byte) error
}

// Config configures a Node.
type Config struct {
	// Replica configures the vsr replica; its StateMachine is required.
	Replica vsr.Config
	// FS and Dir locate the replica's vsrlog directory.
	FS  vfs.FS
	Dir string
	// Transport carries the replica's messages to its peers.
	Transport Transport
	// Replies receives reply and eviction frames for clients, on the
	// node's goroutine, only after the round's Persist succeeded. nil
	// discards them.
	Replies func(vsr.ClientFrame)
	// Applied receives the ops applied since the previous call, in op
	// order, on the node's goroutine after the round's Persist. nil
	// discards them. The slice is the caller's.
	Applied func([]vsr.Committed)
	// Built, if set, is called once by Start when the replica is built,
	// before the loop starts: every op applied before it was re-applied
	// by vsr.Restart from this replica's own log (the committed prefix it
	// held); every op applied after it is new to this process.
	Built func()
	// Ticked, if set, is called on the node's goroutine after each tick's
	// round, with the status that round left (a shell expires its waiting
	// proposals and watches the view with it).
	Ticked func(Status)
	// Refused, if set, is called on the node's goroutine with a proposal
	// (a frame given to Propose) that vsr.Step refused, and the reason
	// (vsr.ErrQueueFull: a sessionless group's queue is full). A proposal
	// a backup drops is not refused: its proposer learns from the view.
	Refused func(frame []byte, err error)
	// Aside, if set, is offered each inbound replica-plane frame on the
	// node's goroutine before vsr.Step; a frame it takes (true) is not
	// stepped. A shell uses it for frames of its own on the group's
	// plane (a partition group's message backfill: RequestStateChunk and
	// StateChunk of a non-zero artifact, which vsr ignores). It must not
	// block long: the group waits.
	Aside func(frame []byte) bool
	// Ticks, if set, replaces the TickInterval ticker: each value is one
	// vsr tick (tests drive it). Closing it stops ticking.
	Ticks <-chan time.Time
	// Inbox and Proposals are the capacities of the inbound replica-frame
	// channel and of the client proposal lane; 0 means the defaults.
	Inbox, Proposals int
	// LogViews logs each change of view or status at Info (an election:
	// what an operator looks for after a failover), not at debug.
	LogViews bool
	// Logger receives step refusals (debug), view and status changes
	// (Info with LogViews, else debug) and the fatal Persist error; nil
	// discards them.
	Logger *slog.Logger
}

// Status is a snapshot of a Node's replica, taken after each round.
type Status struct {
	Status    vsr.Status
	View      wire.View
	Primary   wire.ReplicaID
	IsPrimary bool
	Op        wire.Op
	CommitMin wire.Op // highest op applied
	CommitMax wire.Op // highest op known committed
	// Checkpoint is the op of the latest checkpoint, and LogLen the
	// number of ops the replica holds in memory above its durable one.
	Checkpoint wire.Op
	LogLen     int
	// Abdicated: a primary that lost contact with a replication quorum
	// (vsr.Replica.Abdicated).
	Abdicated bool
}

// Stats counts a Node's events since Start.
type Stats struct {
	Rounds     uint64 // Ready rounds carried out
	Persists   uint64 // Persist calls (rounds with durable work)
	Dropped    uint64 // inbound frames dropped because the inbox was full
	Refused    uint64 // frames vsr.Step refused (invalid, wrong cluster…)
	SendErrors uint64 // Transport sends that failed (VSR retransmits)
}

// Node drives one vsr.Replica and its vsrlog.Log from one goroutine.
type Node struct {
	cfg Config
	log *slog.Logger
	rec vsrlog.Recovery

	// Owned by run.
	r    *vsr.Replica
	vlog *vsrlog.Log
	// durable is the hard state last written; pending a newer one whose
	// only change is the commit point, not yet written (commitOnly).
	durable, pending vsr.HardState
	hasPending       bool

	inbox chan []byte // inbound replica-plane frames
	props chan []byte // client Request frames
	down  chan int    // StandDown requests: the replica to, or -1 (capacity 1)
	stopc chan struct{}
	done  chan struct{} // closed when run has returned
	once  sync.Once
	err   error // set by run before done is closed

	mu sync.Mutex // guards st
	st Status

	// Reads (read.go).
	rmu     sync.Mutex    // guards rq and rclosed
	rq      []func(bool)  // reads not yet handed to the replica
	rclosed bool          // run has exited: Read refuses
	readc   chan struct{} // a read is queued (capacity 1)
	// Owned by run.
	reading map[uint64]func(bool) // reads handed to the replica, by id
	readSeq uint64
	rspare  []func(bool)

	rounds, persists, dropped, refused, sendErrs atomic.Uint64
}

// Start opens cfg.Dir's vsrlog, starts the replica (vsr.New on a fresh
// directory, vsr.Restart from the durable state otherwise) and its loop.
func Start(cfg Config) (*Node, error) {
	if cfg.Transport == nil {
		return nil, errors.New("consensus: no transport")
	}
	if cfg.Inbox <= 0 {
		cfg.Inbox = DefaultInbox
	}
	if cfg.Proposals <= 0 {
		cfg.Proposals = DefaultProposals
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	l, hs, prepares, rec, err := vsrlog.Open(cfg.FS, cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("consensus: %w", err)
	}
	var r *vsr.Replica
	if rec.Fresh {
		r, err = vsr.New(cfg.Replica)
	} else {
		// A replica that ever ran comes back with Restart, even if none
		// of its writes became durable (vsrlog Recovery.Fresh).
		r, err = vsr.RestartFrom(cfg.Replica, vsr.HardState(hs), l.Checkpoint(), prepares)
	}
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("consensus: start replica %d: %w", cfg.Replica.ID, err)
	}
	n := &Node{
		cfg:     cfg,
		log:     lg.With("replica", int(cfg.Replica.ID), "group", cfg.Replica.Group),
		rec:     rec,
		r:       r,
		vlog:    l,
		inbox:   make(chan []byte, cfg.Inbox),
		props:   make(chan []byte, cfg.Proposals),
		down:    make(chan int, 1),
		readc:   make(chan struct{}, 1),
		reading: make(map[uint64]func(bool)),
		stopc:   make(chan struct{}),
		done:    make(chan struct{}),
	}
	n.durable = vsr.HardState(hs)
	n.snapshot()
	if cfg.Built != nil {
		cfg.Built()
	}
	go n.run()
	return n, nil
}

// Recovery reports what vsrlog.Open found when the node started.
func (n *Node) Recovery() vsrlog.Recovery { return n.rec }

// Deliver queues an inbound replica-plane frame. It never blocks: when the
// inbox is full the frame is dropped and counted and ErrInboxFull returned
// (S1). On nil the node owns frame (vsr.Step may retain it).
func (n *Node) Deliver(frame []byte) error {
	err := n.offer(n.inbox, frame)
	if err == errFull {
		n.dropped.Add(1)
		return ErrInboxFull
	}
	return err
}

// Propose queues a client Request frame for the group. It never blocks:
// ErrBusy when the lane is full. Only the primary prepares it; backups drop
// it and the client retries elsewhere. On nil the node owns frame.
func (n *Node) Propose(frame []byte) error {
	if err := n.offer(n.props, frame); err != errFull {
		return err
	}
	return ErrBusy
}

// StandDown asks the replica, if it is the primary of a normal view, to
// give the view up (vsr.Replica.StandDown). It never blocks; a request
// already pending absorbs it.
func (n *Node) StandDown() { n.standDown(-1) }

// StandDownTo is StandDown toward replica to (vsr.Replica.StandDownTo).
func (n *Node) StandDownTo(to wire.ReplicaID) { n.standDown(int(to)) }

func (n *Node) standDown(to int) {
	select {
	case n.down <- to:
	default:
	}
}

var errFull = errors.New("consensus: channel full")

// offer queues frame on ch without blocking.
func (n *Node) offer(ch chan<- []byte, frame []byte) error {
	select {
	case <-n.done:
		return ErrStopped
	default:
	}
	select {
	case ch <- frame:
		return nil
	default:
		return errFull
	}
}

// Stop stops the loop, waits for it and closes the log. It returns the
// error that stopped the node, if any (a Persist failure). It may be called
// more than once.
func (n *Node) Stop() error {
	n.once.Do(func() { close(n.stopc) })
	return n.Wait()
}

// Wait waits for the loop to exit and returns its error: nil after Stop,
// the Persist error otherwise.
func (n *Node) Wait() error {
	<-n.done
	return n.err
}

// Done is closed when the loop has exited.
func (n *Node) Done() <-chan struct{} { return n.done }

// Err returns the error that stopped the loop, or nil while it runs or
// after a clean Stop.
func (n *Node) Err() error {
	select {
	case <-n.done:
		return n.err
	default:
		return nil
	}
}

// Status returns the replica's state after the latest round.
func (n *Node) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.st
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	return Stats{Rounds: n.rounds.Load(), Persists: n.persists.Load(), Dropped: n.dropped.Load(),
		Refused: n.refused.Load(), SendErrors: n.sendErrs.Load()}
}

func (n *Node) run() {
	var err error
	defer func() {
		if cerr := n.vlog.Close(); err == nil && cerr != nil && !errors.Is(cerr, vsrlog.ErrClosed) {
			err = fmt.Errorf("consensus: close log: %w", cerr)
		}
		n.refuseReads()
		n.err = err
		close(n.done)
	}()
	ticks := n.cfg.Ticks
	var clock tickClock // the real ticker's catch-up; test ticks count one each
	if ticks == nil {
		t := time.NewTicker(TickInterval)
		defer t.Stop()
		ticks = t.C
		clock.last = time.Now()
	}
	pendingTicks := 0
	for {
		select {
		case <-n.stopc:
			if ferr := n.flushCommit(); ferr != nil {
				n.log.Warn("consensus: commit point not written at stop", "err", ferr)
			}
			return
		case now, ok := <-ticks:
			if !ok {
				ticks = nil
				continue
			}
			for range clock.due(now) {
				n.r.Tick()
			}
			if n.hasPending {
				if pendingTicks++; pendingTicks >= commitFlushTicks {
					if err = n.flushCommit(); err != nil {
						n.log.Error("consensus: persist failed; node stopped without acknowledging", "err", err)
						return
					}
					pendingTicks = 0
				}
			} else {
				pendingTicks = 0
			}
			if n.cfg.Ticked != nil {
				if err = n.ready(); err != nil {
					n.log.Error("consensus: persist failed; node stopped without acknowledging", "err", err)
					return
				}
				n.cfg.Ticked(n.Status())
			}
		case to := <-n.down:
			if to < 0 {
				n.r.StandDown()
			} else {
				n.r.StandDownTo(wire.ReplicaID(to))
			}
		case <-n.readc:
			n.takeReads()
		case f := <-n.inbox:
			n.step(f)
		case f := <-n.props:
			n.propose(f)
		}
		n.drain()
		if err = n.ready(); err != nil {
			n.log.Error("consensus: persist failed; node stopped without acknowledging", "err", err)
			return
		}
	}
}

// maxCatchUp bounds the ticks one tick event may carry (100 ms).
const maxCatchUp = 10

// tickClock turns the real ticker's events into vsr ticks by the time
// that passed: a ticker drops events its reader is late for (a starved
// CPU, a long round), and vsr's timeouts count ticks, so without it a
// loaded node would notice a dead primary seconds late. A pause longer
// than maxCatchUp ticks (SIGSTOP) counts as maxCatchUp: the node then
// catches up on what it hears, not on timeouts all firing at once.
type tickClock struct{ last time.Time }

// due returns how many ticks the event at now carries (1 for test
// ticks, whose clock is zero).
func (c *tickClock) due(now time.Time) int {
	if c.last.IsZero() {
		return 1
	}
	k := int(now.Sub(c.last) / TickInterval)
	switch {
	case k < 1:
		k = 1 // early (the ticker's own jitter): one tick, as sent
	case k > maxCatchUp:
		c.last = now
		return maxCatchUp
	}
	c.last = c.last.Add(time.Duration(k) * TickInterval)
	return k
}

// drain steps inputs already queued, without blocking, so that one round's
// fsync covers them all. Replication frames go first.
func (n *Node) drain() {
	select {
	case <-n.readc:
		n.takeReads()
	default:
	}
	for range drainMax {
		select {
		case f := <-n.inbox:
			n.step(f)
			continue
		default:
		}
		select {
		case f := <-n.props:
			n.propose(f)
		default:
			return
		}
	}
}

// propose steps a client Request and reports a refusal to Refused.
func (n *Node) propose(f []byte) {
	if err := n.r.Step(f); err != nil {
		n.refused.Add(1)
		if n.cfg.Refused != nil {
			n.cfg.Refused(f, err)
		}
	}
}

func (n *Node) step(f []byte) {
	if n.cfg.Aside != nil && n.cfg.Aside(f) {
		return
	}
	if err := n.r.Step(f); err != nil {
		n.refused.Add(1)
		n.log.Debug("frame refused", "command", wire.PeekCommand(f), "err", err)
	}
}

// ready carries out every pending Ready in the vsr package's order: send,
// persist, then replies and applied ops, then Advance (see the package doc).
func (n *Node) ready() error {
	for n.r.HasReady() {
		rd := n.r.Ready()
		n.rounds.Add(1)
		for _, m := range rd.Messages {
			if err := n.cfg.Transport.SendToReplica(m.To, m.Frame); err != nil {
				n.sendErrs.Add(1)
			}
		}
		hsChanged := rd.HardStateChanged
		if hsChanged && n.commitOnly(rd.HardState) {
			// Only the commit point moved: it is a hint (vsr.Restart
			// keeps it only as far as the log proves it), and a
			// superblock write costs its own fsync, so it is written a few
			// ticks later (commitFlushTicks), or at Stop, or with the next
			// hard state that changes more than it.
			n.pending, n.hasPending, hsChanged = rd.HardState, true, false
		} else if hsChanged {
			n.hasPending = false
		}
		if rd.Truncate || len(rd.Entries) > 0 || hsChanged {
			n.persists.Add(1)
			u := vsrlog.Update{Truncate: rd.Truncate, TruncateOp: rd.TruncateOp, Entries: rd.Entries,
				HardStateChanged: hsChanged, HardState: vsrlog.HardState(rd.HardState), Checkpoint: rd.Checkpoint}
			if err := n.vlog.Persist(u); err != nil {
				// Nothing of rd is acknowledged: no replies, no Advance.
				return fmt.Errorf("consensus: replica %d: %w", n.cfg.Replica.ID, err)
			}
			if u.HardStateChanged {
				n.durable, n.hasPending = vsr.HardState(u.HardState), false
			}
		}
		if n.cfg.Replies != nil {
			for _, c := range rd.Replies {
				n.cfg.Replies(c)
			}
		}
		if n.cfg.Applied != nil && len(rd.Committed) > 0 {
			n.cfg.Applied(rd.Committed)
		}
		n.readsDone(rd.Reads)
		n.r.Advance(rd)
	}
	n.snapshot()
	return nil
}

// commitOnly reports whether hs differs from the durable hard state in its
// commit point alone.
func (n *Node) commitOnly(hs vsr.HardState) bool {
	d := &n.durable
	return hs.View == d.View && hs.LogView == d.LogView && hs.Commit != d.Commit && hs.Checkpoint == d.Checkpoint &&
		len(hs.Headers) == len(d.Headers) && (len(hs.Headers) == 0 || &hs.Headers[0] == &d.Headers[0])
}

// commitFlushTicks is how many ticks a deferred commit point waits for a
// durable write to join before it is written on its own: a crash loses at
// most this much of the hint, and the metadata group applies again (with
// idempotent effects) what it does not cover.
const commitFlushTicks = 10

// flushCommit writes a deferred commit point: on Stop, so that a clean
// restart replays to the head of its log.
func (n *Node) flushCommit() error {
	if !n.hasPending {
		return nil
	}
	n.persists.Add(1)
	if err := n.vlog.Persist(vsrlog.Update{HardStateChanged: true, HardState: vsrlog.HardState(n.pending)}); err != nil {
		return err
	}
	n.durable, n.hasPending = n.pending, false
	return nil
}

func (n *Node) snapshot() {
	r := n.r
	cp, _ := r.Checkpoint()
	st := Status{Status: r.Status(), View: r.View(), Primary: r.Primary(), IsPrimary: r.IsPrimary(),
		Op: r.Op(), CommitMin: r.CommitMin(), CommitMax: r.CommitMax(), Abdicated: r.Abdicated(),
		Checkpoint: cp, LogLen: r.LogLen()}
	n.mu.Lock()
	old := n.st
	n.st = st
	n.mu.Unlock()
	if old.Status != st.Status || old.View != st.View {
		lvl := slog.LevelDebug
		if n.cfg.LogViews {
			lvl = slog.LevelInfo
		}
		n.log.Log(context.Background(), lvl, "consensus: view", "status", st.Status, "view", st.View,
			"primary", int(st.Primary), "self_primary", st.IsPrimary, "op", st.Op, "commit", st.CommitMin)
	}
}
