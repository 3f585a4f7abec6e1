package vsr

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// Snapshotter is implemented by a StateMachine that supports checkpoints
// (Config.CheckpointInterval, RestartFrom, state transfer).
type Snapshotter interface {
	// Snapshot returns the state after the latest applied op, encoded
	// deterministically: replicas that applied the same ops return the
	// same bytes. The replica keeps the slice; it must not be modified.
	Snapshot() []byte
	// Restore replaces the state with one Snapshot returned (here or on
	// another replica). On error the state must be unchanged.
	Restore(snapshot []byte) error
}

// CheckpointAsker is a Snapshotter that may ask for a checkpoint before
// the next multiple of Config.CheckpointInterval: after each applied op
// the replica calls CheckpointNow, and checkpoints at that op if it
// reports true. A partition group asks after a purge: a replica that
// lags behind it is then offered a checkpoint it can reach without the
// purged messages, which no peer holds any more.
type CheckpointAsker interface {
	CheckpointNow() bool
}

// ErrCheckpoint marks checkpoint bytes that do not decode or do not match
// the hard state that names them.
var ErrCheckpoint = errors.New("vsr: invalid checkpoint")

// Checkpoint encoding (Ready.Checkpoint, the bytes a shell persists and
// state transfer ships). Every integer is little-endian:
//
//	off  size field
//	  0     8 magic     "SHOALVCP"
//	  8     4 version   u32 = 1
//	 12     4 clients   u32: client table entries
//	 16   256 header    the PrepareHeader of the checkpoint op (identity
//	                    checksum valid, view 0)
//	272     n entries   each: client u128, session u64, watermark u64,
//	                    last_op u64, reply_len u32, reply (a Reply frame)
//	  .     8 sm_len    u64
//	  .     m snapshot  the state machine's Snapshot
//	  .    16 checksum  u128: wire.Checksum of every byte before it
//
// Client entries are in ascending client order, so replicas that applied
// the same ops produce identical bytes. These constants are part of the
// disk and replication format and must not be changed.
const (
	checkpointMagic   = "SHOALVCP"
	checkpointVersion = 1
	checkpointFixed   = 16 + wire.HeaderSize
)

// checkpoint is a decoded checkpoint.
type checkpoint struct {
	hdr     wire.PrepareHeader
	clients []clientEntry
	sm      []byte // aliases the encoded bytes
}

// checkpointState is the latest checkpoint this replica took or installed:
// the one a Ready persists and state transfer serves.
type checkpointState struct {
	op   wire.Op
	hdr  wire.PrepareHeader
	data []byte // encoded; nil when op is 0
}

func encodeCheckpoint(h *wire.PrepareHeader, t *clientTable, sm []byte) []byte {
	n := checkpointFixed + 8 + len(sm) + 16
	for i := range t.entries {
		n += 44 + len(t.entries[i].reply)
	}
	b := make([]byte, 0, n)
	b = append(b, checkpointMagic...)
	b = binary.LittleEndian.AppendUint32(b, checkpointVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(t.entries)))
	b = appendHeader(b, h)
	b = t.appendSorted(b)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(sm)))
	b = append(b, sm...)
	sum := wire.Checksum(b)
	b = binary.LittleEndian.AppendUint64(b, sum.Lo)
	return binary.LittleEndian.AppendUint64(b, sum.Hi)
}

// decodeCheckpoint checks and decodes checkpoint bytes. It never panics
// and never allocates more than len(b) allows.
func decodeCheckpoint(b []byte) (checkpoint, error) {
	var cp checkpoint
	if len(b) < checkpointFixed+8+16 || string(b[:8]) != checkpointMagic {
		return cp, fmt.Errorf("%w: %d bytes or bad magic", ErrCheckpoint, len(b))
	}
	body := b[:len(b)-16]
	if wire.Checksum(body) != (wire.Uint128{Lo: leU64(b[len(b)-16:]), Hi: leU64(b[len(b)-8:])}) {
		return cp, fmt.Errorf("%w: checksum mismatch", ErrCheckpoint)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != checkpointVersion {
		return cp, fmt.Errorf("%w: version %d", ErrCheckpoint, v)
	}
	n := int(binary.LittleEndian.Uint32(b[12:]))
	raw := b[16:checkpointFixed]
	if err := cp.hdr.Decode(raw); err != nil || wire.PrepareIdentity(raw) != cp.hdr.Checksum || cp.hdr.Op == 0 {
		return cp, fmt.Errorf("%w: checkpoint header", ErrCheckpoint)
	}
	p := body[checkpointFixed:]
	if n > len(p)/44 {
		return cp, fmt.Errorf("%w: %d clients in %d bytes", ErrCheckpoint, n, len(p))
	}
	cp.clients = make([]clientEntry, 0, n)
	for range n {
		if len(p) < 44 {
			return cp, fmt.Errorf("%w: short client entry", ErrCheckpoint)
		}
		e := clientEntry{client: wire.ClientID(leU128(p)), session: leU64(p[16:]), watermark: leU64(p[24:]), lastOp: wire.Op(leU64(p[32:]))}
		rl := int(binary.LittleEndian.Uint32(p[40:]))
		p = p[44:]
		if rl > len(p) {
			return cp, fmt.Errorf("%w: client reply of %d bytes", ErrCheckpoint, rl)
		}
		e.reply = slices.Clone(p[:rl])
		p = p[rl:]
		cp.clients = append(cp.clients, e)
	}
	if len(p) < 8 || leU64(p) != uint64(len(p)-8) {
		return cp, fmt.Errorf("%w: state machine snapshot length", ErrCheckpoint)
	}
	cp.sm = p[8:]
	return cp, nil
}

// CheckpointOp returns the op a checkpoint (Ready.Checkpoint) was taken at
// and that op's identity checksum, after checking the bytes.
func CheckpointOp(b []byte) (wire.Op, wire.Uint128, error) {
	cp, err := decodeCheckpoint(b)
	if err != nil {
		return 0, wire.Uint128{}, err
	}
	return cp.hdr.Op, cp.hdr.Checksum, nil
}

// appendSorted appends every entry, in ascending client order, as a
// checkpoint holds them: client u128, session, watermark, last_op (u64
// each), reply_len u32 and the reply.
func (t *clientTable) appendSorted(b []byte) []byte {
	es := slices.Clone(t.entries)
	slices.SortFunc(es, func(a, b clientEntry) int {
		if c := cmp.Compare(a.client.Hi, b.client.Hi); c != 0 {
			return c
		}
		return cmp.Compare(a.client.Lo, b.client.Lo)
	})
	for _, e := range es {
		b = binary.LittleEndian.AppendUint64(b, e.client.Lo)
		b = binary.LittleEndian.AppendUint64(b, e.client.Hi)
		b = binary.LittleEndian.AppendUint64(b, e.session)
		b = binary.LittleEndian.AppendUint64(b, e.watermark)
		b = binary.LittleEndian.AppendUint64(b, uint64(e.lastOp))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.reply)))
		b = append(b, e.reply...)
	}
	return b
}

// restore replaces the table's entries (a checkpoint's).
func (t *clientTable) restore(es []clientEntry) {
	t.entries = slices.Clone(es)
	clear(t.index)
	for i := range t.entries {
		t.index[t.entries[i].client] = i
	}
}

// maybeCheckpoint takes a checkpoint at commitMin if it is a multiple of
// the interval. The state machine has applied exactly ops 1..commitMin.
func (r *Replica) maybeCheckpoint() {
	iv := r.cfg.CheckpointInterval
	if iv == 0 || r.commitMin <= r.cp.op {
		return
	}
	if a, ok := r.snap.(CheckpointAsker); uint64(r.commitMin)%iv != 0 && !(ok && a.CheckpointNow()) {
		return
	}
	s := r.slot(r.commitMin)
	data := encodeCheckpoint(&s.h, &r.clients, r.snap.Snapshot())
	r.cp = checkpointState{op: r.commitMin, hdr: s.h, data: data}
	r.cpPending = data
}

// compactTo drops the slots of ops at or below op (a durable checkpoint)
// from memory: the log then starts at op+1, and op's header is kept as the
// base. Reference: TigerBeetle checkpoint; VR Revisited §5.
func (r *Replica) compactTo(op wire.Op, hdr wire.PrepareHeader) {
	if op <= r.base {
		return
	}
	if op > r.commitMin {
		panic(fmt.Sprintf("vsr: replica %d compacting to %d above commit_min %d", r.self, op, r.commitMin))
	}
	r.dropThrough(op, hdr)
}

// dropThrough makes op, whose header is hdr, the checkpoint the log starts
// after: slots at or below op leave memory, with any prepare stashed for
// them.
func (r *Replica) dropThrough(op wire.Op, hdr wire.PrepareHeader) {
	if op < r.head() {
		r.log = slices.Clone(r.log[op-r.base:])
	} else {
		r.log = nil
	}
	r.base, r.baseHdr = op, hdr
	r.durableHead = max(r.durableHead, op)
	maps.DeleteFunc(r.stash, func(k wire.Op, _ stashed) bool { return k <= op })
}

// Checkpoint returns the op of the latest checkpoint this replica took or
// installed (0 if none) and the first op its log holds in memory minus one.
func (r *Replica) Checkpoint() (latest, base wire.Op) { return r.cp.op, r.base }

// StateTransfers returns how many checkpoints this replica installed by
// state transfer since it was built.
func (r *Replica) StateTransfers() int { return r.transfers }

// LogLen returns the number of ops the replica holds in memory (above its
// durable checkpoint).
func (r *Replica) LogLen() int { return len(r.log) }

// restoreCheckpoint starts a restarted replica from the durable
// checkpoint hs names.
func (r *Replica) restoreCheckpoint(hs HardState, data []byte) error {
	if hs.Checkpoint == 0 {
		if data != nil {
			return fmt.Errorf("%w: checkpoint bytes but no checkpoint in the hard state", ErrCheckpoint)
		}
		return nil
	}
	if r.snap == nil {
		return fmt.Errorf("%w: a checkpoint needs a StateMachine that implements Snapshotter", ErrConfig)
	}
	cp, err := decodeCheckpoint(data)
	if err != nil {
		return err
	}
	if cp.hdr.Op != hs.Checkpoint || cp.hdr.Checksum != hs.CheckpointChecksum {
		return fmt.Errorf("%w: checkpoint op %d %v, hard state names op %d %v", ErrCheckpoint,
			cp.hdr.Op, cp.hdr.Checksum, hs.Checkpoint, hs.CheckpointChecksum)
	}
	if err := r.snap.Restore(cp.sm); err != nil {
		return fmt.Errorf("%w: state machine: %w", ErrCheckpoint, err)
	}
	r.clients.restore(cp.clients)
	op := cp.hdr.Op
	r.base, r.baseHdr = op, cp.hdr
	r.commitMin, r.commitMax, r.durableHead, r.durCP = op, op, op, op
	r.cp = checkpointState{op: op, hdr: cp.hdr, data: data}
	return nil
}

// aboveCheckpoint drops the headers of a view-change suffix at or below
// the checkpoint: those ops are committed, and applied here through it. A
// header at the checkpoint op must be the checkpoint's own; ok is false if
// it is not (the suffix contradicts a committed op: a faulty sender).
func (r *Replica) aboveCheckpoint(hs []wire.PrepareHeader) ([]wire.PrepareHeader, bool) {
	i := 0
	for i < len(hs) && hs[i].Op <= r.base {
		if hs[i].Op == r.base && hs[i].Checksum != r.baseHdr.Checksum {
			return nil, false
		}
		i++
	}
	return hs[i:], true
}
