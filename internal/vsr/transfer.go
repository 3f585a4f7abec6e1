package vsr

import (
	"encoding/binary"

	"github.com/shoal-io/shoal/internal/wire"
)

// State transfer: a replica whose next op to apply is at or below a
// peer's checkpoint cannot be repaired (the peer dropped those prepares),
// so it fetches the peer's checkpoint, installs it, and repairs above it.
// The transfer is pulled in chunks, one request outstanding (pitfall 18:
// a push would overrun the bus):
//
//	lagging → peer   RequestStateTransfer{nonce: 0 | id<<64}
//	peer → lagging   StateTransferTarget{nonce, commit_op: K, available}
//	                 body: size u64, checksum u128 of the checkpoint bytes
//	lagging → peer   RequestStateChunk{nonce: K | id<<64, offset, len}
//	peer → lagging   StateChunk{nonce, offset} body: the bytes
//
// It starts when a peer answers a repair request with RangeEvicted (the
// front of the range is below its checkpoint) or a heartbeat advertises a
// checkpoint above this replica's commit point while its next body is
// missing. A chunk is taken only from the chosen peer, for the current
// nonce, at the next offset, and never beyond the announced size, which
// Config.CheckpointMax bounds: a faulty peer can make this replica hold at
// most that much. The bytes are checked against the announced checksum
// and decoded (their own checksum, the checkpoint header's identity)
// before the install. Reference: Iggy @HEAD pull-based state transfer
// (commands 22-25); TigerBeetle sync.

// transferTries bounds the retransmissions to one peer before the
// transfer is abandoned (the next RangeEvicted or heartbeat restarts it,
// perhaps from another peer).
const transferTries = 4

// transfer is a state transfer in progress.
type transfer struct {
	peer     wire.ReplicaID
	id       uint64  // nonce.Hi of this attempt
	op       wire.Op // target checkpoint op; 0 while asking for the target
	size     uint64
	sum      wire.Uint128
	buf      []byte
	tries    int
	deadline uint64 // tick of the next retransmission
}

// startTransfer asks peer for its checkpoint, unless a transfer runs.
func (r *Replica) startTransfer(peer wire.ReplicaID) {
	if r.xfer != nil || r.snap == nil || peer == r.self || r.cfg.Replicas == 1 {
		return
	}
	r.xfer = &transfer{peer: peer, id: r.random() | 1}
	r.sendTransfer()
}

// sendTransfer sends the transfer's current request and arms its timer.
func (r *Replica) sendTransfer() {
	x := r.xfer
	x.deadline = r.ticks + uint64(2*r.cfg.Timeouts.Repair)
	if x.op == 0 {
		h := wire.RequestStateTransferHeader{Prefix: r.prefix(wire.HeaderSize), Nonce: wire.Uint128{Hi: x.id}, Group: r.cfg.Group}
		r.send(x.peer, sealed(&h, wire.HeaderSize, nil))
		return
	}
	n := min(uint64(r.cfg.TransferChunk), x.size-uint64(len(x.buf)))
	h := wire.RequestStateChunkHeader{Prefix: r.prefix(wire.HeaderSize), Nonce: wire.Uint128{Lo: uint64(x.op), Hi: x.id},
		Offset: uint64(len(x.buf)), Group: r.cfg.Group, Len: uint32(n)}
	r.send(x.peer, sealed(&h, wire.HeaderSize, nil))
}

func (r *Replica) onTransferTimeout() {
	x := r.xfer
	if x.tries++; x.tries >= transferTries {
		r.xfer = nil
		return
	}
	r.sendTransfer()
}

// onRequestStateTransfer answers with this replica's latest checkpoint.
func (r *Replica) onRequestStateTransfer(from wire.ReplicaID, h *wire.RequestStateTransferHeader) {
	t := wire.StateTransferTargetHeader{Nonce: h.Nonce, CommitOp: r.cp.op, Group: r.cfg.Group, CommitMax: r.commitMax}
	var body []byte
	if r.cp.data != nil {
		t.Available = true
		sum := wire.Checksum(r.cp.data)
		body = binary.LittleEndian.AppendUint64(body, uint64(len(r.cp.data)))
		body = binary.LittleEndian.AppendUint64(body, sum.Lo)
		body = binary.LittleEndian.AppendUint64(body, sum.Hi)
	} else {
		t.UnavailableTransient = true
	}
	t.Prefix = r.prefix(wire.HeaderSize + len(body))
	r.send(from, sealed(&t, wire.HeaderSize+len(body), body))
}

// onStateTransferTarget starts fetching the announced checkpoint if it is
// ahead of this replica.
func (r *Replica) onStateTransferTarget(from wire.ReplicaID, h *wire.StateTransferTargetHeader, body []byte) {
	x := r.xfer
	if x == nil || from != x.peer || h.Nonce != (wire.Uint128{Hi: x.id}) || x.op != 0 {
		return
	}
	if !h.Available || len(body) != 24 || h.CommitOp <= r.commitMin {
		r.xfer = nil
		return
	}
	size := leU64(body)
	if size == 0 || size > uint64(r.cfg.CheckpointMax) {
		r.xfer = nil
		return
	}
	x.op, x.size, x.sum, x.tries = h.CommitOp, size, leU128(body[8:]), 0
	r.sendTransfer()
}

// onRequestStateChunk serves a chunk of the checkpoint the nonce names,
// if it is still this replica's latest; otherwise the requester times out
// and starts over.
func (r *Replica) onRequestStateChunk(from wire.ReplicaID, h *wire.RequestStateChunkHeader) {
	d := r.cp.data
	if d == nil || h.Nonce.Lo != uint64(r.cp.op) || h.Artifact != 0 || h.Offset >= uint64(len(d)) {
		return
	}
	n := min(uint64(h.Len), uint64(r.cfg.TransferChunk), uint64(len(d))-h.Offset)
	c := wire.StateChunkHeader{Prefix: r.prefix(wire.HeaderSize + int(n)), Nonce: h.Nonce, Offset: h.Offset, Group: r.cfg.Group}
	r.send(from, sealed(&c, wire.HeaderSize+int(n), d[h.Offset:h.Offset+n]))
}

// onStateChunk appends the next chunk; the last one installs the
// checkpoint.
func (r *Replica) onStateChunk(from wire.ReplicaID, h *wire.StateChunkHeader, body []byte) {
	x := r.xfer
	if x == nil || x.op == 0 || from != x.peer || h.Nonce != (wire.Uint128{Lo: uint64(x.op), Hi: x.id}) ||
		h.Artifact != 0 || h.Offset != uint64(len(x.buf)) || len(body) == 0 || uint64(len(x.buf)+len(body)) > x.size {
		return
	}
	x.buf = append(x.buf, body...)
	x.tries = 0
	if uint64(len(x.buf)) < x.size {
		r.sendTransfer()
		return
	}
	r.xfer = nil
	if wire.Checksum(x.buf) == x.sum {
		r.installCheckpoint(x.buf)
	}
}

// onRangeEvicted learns that a peer's checkpoint covers op h.Op: if this
// replica needs an op at or below it, only state transfer can help.
func (r *Replica) onRangeEvicted(from wire.ReplicaID, h *wire.RepairRangeHeader) {
	if h.Op > r.commitMin {
		r.startTransfer(from)
	}
}

// installCheckpoint makes a transferred checkpoint this replica's state:
// the state machine and client table are restored, the log drops every op
// at or below its op K, and the checkpoint (Ready.Checkpoint) is persisted
// before this replica acknowledges anything again. K is committed, so it
// is in the log of every view at least as new as the one that committed
// it: slots above K that chain to it stay (they are canonical for
// logView); if this log holds a different op K or K+1, its log_view is
// older than K's commit, none of its ops above K can be committed, and
// they are truncated. A primary-elect that has adopted the merged log (or
// a normal primary) must already agree with every committed op; it
// refuses a contradicting checkpoint instead.
func (r *Replica) installCheckpoint(data []byte) bool {
	cp, err := decodeCheckpoint(data)
	if err != nil || cp.hdr.Op <= r.commitMin {
		return false
	}
	k := cp.hdr.Op
	mismatch := false
	if s := r.slot(k); s.presentOK() && s.h.Checksum != cp.hdr.Checksum {
		mismatch = true
	}
	if s := r.slot(k + 1); s.presentOK() && s.h.Parent != cp.hdr.Checksum {
		mismatch = true
	}
	if mismatch && (r.merged || r.status == StatusNormal && r.IsPrimary()) {
		return false
	}
	if r.snap.Restore(cp.sm) != nil {
		return false
	}
	r.clients.restore(cp.clients)
	r.dropThrough(k, cp.hdr)
	r.commitMin, r.commitMax = k, max(r.commitMax, k)
	if mismatch {
		r.truncateTo(k)
	}
	r.advanceDurableHead()
	if r.hint.op <= k {
		r.hint.op = 0
	}
	r.cp = checkpointState{op: k, hdr: cp.hdr, data: data}
	r.cpPending = data
	r.transfers++
	r.applyCommitted()
	r.maybeStartView()
	return true
}
