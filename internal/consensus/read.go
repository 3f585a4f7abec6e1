package consensus

import "github.com/shoal-io/shoal/internal/vsr"

// MaxQueuedReads bounds the reads queued for the node's goroutine and not
// yet handed to its replica; Read answers ErrBusy beyond it.
const MaxQueuedReads = 4096

// Read asks for a linearizable read of the group's state (vsr.Replica.Read:
// a quorum round that confirms this replica is still the primary after
// the call, then the apply of everything committed before it). It never
// blocks. On nil, done is called exactly once, on the node's goroutine:
// with true when the state this replica has applied (at the time of the
// call to done, or any later moment) reflects every operation committed
// before Read was called, so the caller may serve the read from it; with
// false when that could not be confirmed (not the normal primary, a view
// change, the round timed out, or the node stopped), and the caller
// refuses the read. done must not block. On an error (ErrBusy: too many
// reads queued; ErrStopped) done is never called.
func (n *Node) Read(done func(ok bool)) error {
	n.rmu.Lock()
	switch {
	case n.rclosed:
		n.rmu.Unlock()
		return ErrStopped
	case len(n.rq) >= MaxQueuedReads:
		n.rmu.Unlock()
		return ErrBusy
	}
	n.rq = append(n.rq, done)
	n.rmu.Unlock()
	select {
	case n.readc <- struct{}{}:
	default: // a wake-up is already pending; it takes this read too
	}
	return nil
}

// takeReads hands the queued reads to the replica, on the node's
// goroutine.
func (n *Node) takeReads() {
	n.rmu.Lock()
	q := n.rq
	n.rq, n.rspare = n.rspare[:0], nil
	n.rmu.Unlock()
	for i, done := range q {
		n.readSeq++
		n.reading[n.readSeq] = done
		n.r.Read(n.readSeq)
		q[i] = nil
	}
	n.rspare = q[:0]
}

// readsDone calls back the reads a Ready settled.
func (n *Node) readsDone(rs []vsr.ReadResult) {
	for _, rr := range rs {
		if done, ok := n.reading[rr.ID]; ok {
			delete(n.reading, rr.ID)
			done(rr.OK)
		}
	}
}

// refuseReads fails every read the node holds, when its loop exits; Read
// refuses from then on, so no done is left uncalled.
func (n *Node) refuseReads() {
	n.rmu.Lock()
	n.rclosed = true
	q := n.rq
	n.rq = nil
	n.rmu.Unlock()
	for _, done := range q {
		done(false)
	}
	for id, done := range n.reading {
		delete(n.reading, id)
		done(false)
	}
}
