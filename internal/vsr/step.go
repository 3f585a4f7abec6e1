package vsr

import (
	"fmt"

	"github.com/shoal-io/shoal/internal/wire"
)

// Step processes one inbound frame: a client Request or a replica-plane
// message. The frame is validated before anything reads it (S8). Step may
// retain frame; the caller must not modify it afterwards.
func (r *Replica) Step(frame []byte) error {
	var g wire.GenericHeader
	if err := g.Decode(frame); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidFrame, err)
	}
	if int(g.Size) != len(frame) {
		return fmt.Errorf("%w: size %d, frame %d bytes", ErrInvalidFrame, g.Size, len(frame))
	}
	if g.Command == wire.CommandRequest {
		return r.stepRequest(frame)
	}
	if err := wire.VerifyFrame(frame); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidFrame, err)
	}
	if g.Cluster != r.cfg.Cluster {
		return ErrWrongCluster
	}
	if int(g.Replica) >= r.cfg.Replicas {
		return ErrUnknownReplica
	}
	// A prepare's replica byte names its creator and is covered by its
	// identity checksum, so a re-sent prepare may carry this replica's index.
	if g.Replica == r.self && g.Command != wire.CommandPrepare && g.Command != wire.CommandRepairPrepare {
		return ErrUnknownReplica
	}
	from := g.Replica
	switch g.Command {
	case wire.CommandPrepare:
		h, f, err := decodePrepare(frame)
		if err != nil {
			return err
		}
		if h.Group != r.cfg.Group {
			return ErrWrongGroup
		}
		r.onPrepare(&h, f)
	case wire.CommandRepairPrepare:
		h, f, err := decodePrepare(frame)
		if err != nil {
			return err
		}
		if h.Group != r.cfg.Group {
			return ErrWrongGroup
		}
		r.onRepairPrepare(&h, f)
	case wire.CommandPrepareOk:
		var h wire.PrepareOkHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onPrepareOk(from, &h)
	case wire.CommandCommit:
		var h wire.CommitHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onCommit(from, &h)
	case wire.CommandStartViewChange:
		var h wire.StartViewChangeHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onStartViewChange(from, h.View)
	case wire.CommandDoViewChange:
		var h wire.DoViewChangeHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		hs, err := decodeHeaders(frame[wire.HeaderSize:])
		if err != nil {
			return err
		}
		if err := checkSuffix(hs, h.Op); err != nil {
			return err
		}
		r.onDoViewChange(from, &h, hs)
	case wire.CommandStartView:
		var h wire.StartViewHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		hs, err := decodeHeaders(frame[wire.HeaderSize:])
		if err != nil {
			return err
		}
		if err := checkSuffix(hs, h.Op); err != nil {
			return err
		}
		r.onStartView(from, &h, hs)
	case wire.CommandRequestStartView:
		var h wire.RequestStartViewHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onRequestStartView(from, &h)
	case wire.CommandRequestPrepares:
		var h wire.RequestPreparesHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onRequestPrepares(from, &h)
	case wire.CommandRepairDone:
		// Repair is driven by the requester's timer; nothing to do.
	case wire.CommandRangeEvicted:
		var h wire.RepairRangeHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onRangeEvicted(from, &h)
	case wire.CommandRequestStateTransfer:
		var h wire.RequestStateTransferHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onRequestStateTransfer(from, &h)
	case wire.CommandStateTransferTarget:
		var h wire.StateTransferTargetHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onStateTransferTarget(from, &h, frame[wire.HeaderSize:])
	case wire.CommandRequestStateChunk:
		var h wire.RequestStateChunkHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onRequestStateChunk(from, &h)
	case wire.CommandStateChunk:
		var h wire.StateChunkHeader
		if err := r.admit(h.Decode(frame), &h.Group); err != nil {
			return err
		}
		r.onStateChunk(from, &h, frame[wire.HeaderSize:])
	default:
		return fmt.Errorf("%w: %v", ErrUnsupported, g.Command)
	}
	return nil
}

// checkSuffix checks that a non-empty suffix ends at op, or that an empty
// one comes with op 0.
func checkSuffix(hs []wire.PrepareHeader, op wire.Op) error {
	if len(hs) == 0 {
		if op != 0 {
			return fmt.Errorf("%w: op %d with no suffix headers", ErrInvalidFrame, op)
		}
		return nil
	}
	if hs[len(hs)-1].Op != op {
		return fmt.Errorf("%w: suffix ends at %d, op %d", ErrInvalidFrame, hs[len(hs)-1].Op, op)
	}
	return nil
}

// admit wraps a header decode failure as ErrInvalidFrame and rejects a
// header of another consensus group. group points into the header just
// decoded, so it is read only after the decode has run.
func (r *Replica) admit(decodeErr error, group *uint64) error {
	if decodeErr != nil {
		return fmt.Errorf("%w: %w", ErrInvalidFrame, decodeErr)
	}
	if *group != r.cfg.Group {
		return ErrWrongGroup
	}
	return nil
}
