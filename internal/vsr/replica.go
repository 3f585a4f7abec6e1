package vsr

import (
	"fmt"
	"math/bits"

	"github.com/shoal-io/shoal/internal/wire"
)

// slot is one op of the log.
type slot struct {
	h       wire.PrepareHeader // valid when present
	frame   []byte             // the whole Prepare frame; nil while the body is missing
	present bool               // the header is known
	durable bool               // frame is in the journal (acknowledged by Advance)
}

type timerID uint8

const (
	tPrepare    timerID = iota // primary: retransmit prepares
	tHeartbeat                 // primary: Commit heartbeat
	tBackup                    // backup: primary silence
	tResend                    // view change: resend SVC/DVC; suspecting: resend SVC
	tViewChange                // view change: escalate
	tProbe                     // RequestStartView
	tRepair                    // RequestPrepares
	numTimers
)

var timerNames = [numTimers]string{"prepare", "heartbeat", "backup", "resend", "view-change", "probe", "repair"}

func (t timerID) String() string {
	if t < numTimers {
		return timerNames[t]
	}
	return fmt.Sprintf("timerID(%d)", uint8(t))
}

type timer struct {
	on       bool
	deadline uint64
}

// dvc is a DoViewChange the primary-elect holds for its view.
type dvc struct {
	logView wire.View
	op      wire.Op
	commit  wire.Op
	headers []wire.PrepareHeader // ascending, contiguous, ending at op
	nack    wire.Uint128         // nack bit i: headers[len-1-i] never acknowledged
}

// Replica is one VSR replica. It is not safe for concurrent use.
type Replica struct {
	cfg         Config
	qRepl, qVC  int
	self        wire.ReplicaID
	status      Status
	view        wire.View // Invariant: logView <= view.
	logView     wire.View
	durView     wire.View            // view acknowledged durable by Advance
	durLogView  wire.View            // log_view acknowledged durable by Advance
	durHeaders  []wire.PrepareHeader // view headers acknowledged durable by Advance
	hsDirty     bool
	lastPersist HardState
	viewHeaders []wire.PrepareHeader // canonical headers adopted with logView

	// log[i] holds op base+1+i; ops at or below base are in the checkpoint.
	// Invariant: every present slot holds the prepare that view logView's log
	// holds at that op ("canonical"); so adjacent present slots hash-chain.
	log []slot
	// base is the op of the checkpoint the log starts after, and baseHdr
	// its header (the zero header while base is 0).
	// Invariant: base <= commitMin; base only grows.
	base    wire.Op
	baseHdr wire.PrepareHeader
	// cp is the latest checkpoint taken or installed (cp.op >= base);
	// cpPending is its encoding while the next Ready has not carried it;
	// durCP is the newest checkpoint op acknowledged durable by Advance.
	// Invariant: durCP >= base, except after a state transfer installed a
	// checkpoint not yet durable: then this replica acknowledges nothing.
	cp        checkpointState
	cpPending []byte
	durCP     wire.Op
	snap      Snapshotter // cfg.StateMachine, if it supports checkpoints
	xfer      *transfer   // state transfer in progress, or nil
	transfers int         // checkpoints installed by state transfer
	// Invariant: slots base+1..commitMin are present with bodies and
	// applied (ops 1..base are applied through the checkpoint).
	commitMin wire.Op
	// Invariant: commitMin <= commitMax; commitMax only grows, and only from
	// the primary of a view equal to logView (or from view installation).
	commitMax wire.Op
	// Invariant: slots base+1..durableHead are present, with bodies, durable.
	durableHead wire.Op
	hint        struct { // checksum of op commitMax from the last heartbeat
		op  wire.Op
		sum wire.Uint128
	}
	timestamp uint64 // last prepare timestamp (primary); strictly increasing

	// Primary state, valid in normal status when primary.
	ackOp     [MaxReplicas]wire.Op // highest op each backup acknowledged this view
	lastHeard [MaxReplicas]uint64  // tick of the last PrepareOk per replica
	// Backup state.
	ackSent    wire.Op // highest op acknowledged in this view
	lastCommit uint64  // timestamp of the newest heartbeat

	// View change state.
	svcView    wire.View // candidate view of the votes below
	svcVotes   uint64    // replicas that asked to start svcView
	suspecting bool      // this replica itself wants svcView
	standDown  bool      // primary asked to give up its view (StandDown)
	vcAttempt  int
	dvcs       [MaxReplicas]*dvc // DoViewChanges for view (primary-elect)
	dvcFrame   []byte            // our DoViewChange for view, snapshot once (pitfall 17)
	merged     bool              // primary-elect has adopted the quorum log
	nonce      wire.Uint128      // incarnation for RequestStartView
	probes     int

	repairAttempt int
	stash         map[wire.Op]stashed // repaired prepares awaiting their expected checksum

	rd      reads // linearizable reads (read.go)
	clients clientTable
	queue   [][]byte // requests waiting for pipeline room (primary, normal)
	ticks   uint64
	timers  [numTimers]timer
	rng     uint64

	// Output accumulated for the next Ready.
	msgs        []Envelope
	replies     []ClientFrame
	truncate    bool
	truncateOp  wire.Op
	dirty       bool // some present slot with a body is not durable
	committed   []Committed
	outstanding bool // a Ready was handed out and not yet advanced
}

// New returns a replica of a brand-new cluster: view 0, empty log, normal
// status (replica 0 is the primary).
func New(cfg Config) (*Replica, error) {
	r, err := newReplica(cfg)
	if err != nil {
		return nil, err
	}
	r.status = StatusNormal
	r.hsDirty = true
	r.enterNormal()
	return r, nil
}

// Restart rebuilds a replica after a crash from its durable hard state and
// journal (prepare frames in any order; corrupt frames are skipped). The state
// machine must be fresh: committed ops are re-applied as they are learned.
// The replica starts in recovering status and asks the cluster for the
// current view. Restart is RestartFrom without a checkpoint.
func Restart(cfg Config, hs HardState, journal [][]byte) (*Replica, error) {
	return RestartFrom(cfg, hs, nil, journal)
}

// RestartFrom is Restart from a durable checkpoint: checkpoint is the
// Ready.Checkpoint that hs.Checkpoint names (nil when hs.Checkpoint is 0).
// The state machine and the client table are restored from it, and
// journal frames at or below its op are ignored (a crash may have come
// before the journal was compacted).
func RestartFrom(cfg Config, hs HardState, checkpoint []byte, journal [][]byte) (*Replica, error) {
	r, err := newReplica(cfg)
	if err != nil {
		return nil, err
	}
	if hs.LogView > hs.View {
		return nil, fmt.Errorf("%w: log_view %d > view %d", ErrConfig, hs.LogView, hs.View)
	}
	if err := r.restoreCheckpoint(hs, checkpoint); err != nil {
		return nil, err
	}
	r.view, r.logView, r.durView, r.durLogView = hs.View, hs.LogView, hs.View, hs.LogView
	r.lastPersist = hs
	for _, f := range journal {
		var h wire.PrepareHeader
		if len(f) < wire.HeaderSize || wire.VerifyPrepare(f) != nil || h.Decode(f) != nil || h.Op <= r.base {
			continue
		}
		s := r.grow(h.Op)
		*s = slot{h: h, frame: f, present: true, durable: true}
	}
	// View headers fill slots the journal lacks, where they chain with their
	// neighbours. A crash in the middle of a write (truncate and entries
	// done, hard state not) can leave entries of a newer, never durably
	// adopted log next to these headers; the entries win, because that log
	// contains every op committed in this one.
	for i := range hs.Headers {
		h := &hs.Headers[i]
		if h.Op <= r.base {
			continue // in the checkpoint
		}
		s := r.grow(h.Op)
		if s.present {
			continue
		}
		if p := r.slot(h.Op - 1); p != nil && p.present && p.h.Checksum != h.Parent {
			continue
		}
		if n := r.slot(h.Op + 1); n != nil && n.present && n.h.Parent != h.Checksum {
			continue
		}
		*s = slot{h: *h, present: true}
	}
	r.viewHeaders, r.durHeaders = hs.Headers, hs.Headers
	r.advanceDurableHead()
	// The durable commit point is a hint: a shell may write it late or not
	// at all (internal/consensus defers commit-only writes), so it may be
	// anything up to the true one. Every op below the first view header is
	// committed (a suffix starts at its sender's commit point; see
	// buildDVC and sendStartView), so that is a floor a lower hint cannot
	// undercut: a replica that lost the journal entries below its view
	// headers must still report them as its log_view's (TestLowCommitHint;
	// the simulator found a view that lost committed ops when the hint was
	// low and the entries gone).
	floor := r.base // the checkpoint is committed and applied
	if len(hs.Headers) > 0 {
		floor = max(floor, hs.Headers[0].Op-1)
	}
	c := max(min(hs.Commit, r.head()), floor)
	for c > floor && !r.slot(c).present {
		c--
	}
	r.commitMax = c
	r.nonce = wire.Uint128{Lo: r.random(), Hi: uint64(cfg.ID) + 1}
	r.status = StatusRecovering
	r.probe()
	r.applyCommitted()
	return r, nil
}

func newReplica(cfg Config) (*Replica, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Replica{cfg: c, self: c.ID, rng: c.Seed ^ 0x9E3779B97F4A7C15*uint64(c.ID+1)}
	r.snap, _ = c.StateMachine.(Snapshotter)
	r.qRepl, r.qVC = Quorums(c.Replicas)
	r.clients.init(c.ClientsMax)
	r.stash = make(map[wire.Op]stashed)
	return r, nil
}

// --- accessors used by shells, tests and the simulator ---

// ID returns the replica index.
func (r *Replica) ID() wire.ReplicaID { return r.self }

// View returns the current view.
func (r *Replica) View() wire.View { return r.view }

// LogView returns the view of the current log.
func (r *Replica) LogView() wire.View { return r.logView }

// Status returns the protocol status.
func (r *Replica) Status() Status { return r.status }

// Op returns the highest op in the log.
func (r *Replica) Op() wire.Op { return r.head() }

// CommitMin returns the highest applied op.
func (r *Replica) CommitMin() wire.Op { return r.commitMin }

// CommitMax returns the highest op known committed.
func (r *Replica) CommitMax() wire.Op { return r.commitMax }

// IsPrimary reports whether this replica is the primary of its view.
func (r *Replica) IsPrimary() bool { return r.primaryOf(r.view) == r.self }

// Primary returns the primary of the current view.
func (r *Replica) Primary() wire.ReplicaID { return r.primaryOf(r.view) }

// Checksum returns the identity checksum of op, if its header is known.
func (r *Replica) Checksum(op wire.Op) (wire.Uint128, bool) {
	if op == 0 {
		return wire.Uint128{}, true
	}
	if op == r.base {
		return r.baseHdr.Checksum, true
	}
	if s := r.slot(op); s != nil && s.present {
		return s.h.Checksum, true
	}
	return wire.Uint128{}, false
}

// PipelineLen returns the number of prepared but uncommitted ops.
func (r *Replica) PipelineLen() int { return int(r.head()) - int(r.commitMax) }

func (r *Replica) primaryOf(v wire.View) wire.ReplicaID {
	return wire.ReplicaID(uint64(v) % uint64(r.cfg.Replicas))
}

// --- log helpers ---

// head returns the highest op in the log (the checkpoint op if the log
// holds nothing above it).
func (r *Replica) head() wire.Op { return r.base + wire.Op(len(r.log)) }

// slot returns op's slot, or nil at or below the checkpoint (base) and
// beyond the log.
func (r *Replica) slot(op wire.Op) *slot {
	if op <= r.base || op > r.head() {
		return nil
	}
	return &r.log[op-r.base-1]
}

// header returns op's header if it is known: a present slot's, or the
// checkpoint's at base.
func (r *Replica) header(op wire.Op) (*wire.PrepareHeader, bool) {
	if op == r.base && op > 0 {
		return &r.baseHdr, true
	}
	if s := r.slot(op); s != nil && s.present {
		return &s.h, true
	}
	return nil, false
}

// grow extends the log with empty slots up to op and returns op's slot.
// op must be above the checkpoint.
func (r *Replica) grow(op wire.Op) *slot {
	if op <= r.base {
		panic(fmt.Sprintf("vsr: replica %d growing to op %d at or below checkpoint %d", r.self, op, r.base))
	}
	for r.head() < op {
		r.log = append(r.log, slot{})
	}
	return &r.log[op-r.base-1]
}

// truncateTo drops every op above op, in memory and (via Ready) in the journal.
func (r *Replica) truncateTo(op wire.Op) {
	if op >= r.head() {
		return
	}
	if op < r.commitMin {
		panic(fmt.Sprintf("vsr: replica %d truncating to %d below commit_min %d", r.self, op, r.commitMin))
	}
	clear(r.log[op-r.base:])
	r.log = r.log[:op-r.base]
	if !r.truncate || op < r.truncateOp {
		r.truncateOp = op
	}
	r.truncate = true
	r.durableHead = min(r.durableHead, op)
}

// expected returns the checksum op must have, derived from the chain above
// it or from the last heartbeat.
func (r *Replica) expected(op wire.Op) (wire.Uint128, bool) {
	if s := r.slot(op); s != nil && s.present {
		return s.h.Checksum, true
	}
	if s := r.slot(op + 1); s != nil && s.present {
		return s.h.Parent, true
	}
	if r.hint.op == op && op > 0 {
		return r.hint.sum, true
	}
	return wire.Uint128{}, false
}

// install stores a verified prepare frame at its op. The caller has checked
// that it is canonical for logView.
func (r *Replica) install(h *wire.PrepareHeader, frame []byte) {
	s := r.grow(h.Op)
	if s.present && s.h.Checksum != h.Checksum {
		// A canonical slot cannot change; reaching here means two canonical
		// prepares disagree.
		panic(fmt.Sprintf("vsr: replica %d op %d: installing %v over canonical %v", r.self, h.Op, h.Checksum, s.h.Checksum))
	}
	if s.present && s.frame != nil {
		return
	}
	s.h, s.present, s.frame, s.durable = *h, true, frame, false
	r.dirty = true
}

// presentOK reports whether s is a slot whose header is known; nil (beyond
// the log) is not.
func (s *slot) presentOK() bool { return s != nil && s.present }

func (r *Replica) advanceDurableHead() {
	for r.durableHead < r.head() {
		s := r.slot(r.durableHead + 1)
		if !s.present || s.frame == nil || !s.durable {
			return
		}
		r.durableHead++
	}
}

// --- timers and randomness ---

func (r *Replica) random() uint64 {
	r.rng += 0x9E3779B97F4A7C15
	z := r.rng
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *Replica) start(t timerID, after int) {
	r.timers[t] = timer{on: true, deadline: r.ticks + uint64(max(after, 1))}
}

func (r *Replica) startJitter(t timerID, after int) {
	r.start(t, after+int(r.random()%uint64(after/2+1)))
}

func (r *Replica) stop(t timerID) { r.timers[t].on = false }

// Tick advances the replica's clock by one tick and fires due timeouts.
func (r *Replica) Tick() {
	r.ticks++
	if r.readsPending() {
		r.expireReads()
	}
	if r.xfer != nil && r.xfer.deadline <= r.ticks {
		r.onTransferTimeout()
	}
	for t := timerID(0); t < numTimers; t++ {
		if tm := &r.timers[t]; tm.on && tm.deadline <= r.ticks {
			tm.on = false
			r.fire(t)
		}
	}
}

func (r *Replica) fire(t timerID) {
	switch t {
	case tPrepare:
		r.onPrepareTimeout()
	case tHeartbeat:
		r.onHeartbeatTimeout()
	case tBackup:
		r.suspect()
	case tResend:
		r.onResendTimeout()
	case tViewChange:
		// Already out of normal status: escalate without waiting for votes
		// (VR Revisited §4.2). The DoViewChange to the next primary pulls it
		// in, even from a view that a stale quorum of votes had left.
		r.vcAttempt++
		r.startViewChange(r.view + 1)
	case tProbe:
		r.onProbeTimeout()
	case tRepair:
		r.repair()
	}
}

// --- Ready / Advance ---

// HasReady reports whether Ready would return work. It is false while a
// Ready is outstanding.
func (r *Replica) HasReady() bool {
	if r.outstanding {
		return false
	}
	return len(r.msgs) > 0 || len(r.replies) > 0 || r.truncate || r.dirty || r.hsDirty || len(r.committed) > 0 ||
		r.cpPending != nil || len(r.rd.results) > 0
}

// Ready returns the accumulated work. The caller must call Advance(rd) after
// persisting rd and before calling Ready again.
func (r *Replica) Ready() Ready {
	if r.outstanding {
		panic("vsr: Ready called before Advance")
	}
	rd := Ready{Messages: r.msgs, Replies: r.replies, Committed: r.committed, Checkpoint: r.cpPending, Reads: r.rd.results}
	r.msgs, r.replies, r.committed, r.cpPending, r.rd.results = nil, nil, nil, nil, nil
	if r.truncate {
		rd.Truncate, rd.TruncateOp = true, r.truncateOp
		r.truncate = false
	}
	if r.dirty {
		for op := r.durableHead + 1; op <= r.head(); op++ {
			if s := r.slot(op); s.present && s.frame != nil && !s.durable {
				rd.Entries = append(rd.Entries, s.frame)
			}
		}
		r.dirty = false
	}
	if hs := r.hardState(); r.hsDirty || hs.View != r.lastPersist.View || hs.LogView != r.lastPersist.LogView ||
		hs.Commit != r.lastPersist.Commit || hs.Checkpoint != r.lastPersist.Checkpoint {
		rd.HardStateChanged, rd.HardState = true, hs
		r.lastPersist = hs
		r.hsDirty = false
	}
	r.outstanding = true
	return rd
}

func (r *Replica) hardState() HardState {
	return HardState{View: r.view, LogView: r.logView, Commit: r.commitMax, Headers: r.viewHeaders,
		Checkpoint: r.cp.op, CheckpointChecksum: r.cp.hdr.Checksum}
}

// Advance tells the replica that rd has been persisted. Messages that depend
// on it (PrepareOk, DoViewChange, StartView) are produced now and appear in
// the next Ready.
func (r *Replica) Advance(rd Ready) {
	if !r.outstanding {
		panic("vsr: Advance without an outstanding Ready")
	}
	r.outstanding = false
	for _, f := range rd.Entries {
		op := wire.Op(leU64(f[176:]))
		if r.truncate && op > r.truncateOp {
			continue // truncated again since; the next Ready rewrites it
		}
		if s := r.slot(op); s != nil && s.present && s.frame != nil && &s.frame[0] == &f[0] {
			s.durable = true
		}
	}
	r.advanceDurableHead()
	if rd.HardStateChanged {
		r.durView, r.durLogView = rd.HardState.View, rd.HardState.LogView
		r.durHeaders = rd.HardState.Headers
	}
	if rd.Checkpoint != nil {
		// The checkpoint and the hard state naming it are durable: ops at
		// or below it leave memory (and the shell's journal).
		var h wire.PrepareHeader
		_ = h.Decode(rd.Checkpoint[16:checkpointFixed]) // checked when encoded
		r.durCP = max(r.durCP, h.Op)
		r.compactTo(h.Op, h)
	}
	r.afterDurable()
}

// afterDurable releases whatever waited for durability.
func (r *Replica) afterDurable() {
	switch r.status {
	case StatusNormal:
		if r.IsPrimary() {
			r.primaryCommit()
		} else {
			r.sendAck(false)
		}
	case StatusViewChange:
		r.maybeSendDVC()
		r.maybeStartView()
	}
}

func leU64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func popcount(x uint64) int { return bits.OnesCount64(x) }
