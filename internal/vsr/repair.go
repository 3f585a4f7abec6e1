package vsr

import (
	"github.com/shoal-io/shoal/internal/wire"
)

// repairBatch bounds one RequestPrepares range and one answer.
const repairBatch = 32

// stashMax bounds repaired prepares held until their expected checksum is
// known (they arrive in any order; the chain is verified from the top).
const stashMax = 2 * repairBatch

type stashed struct {
	h wire.PrepareHeader
	f []byte
}

// repair asks a peer for the highest range of missing headers or bodies
// above commitMin. A repaired prepare is accepted only if its identity
// checksum equals the one the hash chain (or a heartbeat) expects, so any
// peer may answer and a gap never outlives the peers that hold it: the
// request rotates through peers every repair timeout.
// Reference: TigerBeetle repair (get_headers/get_prepare by hash chain);
// Iggy RequestPrepares/RepairPrepare.
func (r *Replica) repair() {
	r.start(tRepair, r.cfg.Timeouts.Repair)
	from, to, ok := r.repairRange()
	if !ok || r.cfg.Replicas == 1 {
		return
	}
	h := wire.RequestPreparesHeader{Prefix: r.prefix(wire.HeaderSize), Nonce: wire.Uint128{Lo: uint64(r.repairAttempt)},
		FromOp: from, ToOp: to, Group: r.cfg.Group}
	r.send(r.repairPeer(), sealed(&h, wire.HeaderSize, nil))
	r.repairAttempt++
}

// repairRange returns the highest run of ops above commitMin whose header or
// body is missing, at most repairBatch long.
func (r *Replica) repairRange() (from, to wire.Op, ok bool) {
	top := max(r.head(), r.hint.op)
	if r.status == StatusNormal || r.merged {
		top = max(top, min(r.commitMax, r.head()+repairBatch))
	}
	for j := top; j > r.commitMin; j-- {
		if s := r.slot(j); s != nil && s.present && s.frame != nil {
			continue
		}
		from = j
		for from-1 > r.commitMin && j-from+1 < repairBatch {
			if s := r.slot(from - 1); s != nil && s.present && s.frame != nil {
				break
			}
			from--
		}
		return from, j, true
	}
	return 0, 0, false
}

// repairPeer picks the peer to ask: in normal status the primary every other
// attempt, otherwise each other replica in turn.
func (r *Replica) repairPeer() wire.ReplicaID {
	n := uint64(r.cfg.Replicas)
	a := uint64(r.repairAttempt)
	if r.status == StatusNormal && !r.IsPrimary() && a%2 == 0 {
		return r.Primary()
	}
	p := wire.ReplicaID((uint64(r.self) + 1 + a%(n-1)) % n)
	return p
}

// onRequestPrepares answers with every prepare of the range it holds,
// highest first, as RepairPrepare frames. If the range starts at or below
// this replica's checkpoint, it also answers RangeEvicted with the
// checkpoint op: the requester needs state transfer (or another peer).
func (r *Replica) onRequestPrepares(from wire.ReplicaID, h *wire.RequestPreparesHeader) {
	if h.FromOp <= r.base {
		e := wire.RepairRangeHeader{Prefix: r.prefix(wire.HeaderSize), Nonce: h.Nonce, Op: r.base, Group: r.cfg.Group}
		e.Command = wire.CommandRangeEvicted
		r.send(from, sealed(&e, wire.HeaderSize, nil))
	}
	sent := 0
	for op := min(h.ToOp, r.head()); op >= h.FromOp && op > r.base && sent < repairBatch; op-- {
		if s := r.slot(op); s.present && s.frame != nil {
			r.send(from, r.restamp(s.frame, wire.CommandRepairPrepare))
			sent++
		}
	}
}

// onRepairPrepare accepts a repaired prepare whose identity the log expects.
func (r *Replica) onRepairPrepare(h *wire.PrepareHeader, f []byte) {
	if h.Op <= r.commitMin {
		return
	}
	if !r.acceptRepair(h, f) {
		if _, dup := r.stash[h.Op]; !dup && len(r.stash) < stashMax && h.Op <= r.commitMax+wire.MaxViewChangeHeaders+repairBatch {
			r.stash[h.Op] = stashed{h: *h, f: f}
		}
		return
	}
	// Walk down: each install reveals the checksum of the op below.
	for op := h.Op - 1; op > r.commitMin; op-- {
		st, ok := r.stash[op]
		if !ok {
			break
		}
		delete(r.stash, op)
		if !r.acceptRepair(&st.h, st.f) {
			break
		}
	}
	r.applyCommitted()
	r.sendAck(false)
	r.maybeStartView()
}

func (r *Replica) acceptRepair(h *wire.PrepareHeader, f []byte) bool {
	want, ok := r.expected(h.Op)
	if !ok || want != h.Checksum {
		return false
	}
	if s := r.slot(h.Op); s != nil && s.present && s.frame != nil {
		return true
	}
	h.View = 0
	r.install(h, f)
	return true
}
