package partgroup

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/consensus"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// Defaults for a partition's group.
const (
	// DefaultCheckpointInterval bounds the ops a group keeps in memory and
	// in its journal (each up to a batch): at 1 MiB batches, 64 MiB.
	DefaultCheckpointInterval = 64
	// DefaultPipeline is how many prepares may be in flight: enough to
	// keep the journal's fsync and the network busy at once.
	DefaultPipeline = 32
	// DefaultTimeout is how many ticks (10 ms) a proposal waits for its
	// commit before it is answered TransientNotAccepted.
	DefaultTimeout = 500
	// standDownTicks is how long a primary that is not the leader keeps
	// its view before it stands down: long enough for the leader's
	// status to settle after a view change of the metadata group.
	standDownTicks = 20
)

// ErrNotPrimary means this replica is not the group's normal primary; the
// client looks for the leader (TransientNotAccepted).
var ErrNotPrimary = errors.New("partgroup: not the group's primary")

// Storage reaches the partition on its owner.
type Storage interface {
	// On runs fn with the open partition on the partition's owner and
	// returns once it ran, or an error if the partition cannot be had
	// (fn did not run). It is called from the group's goroutine.
	On(fn func(p *partition.Partition)) error
}

// Config configures a partition's group.
type Config struct {
	// Replica: ID, Replicas, Cluster, Seed and Timeouts; Group,
	// Sessionless and StateMachine are set here, and PipelineMax and
	// CheckpointInterval default to DefaultPipeline and
	// DefaultCheckpointInterval.
	Replica                  vsr.Config
	Stream, Topic, Partition uint32
	FS                       vfs.FS
	// Dir is the group's vsrlog directory; the file Dir+".purge" holds
	// the latest purge asked of the group (Purge).
	Dir       string
	Transport consensus.Transport
	Storage   Storage
	// Leader names the node clients follow (the metadata group's
	// primary), if known and reachable; the group's primary stands down
	// for it.
	Leader func() (wire.ReplicaID, bool)
	// Timeout is how many ticks a proposal waits (DefaultTimeout).
	Timeout int
	Ticks   <-chan time.Time // test ticks (consensus.Config.Ticks)
	Logger  *slog.Logger
}

// Result is the outcome of a committed request, or why it has none.
type Result struct {
	Status     wire.Status
	BaseOffset uint64 // a send's first offset
	Count      uint32 // a send's messages
}

// Status is a group's state for the server and the metrics.
type Status struct {
	consensus.Status
	// Gap: the latest checkpoint offered by state transfer is ahead of
	// the partition (it needs messages that are not here); it was
	// refused, and the replica copies them from a peer before it takes
	// it (backfill).
	Gap bool
	// Copied counts the messages this replica copied from its peers'
	// partitions since Start (see Gap).
	Copied uint64
	// Failed: applying a committed op failed on this replica's storage;
	// the partition stays as it was until a restart restores it.
	Failed bool
}

// Group is one partition's consensus group on this replica.
type Group struct {
	cfg  Config
	log  *slog.Logger
	node *consensus.Node
	m    *machine
	id   uint64 // wire.PartitionGroup

	client wire.ClientID // this start's proposer id

	mu        sync.Mutex // guards the following
	seq       uint64
	waiters   map[uint64]*waiter
	pending   map[partition.ConsumerKey]pendingOffset // StoreOffset, until answered
	pendingID uint64

	// On the node's goroutine only.
	ticks      uint64
	misaligned int
	purging    uint64 // the purge op in flight, if any

	purgeMu   sync.Mutex    // serialises Purge
	wantPurge atomic.Uint64 // latest purge the metadata asked for
}

// pendingOffset is a consumer's latest store proposed here.
type pendingOffset struct {
	offset, id uint64
}

type waiter struct {
	done     func(Result)
	view     wire.View
	deadline uint64
}

// Start starts partition's group: it opens its journal, restores the
// partition to the latest checkpoint (or empties it when there is none)
// and re-applies the committed ops it holds above it, all through
// cfg.Storage. It must not be called from the partition's owner.
func Start(cfg Config) (*Group, error) {
	if cfg.Storage == nil || cfg.Leader == nil {
		return nil, errors.New("partgroup: no storage or leader")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	g := &Group{cfg: cfg, id: wire.PartitionGroup(cfg.Stream, cfg.Topic, cfg.Partition), waiters: map[uint64]*waiter{},
		pending: map[partition.ConsumerKey]pendingOffset{}}
	g.log = lg.With("stream", cfg.Stream, "topic", cfg.Topic, "partition", cfg.Partition)
	g.m = &machine{st: cfg.Storage, log: g.log}
	var b [16]byte
	_, _ = rand.Read(b[:])
	g.client = wire.ClientID{Lo: binary.LittleEndian.Uint64(b[:]), Hi: binary.LittleEndian.Uint64(b[8:])}

	rc := cfg.Replica
	rc.Group, rc.Sessionless, rc.StateMachine = g.id, true, g.m
	if rc.PipelineMax == 0 {
		rc.PipelineMax = DefaultPipeline
	}
	if rc.CheckpointInterval == 0 {
		rc.CheckpointInterval = DefaultCheckpointInterval
	}
	// A group with a durable checkpoint starts its partition from it
	// (machine.Restore, called by vsr.RestartFrom); one without empties
	// it before it applies op 1 (machine.Apply).
	node, err := consensus.Start(consensus.Config{Replica: rc, FS: cfg.FS, Dir: cfg.Dir, Transport: cfg.Transport,
		Replies: g.onReply, Ticked: g.onTick, Refused: g.onRefused, Aside: g.aside, Ticks: cfg.Ticks, Logger: lg})
	if err != nil {
		return nil, fmt.Errorf("partgroup %d/%d/%d: %w", cfg.Stream, cfg.Topic, cfg.Partition, err)
	}
	if err := g.m.failure(); err != nil {
		node.Stop()
		return nil, fmt.Errorf("partgroup %d/%d/%d: restore: %w", cfg.Stream, cfg.Topic, cfg.Partition, err)
	}
	g.node = node
	if b, err := vfs.ReadFile(cfg.FS, g.purgeFile()); err == nil && len(b) == 8 {
		g.wantPurge.Store(binary.LittleEndian.Uint64(b))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		g.log.Error("partition group: the purge asked of the group cannot be read", "err", err)
	}
	return g, nil
}

// purgeFile holds the latest purge asked of the group.
func (g *Group) purgeFile() string { return g.cfg.Dir + ".purge" }

// ID is the group's wire.PartitionGroup.
func (g *Group) ID() uint64 { return g.id }

// Node is the group's consensus Node (the router feeds it).
func (g *Group) Node() *consensus.Node { return g.node }

// Status returns the group's state after its latest round.
func (g *Group) Status() Status {
	return Status{Status: g.node.Status(), Gap: g.m.gap.Load(), Copied: g.m.copied.Load(), Failed: g.m.failure() != nil}
}

// Serves reports whether this replica serves the partition's requests:
// it is the normal primary of the group's view, has applied every op it
// knows committed (a new primary may still be repairing some: its
// partition would answer polls from an older state), and has no gap.
func (g *Group) Serves() bool {
	st := g.node.Status()
	return st.Status == vsr.StatusNormal && st.IsPrimary && !st.Abdicated && st.CommitMin == st.CommitMax && !g.m.broken()
}

// Stop stops the group's node and answers every waiting proposal with
// TransientNotAccepted. It must not be called from the partition's owner
// while the node may be applying (Apply waits for the owner).
func (g *Group) Stop() error {
	err := g.node.Stop()
	g.failAll(wire.StatusTransientNotCommitted) // they may have committed
	return err
}

// Send proposes a batch (a wire.SendMessages batch record) with the
// leader's timestamp now (µs); done receives its offsets once it is
// committed and appended, or TransientNotAccepted. batch is copied.
func (g *Group) Send(now uint64, batch []byte, done func(Result)) {
	g.propose(wire.OpSendMessages, done, binary.LittleEndian.AppendUint64(nil, now), batch)
}

// StoreOffset proposes storing k's offset. Until it is answered,
// PendingOffset reports it.
func (g *Group) StoreOffset(k partition.ConsumerKey, offset uint64, done func(Result)) {
	g.mu.Lock()
	g.pendingID++
	id := g.pendingID
	g.pending[k] = pendingOffset{offset: offset, id: id}
	g.mu.Unlock()
	g.propose(wire.OpStoreConsumerOffset, func(r Result) {
		g.mu.Lock()
		if p, ok := g.pending[k]; ok && p.id == id {
			delete(g.pending, k)
		}
		g.mu.Unlock()
		done(r)
	}, appendKey(binary.LittleEndian.AppendUint64(nil, offset), k))
}

// PendingOffset returns the offset of k's latest store proposed here and
// not answered yet: a poll that continues from k's offset (a consumer
// auto-committing, whose store is still in the group) continues from it,
// not from the older one the partition holds, or it would serve the same
// messages again.
func (g *Group) PendingOffset(k partition.ConsumerKey) (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.pending[k]
	return p.offset, ok
}

// DeleteOffset proposes deleting k's offset.
func (g *Group) DeleteOffset(k partition.ConsumerKey, done func(Result)) {
	g.propose(wire.OpDeleteConsumerOffset, done, appendKey(nil, k))
}

// Purge asks for the partition to be purged by metadata operation op
// (PurgeTopic, PurgeStream): the group's primary proposes it, now if it
// is the primary, or once it becomes one; every replica applies it in
// order with the sends around it. The request is durable when Purge
// returns nil (the metadata group's effects of op are then done on this
// node): whichever node leads the group next, even after a restart of
// every node, proposes it.
func (g *Group) Purge(op uint64) error {
	g.purgeMu.Lock()
	defer g.purgeMu.Unlock()
	if op <= g.wantPurge.Load() {
		return nil
	}
	if err := vfs.WriteFileSync(g.cfg.FS, g.purgeFile(), binary.LittleEndian.AppendUint64(nil, op)); err != nil {
		return fmt.Errorf("partgroup: record purge %d: %w", op, err)
	}
	g.wantPurge.Store(op)
	return nil
}

// PurgedAt is the latest purge applied here.
func (g *Group) PurgedAt() uint64 { return g.m.purgedAt.Load() }

// propose registers done for a new request of op whose body is parts,
// and hands it to the node.
func (g *Group) propose(op wire.Operation, done func(Result), parts ...[]byte) {
	st := g.node.Status()
	if st.Status != vsr.StatusNormal || !st.IsPrimary || st.Abdicated || g.m.broken() {
		done(Result{Status: wire.StatusTransientNotAccepted})
		return
	}
	g.mu.Lock()
	g.seq++
	seq := g.seq
	g.waiters[seq] = &waiter{done: done, view: st.View, deadline: atomic.LoadUint64(&g.ticks) + uint64(g.cfg.Timeout)}
	g.mu.Unlock()
	if err := g.node.Propose(g.request(op, seq, parts...)); err != nil {
		g.finish(seq, Result{Status: wire.StatusTransientNotAccepted})
	}
}

// request is the Request frame of this proposer's request number req of
// op, its body the concatenation of parts: one allocation, one copy of
// a batch. The session number is any (the group is sessionless).
func (g *Group) request(op wire.Operation, req uint64, parts ...[]byte) []byte {
	n := wire.HeaderSize
	for _, p := range parts {
		n += len(p)
	}
	f := make([]byte, wire.HeaderSize, n)
	h := wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(n)}, Client: g.client, Request: req, Session: 1, Operation: op}
	h.Put(f)
	for _, p := range parts {
		f = append(f, p...)
	}
	return f
}

// finish answers request seq, if it is still waiting.
func (g *Group) finish(seq uint64, r Result) {
	g.mu.Lock()
	w := g.waiters[seq]
	delete(g.waiters, seq)
	g.mu.Unlock()
	if w != nil {
		w.done(r)
	}
}

func (g *Group) failAll(st wire.Status) {
	g.mu.Lock()
	ws := g.waiters
	g.waiters = map[uint64]*waiter{}
	g.mu.Unlock()
	for _, w := range ws {
		w.done(Result{Status: st})
	}
}

// onReply matches a committed op's reply to its proposal.
func (g *Group) onReply(cf vsr.ClientFrame) {
	var rh wire.ReplyHeader
	if cf.Client != g.client || wire.PeekCommand(cf.Frame) != wire.CommandReply || rh.Decode(cf.Frame) != nil {
		return
	}
	if rh.Operation == wire.OpPurgeTopic {
		return // the group's own purge: nobody waits
	}
	g.finish(rh.Request, decodeResult(cf.Frame[wire.HeaderSize:]))
}

// onRefused answers a proposal the primary's queue could not take.
func (g *Group) onRefused(f []byte, _ error) {
	var h wire.RequestHeader
	if h.Decode(f) == nil && h.Client == g.client {
		if h.Operation == wire.OpPurgeTopic {
			g.purging = 0
			return
		}
		g.finish(h.Request, Result{Status: wire.StatusTransientNotAccepted})
	}
}

// onTick expires proposals that can no longer be answered, stands down
// a primary that is not the leader (or has a gap), and proposes a purge
// the metadata asked for. It runs on the node's goroutine.
func (g *Group) onTick(st consensus.Status) {
	ticks := atomic.AddUint64(&g.ticks, 1)
	g.backfillTick(st)
	serving := st.Status == vsr.StatusNormal && st.IsPrimary && !st.Abdicated
	g.mu.Lock()
	var expired []*waiter
	for seq, w := range g.waiters {
		if !serving || st.View != w.view || ticks >= w.deadline {
			expired = append(expired, w)
			delete(g.waiters, seq)
		}
	}
	g.mu.Unlock()
	for _, w := range expired {
		// The prepare may still commit (in this view's pipeline, or a
		// later view's log): the outcome is unknown, not refused.
		w.done(Result{Status: wire.StatusTransientNotCommitted})
	}
	if !serving {
		g.misaligned, g.purging = 0, 0
		return
	}
	if leader, ok := g.cfg.Leader(); (ok && leader != g.cfg.Replica.ID) || g.m.broken() {
		if g.misaligned++; g.misaligned >= standDownTicks {
			g.log.Info("partition group primary standing down", "leader", leader, "broken", g.m.broken(), "view", st.View)
			if ok && leader != g.cfg.Replica.ID {
				g.node.StandDownTo(leader) // straight to it, past a replica that may be down
			} else {
				g.node.StandDown()
			}
			g.misaligned = 0
		}
		return
	}
	g.misaligned = 0
	if want := g.wantPurge.Load(); want > g.m.purgedAt.Load() && g.purging != want {
		g.purging = want
		if g.node.Propose(g.request(wire.OpPurgeTopic, want, binary.LittleEndian.AppendUint64(nil, want))) != nil {
			g.purging = 0
		}
	}
}

// appendKey appends a consumer key: kind u8, id u32.
func appendKey(b []byte, k partition.ConsumerKey) []byte {
	return binary.LittleEndian.AppendUint32(append(b, byte(k.Kind)), k.ID)
}

func decodeKey(b []byte) (partition.ConsumerKey, bool) {
	if len(b) != 5 {
		return partition.ConsumerKey{}, false
	}
	return partition.ConsumerKey{Kind: wire.ConsumerKind(b[0]), ID: binary.LittleEndian.Uint32(b[1:])}, true
}
