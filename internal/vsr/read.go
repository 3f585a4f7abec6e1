package vsr

import "github.com/shoal-io/shoal/internal/wire"

// Linearizable reads without a disk write (Raft's ReadIndex, in VSR terms;
// the package doc's "Reads" section holds the safety argument).
//
// A read arrives at the normal primary with Read(id). The reads that
// arrive while no round is in flight start one: the primary records the
// round's read index (max(commit_max, the log head it entered the view
// with)), stamps a fresh nonce, and broadcasts a Commit heartbeat that
// carries it. A backup remembers the newest nonce its own primary sent in
// its current view while it is in normal status there, and echoes it in
// every PrepareOk it sends (each Commit is answered with one). When a
// replication quorum, the primary included, has echoed the round's nonce
// in the primary's view, the round is confirmed; its reads are released
// (Ready.Reads, OK) once the replica has applied through the read index.
// Reads that arrive during a round wait for the next one, so a batch of
// reads costs one round trip to the backups and nothing on disk.
//
// A read fails (OK false) at once on a replica that is not the normal
// primary, or that gave its view up (StandDown, abdication); and later
// if its round is not confirmed and applied within Timeouts.Read ticks,
// or if the replica leaves its view first.

// ReadResult is the outcome of one Read: OK means the replica's state
// machine, as applied when the result is handed out in a Ready, reflects
// every operation committed before Read was called (a linearizable read
// may be served from it); otherwise the caller refuses the read.
type ReadResult struct {
	ID uint64
	OK bool
}

// readBatch is a confirmed round's reads waiting for commit_min to reach
// their read index.
type readBatch struct {
	index    wire.Op
	deadline uint64
	ids      []uint64
}

// reads is a replica's ReadIndex state.
type reads struct {
	// Primary state, valid in normal status when primary.
	viewHead wire.Op  // log head when this replica entered its view
	nonce    uint64   // last nonce issued; never reused by this incarnation
	waiting  []uint64 // reads for the next round
	round    struct {
		on       bool
		nonce    uint64
		index    wire.Op
		acks     uint64 // replicas that echoed nonce in this view, self included
		deadline uint64
		ids      []uint64
	}
	confirmed []readBatch // in round order; read indexes ascend
	// Backup state: the newest nonce from this view's primary, seen in
	// normal status in this view (0: none). Reset on every view entry.
	seen uint64

	results []ReadResult // for the next Ready
	spare   []uint64     // a drained id slice kept for reuse
}

// Read asks for a linearizable read. Its result (ReadResult with this id)
// comes in a later Ready, or in the next one if the read fails at once or
// this is a one-replica group. Ids are the caller's; they need not be
// unique to vsr.
func (r *Replica) Read(id uint64) {
	refuse := r.status != StatusNormal || !r.IsPrimary()
	if r.cfg.Bug != BugReadWithoutQuorum {
		refuse = refuse || r.standDown || r.suspecting
	}
	if refuse {
		r.rd.results = append(r.rd.results, ReadResult{ID: id})
		return
	}
	r.rd.waiting = append(r.rd.waiting, id)
	if !r.rd.round.on {
		r.startReadRound()
	}
}

// startReadRound turns the waiting reads into a round: it records the
// read index, stamps a new nonce and asks the backups for it in a Commit
// heartbeat (resent with each heartbeat while the round is open).
func (r *Replica) startReadRound() {
	rd := &r.rd
	rd.nonce++
	ro := &rd.round
	ro.on, ro.nonce = true, rd.nonce
	ro.index = max(r.commitMax, rd.viewHead)
	ro.acks = 1 << r.self
	ro.deadline = r.ticks + uint64(r.cfg.Timeouts.Read)
	ro.ids, rd.waiting = rd.waiting, rd.spare[:0]
	rd.spare = nil
	if r.cfg.Bug == BugReadWithoutQuorum {
		ro.acks = ^uint64(0)
	}
	if !r.checkReadRound() {
		r.heartbeat()
	}
}

// onReadAck counts a PrepareOk's echoed nonce from a backup of this view
// (the caller checked the view and that this replica is its normal
// primary).
func (r *Replica) onReadAck(from wire.ReplicaID, nonce uint64) {
	if ro := &r.rd.round; ro.on && nonce == ro.nonce {
		ro.acks |= 1 << from
		r.checkReadRound()
	}
}

// checkReadRound confirms the open round once a replication quorum
// echoed its nonce, releases what it can, and opens the next round for
// the reads that waited. It reports whether the round was confirmed.
func (r *Replica) checkReadRound() bool {
	rd := &r.rd
	ro := &rd.round
	if !ro.on || popcount(ro.acks&(1<<r.cfg.Replicas-1)) < r.qRepl {
		return false
	}
	rd.confirmed = append(rd.confirmed, readBatch{index: ro.index, deadline: ro.deadline, ids: ro.ids})
	ro.on, ro.ids = false, nil
	r.releaseReads()
	if len(rd.waiting) > 0 {
		r.startReadRound()
	}
	return true
}

// releaseReads hands out the confirmed reads whose read index is applied.
func (r *Replica) releaseReads() {
	rd := &r.rd
	n := 0
	for _, b := range rd.confirmed {
		if b.index > r.commitMin {
			break
		}
		for _, id := range b.ids {
			rd.results = append(rd.results, ReadResult{ID: id, OK: true})
		}
		rd.spare = b.ids
		n++
	}
	if n > 0 {
		rd.confirmed = append(rd.confirmed[:0], rd.confirmed[n:]...)
	}
}

// expireReads fails the reads whose round or apply missed its deadline.
func (r *Replica) expireReads() {
	rd := &r.rd
	if ro := &rd.round; ro.on && ro.deadline <= r.ticks {
		// The backups did not answer: the reads that waited behind this
		// round would most likely wait as long; they fail with it.
		r.failIDs(ro.ids)
		r.failIDs(rd.waiting)
		ro.on, ro.ids, rd.waiting = false, nil, rd.waiting[:0]
	}
	n := 0
	for _, b := range rd.confirmed {
		if b.deadline > r.ticks {
			break
		}
		r.failIDs(b.ids)
		n++
	}
	if n > 0 {
		rd.confirmed = append(rd.confirmed[:0], rd.confirmed[n:]...)
	}
}

// failReads fails every read in progress: the replica left its view as
// primary (or learned of a newer one, or gave its view up).
func (r *Replica) failReads() {
	rd := &r.rd
	r.failIDs(rd.waiting)
	r.failIDs(rd.round.ids)
	for _, b := range rd.confirmed {
		r.failIDs(b.ids)
	}
	rd.waiting, rd.confirmed = rd.waiting[:0], rd.confirmed[:0]
	rd.round.on, rd.round.ids = false, nil
}

func (r *Replica) failIDs(ids []uint64) {
	for _, id := range ids {
		r.rd.results = append(r.rd.results, ReadResult{ID: id})
	}
}

// readsPending reports whether any read waits for a round or an apply.
func (r *Replica) readsPending() bool {
	return r.rd.round.on || len(r.rd.confirmed) > 0 || len(r.rd.waiting) > 0
}

// onViewEntry resets the read state when this replica enters normal status
// in a view: reads of an older view fail, a new primary records the head
// its view starts from (every op committed in an older view is at or
// below it), and a backup forgets the nonces of an older primary.
func (r *Replica) onViewEntry() {
	r.failReads()
	r.rd.seen = 0
	r.rd.viewHead = r.head()
	if r.cfg.Bug == BugReadIndexCommitOnly {
		r.rd.viewHead = 0
	}
}
