package vsr

import (
	"fmt"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// enterNormal moves to normal status in the current view and resets the
// per-view state. Reference: VR Revisited §4.1.
func (r *Replica) enterNormal() {
	r.status = StatusNormal
	r.timers = [numTimers]timer{}
	r.svcView, r.svcVotes, r.suspecting, r.vcAttempt = 0, 0, false, 0
	r.standDown = false
	r.dvcs = [MaxReplicas]*dvc{}
	r.dvcFrame, r.merged, r.probes = nil, false, 0
	r.ackOp = [MaxReplicas]wire.Op{}
	r.ackSent, r.lastCommit = 0, 0
	r.queue = nil
	r.onViewEntry()
	if r.IsPrimary() {
		for i := range r.lastHeard {
			r.lastHeard[i] = r.ticks
		}
		r.start(tHeartbeat, r.cfg.Timeouts.Heartbeat)
		if r.PipelineLen() > 0 {
			r.start(tPrepare, r.cfg.Timeouts.Prepare)
		}
	} else {
		r.startJitter(tBackup, r.cfg.Timeouts.Backup)
	}
	r.start(tRepair, r.cfg.Timeouts.Repair)
}

// prepare turns a client request into the next op and replicates it to every
// backup at once (star replication; TigerBeetle PR #3669).
func (r *Replica) prepare(req *wire.RequestHeader, body []byte) {
	op := r.head() + 1
	parent, ok := r.Checksum(op - 1)
	if !ok {
		panic(fmt.Sprintf("vsr: primary %d has no header for op %d", r.self, op-1))
	}
	r.timestamp = max(r.timestamp+1, r.ticks)
	h := wire.PrepareHeader{
		Prefix:          r.prefix(wire.HeaderSize + len(body)),
		Client:          req.Client,
		Parent:          parent,
		RequestChecksum: req.RequestChecksum,
		Op:              op,
		Commit:          r.commitMax,
		Timestamp:       r.timestamp,
		Request:         req.Request,
		Operation:       req.Operation,
		Group:           r.cfg.Group,
	}
	f := make([]byte, wire.HeaderSize+len(body))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	wire.StampPrepare(f)
	if err := h.Decode(f); err != nil {
		panic("vsr: own prepare does not decode: " + err.Error())
	}
	r.install(&h, f)
	r.broadcast(f)
	if !r.timers[tPrepare].on {
		r.start(tPrepare, r.cfg.Timeouts.Prepare)
	}
}

// onPrepare handles a Prepare from the primary of h.View.
func (r *Replica) onPrepare(h *wire.PrepareHeader, f []byte) {
	switch {
	case h.View < r.view:
		r.helpStale(r.primaryOf(h.View))
		return
	case h.View > r.view:
		r.lagging(h.View)
		return
	}
	if r.status != StatusNormal || r.IsPrimary() || r.logView != r.view {
		return
	}
	r.commitMax = max(r.commitMax, h.Commit)
	if h.Op <= r.commitMin {
		r.sendAck(true) // a retransmission: our acknowledgement was lost
		return
	}
	if h.Op > max(r.commitMax, r.head())+wire.MaxViewChangeHeaders {
		return // beyond any pipeline; drop rather than grow without bound
	}
	if s := r.slot(h.Op); s != nil && s.present {
		if s.h.Checksum != h.Checksum {
			return // cannot happen between honest replicas of one view
		}
		if s.frame == nil {
			r.install(h, f)
		}
	} else {
		if p := r.slot(h.Op - 1); p != nil && p.present && p.h.Checksum != h.Parent {
			return
		}
		if n := r.slot(h.Op + 1); n != nil && n.present && n.h.Parent != h.Checksum {
			return
		}
		r.install(h, f)
	}
	r.applyCommitted()
	r.sendAck(h.Op <= r.ackSent)
}

// sendAck sends the primary a PrepareOk for the highest op such that every
// op up to it is durable: acknowledgements are cumulative. force resends an
// acknowledgement already sent. PrepareOk is gated on a durable log_view
// equal to the view (TigerBeetle log_view_durable).
func (r *Replica) sendAck(force bool) {
	if r.status != StatusNormal || r.IsPrimary() || r.logView != r.view || r.durLogView != r.view || r.durCP < r.base {
		return
	}
	op := r.ackHead()
	if op <= r.ackSent && !force {
		return
	}
	r.ackSent = max(r.ackSent, op)
	h := wire.PrepareOkHeader{Prefix: r.prefix(wire.HeaderSize), Op: op, Commit: r.commitMax, Group: r.cfg.Group,
		ReadNonce: r.rd.seen}
	if p, ok := r.header(op); ok { // op may be the checkpoint's
		h.Parent, h.PrepareChecksum = p.Parent, p.Checksum
		h.Timestamp, h.Request, h.Operation = p.Timestamp, p.Request, p.Operation
	}
	r.send(r.Primary(), sealed(&h, wire.HeaderSize, nil))
}

// ackHead is the highest op this replica may acknowledge: every op up to
// it is durable. (BugAckBeforePersist drops the durability condition.)
func (r *Replica) ackHead() wire.Op {
	if r.cfg.Bug != BugAckBeforePersist {
		return r.durableHead
	}
	op := r.durableHead
	for s := r.slot(op + 1); s != nil && s.present && s.frame != nil; s = r.slot(op + 1) {
		op++
	}
	return op
}

// onPrepareOk counts a backup's cumulative acknowledgement.
func (r *Replica) onPrepareOk(from wire.ReplicaID, h *wire.PrepareOkHeader) {
	if h.View != r.view || r.status != StatusNormal || !r.IsPrimary() {
		return
	}
	r.lastHeard[from] = r.ticks
	if h.ReadNonce != 0 {
		r.onReadAck(from, h.ReadNonce)
	}
	if h.Op == 0 || h.Op <= r.ackOp[from] {
		return
	}
	if s := r.slot(h.Op); s == nil || !s.present || s.h.Checksum != h.PrepareChecksum {
		return
	}
	r.ackOp[from] = h.Op
	r.primaryCommit()
}

// primaryCommit commits the highest op that a replication quorum holds
// together with every earlier op, then applies it. Reference: VR Revisited
// §4.1 step 5; TigerBeetle quorum_replication.
func (r *Replica) primaryCommit() {
	if r.status != StatusNormal || !r.IsPrimary() {
		return
	}
	var own wire.Op
	if r.durLogView == r.view && r.durCP >= r.base {
		own = r.ackHead()
	}
	var acks [MaxReplicas]wire.Op
	for i := 0; i < r.cfg.Replicas; i++ {
		acks[i] = r.ackOp[i]
	}
	acks[r.self] = own
	a := acks[:r.cfg.Replicas]
	slices.Sort(a)
	c := a[len(a)-r.qRepl]
	if r.cfg.Bug == BugCommitWithoutQuorum {
		c = max(c, own)
	}
	c = min(c, r.head())
	if c > r.commitMax {
		r.commitMax = c
	}
	r.applyCommitted()
	r.drainQueue()
	if r.PipelineLen() == 0 {
		r.stop(tPrepare)
	}
}

// applyCommitted applies ops commitMin+1..commitMax whose bodies are here.
func (r *Replica) applyCommitted() {
	for r.commitMin < r.commitMax {
		s := r.slot(r.commitMin + 1)
		if s == nil || !s.present || s.frame == nil {
			return
		}
		prev, _ := r.Checksum(r.commitMin)
		if s.h.Parent != prev {
			panic(fmt.Sprintf("vsr: replica %d op %d parent %v does not chain to committed op %d %v",
				r.self, s.h.Op, s.h.Parent, r.commitMin, prev))
		}
		r.commitMin++
		r.apply(s)
		r.maybeCheckpoint()
		if len(r.rd.confirmed) > 0 {
			r.releaseReads()
		}
	}
}

// onCommit handles the primary's heartbeat.
func (r *Replica) onCommit(from wire.ReplicaID, h *wire.CommitHeader) {
	switch {
	case h.View < r.view:
		r.helpStale(from)
		return
	case h.View > r.view:
		r.lagging(h.View)
		return
	}
	if r.status != StatusNormal || r.IsPrimary() || from != r.Primary() || r.logView != r.view {
		return
	}
	// A read-confirmation round of this view's primary, seen in normal
	// status: echoed in every PrepareOk from now on in this view.
	r.rd.seen = max(r.rd.seen, h.ReadNonce)
	if h.TimestampMonotonic >= r.lastCommit {
		r.lastCommit = h.TimestampMonotonic
		r.startJitter(tBackup, r.cfg.Timeouts.Backup)
	}
	if h.Commit > 0 && h.Commit >= r.hint.op {
		r.hint.op, r.hint.sum = h.Commit, h.CommitChecksum
	}
	r.commitMax = max(r.commitMax, h.Commit)
	r.applyCommitted()
	if h.CheckpointOp > r.commitMin {
		// The primary no longer holds the ops after our commit point; if
		// the next one is missing here, only its checkpoint helps.
		if s := r.slot(r.commitMin + 1); s == nil || s.frame == nil {
			r.startTransfer(from)
		}
	}
	r.sendAck(true)
}

// helpStale answers a replica still in an older view with our StartView,
// if we are the normal primary of the newer one.
func (r *Replica) helpStale(to wire.ReplicaID) {
	if r.status == StatusNormal && r.IsPrimary() && to != r.self {
		r.sendStartView(to, wire.Uint128{})
	}
}

func (r *Replica) onPrepareTimeout() {
	if r.status != StatusNormal || !r.IsPrimary() || r.PipelineLen() == 0 {
		return
	}
	r.retransmit()
	r.start(tPrepare, r.cfg.Timeouts.Prepare)
}

// retransmit resends the pipeline to each backup that has not acknowledged
// it. Older gaps are the backup's to repair.
func (r *Replica) retransmit() {
	head := r.head()
	for i := 0; i < r.cfg.Replicas; i++ {
		to := wire.ReplicaID(i)
		if to == r.self {
			continue
		}
		for op := max(r.ackOp[i], r.commitMax) + 1; op <= head; op++ {
			r.send(to, r.prepareFrame(op))
		}
	}
}

// prepareFrame returns op's prepare frame stamped with the current view.
func (r *Replica) prepareFrame(op wire.Op) []byte {
	s := r.slot(op)
	if wire.View(leU32(s.frame[52:])) == r.view {
		return s.frame
	}
	return r.restamp(s.frame, wire.CommandPrepare)
}

func leU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func (r *Replica) onHeartbeatTimeout() {
	if r.status != StatusNormal || !r.IsPrimary() {
		return
	}
	r.start(tHeartbeat, r.cfg.Timeouts.Heartbeat)
	if r.standDown {
		return // suspecting since StandDown; no heartbeat until the view changes
	}
	if !r.quorumContact() {
		// Abdicate: stop heartbeating so the backups time out, and vote
		// for a new view ourselves. Reads would wait for answers that
		// most likely will not come: they fail now.
		if !r.suspecting {
			r.suspect()
		}
		r.failReads()
		return
	}
	if r.suspecting {
		r.suspecting = false
		r.svcVotes &^= 1 << r.self
		r.stop(tResend)
	}
	r.heartbeat()
}

// heartbeat broadcasts a Commit: the commit point and its checksum, the
// checkpoint, and the open read round's nonce, if any.
func (r *Replica) heartbeat() {
	sum, _ := r.Checksum(r.commitMax)
	h := wire.CommitHeader{Prefix: r.prefix(wire.HeaderSize), CommitChecksum: sum,
		TimestampMonotonic: r.ticks, Commit: r.commitMax, CheckpointOp: r.base, Group: r.cfg.Group}
	if r.rd.round.on {
		h.ReadNonce = r.rd.round.nonce
	}
	r.broadcast(sealed(&h, wire.HeaderSize, nil))
}

// Abdicated reports whether this replica is the primary of a normal view
// that stopped heartbeating because it lost contact with a replication
// quorum: its proposals would most likely not commit, and a new view is
// probably forming without it. A shell should not offer it as the leader.
func (r *Replica) Abdicated() bool {
	return r.status == StatusNormal && r.IsPrimary() && r.suspecting
}

// StandDown makes the primary of a normal view give it up: it prepares
// nothing more, stops heartbeating and asks for the next view, and its
// backups, hearing that from their own primary, join at once. A shell
// uses it to move a group's primary to another replica (a partition
// group follows the metadata leader, so the node that takes the clients'
// requests is the one that can propose them). The next view's primary is
// the next replica in turn; a shell that wants a particular one asks
// again while it is not. It does nothing on a backup or out of normal
// status. Ops already prepared still commit in the next view if a
// replication quorum holds them (a view change, not a truncation).
func (r *Replica) StandDown() {
	r.StandDownTo(r.primaryOf(r.view + 1))
}

// StandDownTo is StandDown toward replica to: the view change skips to
// the first later view that to leads, so a group moves to a given replica
// in one view change, not through the replicas between (one of which may
// be down, and would hold the group up for a view-change timeout). A to
// that is this replica, or not a replica, does nothing.
func (r *Replica) StandDownTo(to wire.ReplicaID) {
	if r.status != StatusNormal || !r.IsPrimary() || r.standDown || to == r.self || int(to) >= r.cfg.Replicas {
		return
	}
	r.standDown = true
	r.queue = nil
	r.failReads()
	v := r.view + 1
	for r.primaryOf(v) != to {
		v++
	}
	if v > r.svcView {
		r.svcView, r.svcVotes = v, 0
	}
	if !r.suspecting {
		r.suspect()
	}
}

// quorumContact reports whether the primary heard PrepareOks from enough
// backups recently to form a replication quorum. A primary cut off from a
// quorum stops heartbeating (TigerBeetle primary abdication, PR #476).
func (r *Replica) quorumContact() bool {
	n := 1
	for i := 0; i < r.cfg.Replicas; i++ {
		if wire.ReplicaID(i) != r.self && r.ticks-r.lastHeard[i] <= uint64(r.cfg.Timeouts.Abdicate) {
			n++
		}
	}
	return n >= r.qRepl
}

// lagging reacts to a message from a newer view: ask its primary for the
// view (RequestStartView), at most once per probe timeout.
func (r *Replica) lagging(v wire.View) {
	if r.readsPending() {
		r.failReads() // a newer view exists: nothing of this one can confirm
	}
	if r.timers[tProbe].on {
		return
	}
	h := wire.RequestStartViewHeader{Prefix: r.prefix(wire.HeaderSize), Group: r.cfg.Group, Incarnation: r.nonce}
	if to := r.primaryOf(v); to != r.self {
		r.send(to, sealed(&h, wire.HeaderSize, nil))
	}
	r.start(tProbe, r.cfg.Timeouts.Probe)
}
