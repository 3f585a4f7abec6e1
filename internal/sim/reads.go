package sim

import (
	"cmp"
	"slices"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// Linearizable reads (WorkloadKV). Each tick, each live replica is asked,
// with odds 1 in readOdds, for a vsr.Replica.Read, as a server asks its
// node for a read it then serves from its own state (internal/consensus
// Node.Read). Any replica may be asked: backups and a deposed primary
// must refuse. A read that comes back OK is served from the replica's
// state as it is when its Ready is taken, that is after the ops 1..j of
// the canonical log (j = commit_min; checkCommit holds every replica to
// that log), so the read's place in a linearization is right after op j.
//
// checkReads requires that place to respect real time: j is at least
// every op acknowledged to a client, and every j of a read served,
// before the read was asked. An op acknowledged later cannot lie below
// j (op j was committed before the read returned, any request that
// starts later gets a higher op), so with the replicated history
// linearizable in op order (porcupine, over the kv operations) the
// whole history with the reads is linearizable. The check is exact and
// linear, where adding thousands of reads to porcupine's search makes it
// exponential on histories with operations of unknown outcome. A refused
// read, or one whose replica crashed first, did nothing and is left out.

// pendingRead is a read asked of a replica and not yet answered.
type pendingRead struct {
	replica int
	call    int
}

// servedRead is a read a replica served: asked at call, answered at ret
// from its state after op j.
type servedRead struct {
	replica   int
	call, ret int
	j         wire.Op
}

// completion is an operation that ended at tick t, placed after op pos:
// an acknowledged op (pos its op) or a served read (pos its j).
type completion struct {
	t   int
	pos wire.Op
}

func (s *Sim) issueReads() {
	for _, n := range s.nodes {
		if n.r == nil || s.readRand.IntN(s.readOdds) != 0 {
			continue
		}
		s.readID++
		s.reads[s.readID] = pendingRead{replica: n.id, call: s.now}
		n.r.Read(s.readID)
	}
}

// readDone records read rr's result from node n's Ready.
func (s *Sim) readDone(n *node, rr vsr.ReadResult) {
	p, ok := s.reads[rr.ID]
	if !ok || p.replica != n.id {
		s.fail("replica %d answered read %d, which it was not asked", n.id, rr.ID)
		return
	}
	delete(s.reads, rr.ID)
	if !rr.OK {
		s.res.ReadsRefused++
		return
	}
	s.res.Reads++
	j := n.r.CommitMin()
	s.served = append(s.served, servedRead{replica: n.id, call: p.call, ret: s.now, j: j})
	s.done = append(s.done, completion{t: s.now, pos: j})
}

// checkReads fails the run if a served read missed an operation that
// completed before it was asked (a stale read).
func (s *Sim) checkReads() {
	done := slices.Clone(s.done)
	slices.SortStableFunc(done, func(a, b completion) int { return cmp.Compare(a.t, b.t) })
	reads := slices.Clone(s.served)
	slices.SortStableFunc(reads, func(a, b servedRead) int { return cmp.Compare(a.call, b.call) })
	var floor wire.Op // highest place of an operation completed before the read's call
	var by int        // the tick floor was set
	i := 0
	for _, rd := range reads {
		for ; i < len(done) && done[i].t < rd.call; i++ {
			if done[i].pos > floor {
				floor, by = done[i].pos, done[i].t
			}
		}
		if rd.j < floor {
			s.fail("stale read: replica %d served a read asked at tick %d from op %d, but op %d completed at tick %d",
				rd.replica, rd.call, rd.j, floor, by)
			return
		}
	}
}
