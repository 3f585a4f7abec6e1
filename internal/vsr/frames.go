package vsr

import (
	"fmt"

	"github.com/shoal-io/shoal/internal/wire"
)

// prefix returns the common header fields for a frame this replica sends.
func (r *Replica) prefix(size int) wire.Prefix {
	return wire.Prefix{Cluster: r.cfg.Cluster, Size: uint32(size), View: r.view, Replica: r.self}
}

// send queues a frame for one replica. Frames to self are never sent.
func (r *Replica) send(to wire.ReplicaID, frame []byte) {
	if to == r.self {
		panic(fmt.Sprintf("vsr: replica %d sending %v to itself", r.self, wire.PeekCommand(frame)))
	}
	r.msgs = append(r.msgs, Envelope{To: to, Frame: frame})
}

// broadcast queues one frame for every other replica; they share the bytes.
func (r *Replica) broadcast(frame []byte) {
	for i := 0; i < r.cfg.Replicas; i++ {
		if wire.ReplicaID(i) != r.self {
			r.send(wire.ReplicaID(i), frame)
		}
	}
}

type putter interface{ Put(b []byte) }

// sealed encodes h (whose Size must be set) followed by body and seals it.
func sealed(h putter, size int, body []byte) []byte {
	f := make([]byte, size)
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	wire.SealFrame(f)
	return f
}

// restamp returns a copy of a stored prepare frame with this replica's view,
// so that it can be sent in the current view; the identity checksum excludes
// the view and is unchanged.
func (r *Replica) restamp(frame []byte, cmd wire.Command) []byte {
	f := make([]byte, len(frame))
	copy(f, frame)
	f[52], f[53], f[54], f[55] = byte(r.view), byte(r.view>>8), byte(r.view>>16), byte(r.view>>24)
	f[60] = byte(cmd)
	return f
}

// decodePrepare verifies and decodes a Prepare or RepairPrepare frame. A
// RepairPrepare is normalised to a Prepare copy: the identity checksum covers
// the command byte, so it is verified as the Prepare it carries.
func decodePrepare(frame []byte) (wire.PrepareHeader, []byte, error) {
	var h wire.PrepareHeader
	if wire.PeekCommand(frame) == wire.CommandRepairPrepare {
		f := make([]byte, len(frame))
		copy(f, frame)
		f[60] = byte(wire.CommandPrepare)
		frame = f
	}
	if err := wire.VerifyPrepare(frame); err != nil {
		return h, nil, fmt.Errorf("%w: %w", ErrInvalidFrame, err)
	}
	if err := h.Decode(frame); err != nil {
		return h, nil, fmt.Errorf("%w: %w", ErrInvalidFrame, err)
	}
	if h.Op == 0 || int(h.Size) != len(frame) {
		return h, nil, fmt.Errorf("%w: prepare op %d size %d of %d", ErrInvalidFrame, h.Op, h.Size, len(frame))
	}
	return h, frame, nil
}

// headersBody encodes slots from..to (all present) as a view-change body,
// highest op first, as Iggy's DoViewChange and StartView carry them.
func (r *Replica) headersBody(from, to wire.Op) []byte {
	if from > to {
		return nil
	}
	b := make([]byte, 0, int(to-from+1)*wire.HeaderSize)
	for op := to; op >= from; op-- {
		h, ok := r.header(op)
		if !ok {
			panic(fmt.Sprintf("vsr: replica %d encoding missing header %d", r.self, op))
		}
		b = appendHeader(b, h)
	}
	return b
}

// appendHeader appends h as a view-independent Prepare header (view 0):
// its identity checksum verifies whatever view it was stamped with.
func appendHeader(b []byte, h *wire.PrepareHeader) []byte {
	var hb [wire.HeaderSize]byte
	c := *h
	c.View = 0
	c.Command = wire.CommandPrepare
	c.Put(hb[:])
	return append(b, hb[:]...)
}

// decodeHeaders decodes a view-change body (highest op first) into
// ascending order: PrepareHeaders with valid identities, contiguous and
// hash-chained.
func decodeHeaders(body []byte) ([]wire.PrepareHeader, error) {
	n := len(body) / wire.HeaderSize
	hs := make([]wire.PrepareHeader, n)
	for i := range n {
		b := body[i*wire.HeaderSize : (i+1)*wire.HeaderSize]
		h := &hs[n-1-i]
		if err := h.Decode(b); err != nil {
			return nil, fmt.Errorf("%w: suffix header %d: %w", ErrInvalidFrame, i, err)
		}
		if wire.PrepareIdentity(b) != h.Checksum || h.Op == 0 {
			return nil, fmt.Errorf("%w: suffix header %d identity", ErrInvalidFrame, i)
		}
	}
	for i := 1; i < n; i++ {
		if hs[i].Op != hs[i-1].Op+1 || hs[i].Parent != hs[i-1].Checksum {
			return nil, fmt.Errorf("%w: suffix headers at ops %d..%d do not chain", ErrInvalidFrame, hs[i-1].Op, hs[i].Op)
		}
	}
	return hs, nil
}

// Describe returns a one-line summary of a frame, for tests and traces.
func Describe(frame []byte) string {
	var g wire.GenericHeader
	if err := g.Decode(frame); err != nil {
		return "invalid: " + err.Error()
	}
	head := fmt.Sprintf("%v v%d r%d", g.Command, g.View, g.Replica)
	switch g.Command {
	case wire.CommandPrepare, wire.CommandRepairPrepare:
		h, _, err := decodePrepare(frame)
		if err != nil {
			return head + " invalid"
		}
		return fmt.Sprintf("%s op=%d commit=%d %v req=%d", head, h.Op, h.Commit, h.Operation, h.Request)
	case wire.CommandPrepareOk:
		h := describeAs[wire.PrepareOkHeader](frame)
		if h.ReadNonce != 0 {
			return fmt.Sprintf("%s op=%d read=%d", head, h.Op, h.ReadNonce)
		}
		return fmt.Sprintf("%s op=%d", head, h.Op)
	case wire.CommandCommit:
		h := describeAs[wire.CommitHeader](frame)
		if h.ReadNonce != 0 {
			return fmt.Sprintf("%s commit=%d read=%d", head, h.Commit, h.ReadNonce)
		}
		return fmt.Sprintf("%s commit=%d", head, h.Commit)
	case wire.CommandDoViewChange:
		h := describeAs[wire.DoViewChangeHeader](frame)
		return fmt.Sprintf("%s log_view=%d op=%d commit=%d headers=%d", head, h.LogView, h.Op, h.Commit, (len(frame)-wire.HeaderSize)/wire.HeaderSize)
	case wire.CommandStartView:
		h := describeAs[wire.StartViewHeader](frame)
		return fmt.Sprintf("%s op=%d commit=%d headers=%d", head, h.Op, h.Commit, (len(frame)-wire.HeaderSize)/wire.HeaderSize)
	case wire.CommandRequestPrepares:
		h := describeAs[wire.RequestPreparesHeader](frame)
		return fmt.Sprintf("%s ops=%d..%d", head, h.FromOp, h.ToOp)
	case wire.CommandRangeEvicted:
		h := describeAs[wire.RepairRangeHeader](frame)
		return fmt.Sprintf("%s checkpoint=%d", head, h.Op)
	case wire.CommandStateTransferTarget:
		h := describeAs[wire.StateTransferTargetHeader](frame)
		return fmt.Sprintf("%s checkpoint=%d available=%v", head, h.CommitOp, h.Available)
	case wire.CommandRequestStateChunk:
		h := describeAs[wire.RequestStateChunkHeader](frame)
		return fmt.Sprintf("%s checkpoint=%d offset=%d len=%d", head, h.Nonce.Lo, h.Offset, h.Len)
	case wire.CommandStateChunk:
		h := describeAs[wire.StateChunkHeader](frame)
		return fmt.Sprintf("%s checkpoint=%d offset=%d bytes=%d", head, h.Nonce.Lo, h.Offset, len(frame)-wire.HeaderSize)
	case wire.CommandReply:
		h := describeAs[wire.ReplyHeader](frame)
		return fmt.Sprintf("Reply client=%d op=%d req=%d %v body=%q", h.Client.Lo, h.Op, h.Request, h.Operation, frame[wire.HeaderSize:])
	case wire.CommandEviction:
		h := describeAs[wire.EvictionHeader](frame)
		return fmt.Sprintf("Eviction client=%d reason=%v", h.Client.Lo, h.Reason)
	case wire.CommandRequest:
		h := describeAs[wire.RequestHeader](frame)
		return fmt.Sprintf("Request client=%d session=%d req=%d %v", h.Client.Lo, h.Session, h.Request, h.Operation)
	}
	return head
}

// describeAs decodes frame's header as a T for Describe; a header that fails
// to decode is described with whatever fields were read.
func describeAs[T any, P interface {
	*T
	Decode([]byte) error
}](frame []byte) T {
	var h T
	_ = P(&h).Decode(frame)
	return h
}
