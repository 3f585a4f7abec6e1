package vsrlog

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// Journal record kinds and layout (see the package doc).
const (
	KindBase     = 1  // 16B head; op = base op; the first record only
	KindPrepare  = 2  // 16B head + Prepare frame; op = the frame's op
	KindTruncate = 3  // 16B head; op = keep prepares at or below it
	RecordHead   = 16 // 1B kind + 7B reserved + 8B op
)

// record is one decoded journal record.
type record struct {
	kind  byte
	op    wire.Op
	frame []byte // KindPrepare only; aliases the payload
}

// appendRecord appends a record payload to b.
func appendRecord(b []byte, kind byte, op wire.Op, frame []byte) []byte {
	b = append(b, kind, 0, 0, 0, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(op))
	return append(b, frame...)
}

// decodeRecord decodes and checks one record payload. A prepare's frame
// must pass checkPrepare with the head's op.
func decodeRecord(p []byte) (record, error) {
	if len(p) < RecordHead {
		return record{}, fmt.Errorf("%d bytes, shorter than the %d-byte head", len(p), RecordHead)
	}
	for _, c := range p[1:8] {
		if c != 0 {
			return record{}, errors.New("reserved bytes are not zero")
		}
	}
	r := record{kind: p[0], op: wire.Op(binary.LittleEndian.Uint64(p[8:]))}
	switch r.kind {
	case KindBase, KindTruncate:
		if len(p) != RecordHead {
			return record{}, fmt.Errorf("kind %d record of %d bytes, want %d", r.kind, len(p), RecordHead)
		}
	case KindPrepare:
		r.frame = p[RecordHead:]
		op, err := checkPrepare(r.frame)
		if err != nil {
			return record{}, err
		}
		if op != r.op {
			return record{}, fmt.Errorf("record names op %d, its prepare op %d", r.op, op)
		}
	default:
		return record{}, fmt.Errorf("unknown record kind %d", r.kind)
	}
	return r, nil
}

// checkPrepare checks that frame is one whole, intact Prepare (or
// RepairPrepare) frame and returns its op.
func checkPrepare(frame []byte) (wire.Op, error) {
	var h wire.PrepareHeader
	if err := h.Decode(frame); err != nil {
		return 0, err
	}
	if int(h.Size) != len(frame) {
		return 0, fmt.Errorf("prepare op %d: header size %d, frame %d bytes", h.Op, h.Size, len(frame))
	}
	if h.Op == 0 {
		return 0, errors.New("prepare with op 0")
	}
	if err := wire.VerifyPrepare(frame); err != nil {
		return 0, fmt.Errorf("prepare op %d: %w", h.Op, err)
	}
	return h.Op, nil
}

// entry is one live prepare found by replay.
type entry struct {
	op    wire.Op
	frame []byte // a private copy (nil in Log.index)
	rec   uint64 // the journal record that holds it
}

// replayer rebuilds the live prepares from the journal's records in file
// order. Memory: one copy of each prepare record's frame, dropped again
// when a later record replaces or truncates it; the file itself is read
// through the journal's fixed window and never held whole.
type replayer struct {
	path        string
	base        wire.Op
	hasBase     bool
	live        []entry // Invariant: strictly ascending op, all > base.
	records     uint64
	truncations int
}

// replay is the journal.ReplayFunc.
func (x *replayer) replay(i uint64, p []byte) error {
	x.records++
	r, err := decodeRecord(p)
	if err != nil {
		return &CorruptError{Path: x.path, Reason: fmt.Sprintf("record %d: %v", i, err)}
	}
	if i == 0 {
		if r.kind != KindBase {
			return &CorruptError{Path: x.path, Reason: fmt.Sprintf("record 0 is kind %d, not the base record", r.kind)}
		}
		x.base, x.hasBase = r.op, true
		return nil
	}
	switch {
	case r.kind == KindBase:
		return &CorruptError{Path: x.path, Reason: fmt.Sprintf("record %d: base record after the first", i)}
	case r.op < x.base || r.kind == KindPrepare && r.op == x.base:
		return &CorruptError{Path: x.path, Reason: fmt.Sprintf("record %d: op %d at or below base %d", i, r.op, x.base)}
	case r.kind == KindTruncate:
		x.truncateAbove(r.op)
		x.truncations++
	default:
		x.put(r.op, slices.Clone(r.frame), i)
	}
	return nil
}

// put makes frame the live prepare at op.
func (x *replayer) put(op wire.Op, frame []byte, rec uint64) {
	n := len(x.live)
	if n == 0 || x.live[n-1].op < op {
		x.live = append(x.live, entry{op, frame, rec})
		return
	}
	i, found := slices.BinarySearchFunc(x.live, op, byOp)
	if found {
		x.live[i].frame, x.live[i].rec = frame, rec
		return
	}
	x.live = slices.Insert(x.live, i, entry{op, frame, rec})
}

// truncateAbove drops every live prepare above op.
func (x *replayer) truncateAbove(op wire.Op) {
	i, _ := slices.BinarySearchFunc(x.live, op+1, byOp)
	clear(x.live[i:]) // let the frames go
	x.live = x.live[:i]
}

func byOp(e entry, op wire.Op) int { return cmp.Compare(e.op, op) }

// frames returns the live prepares in ascending op order.
func (x *replayer) frames() [][]byte {
	out := make([][]byte, len(x.live))
	for i := range x.live {
		out[i] = x.live[i].frame
	}
	return out
}

// truncateBelow drops every live prepare at or below op (a checkpoint).
func (x *replayer) truncateBelow(op wire.Op) {
	i, _ := slices.BinarySearchFunc(x.live, op+1, byOp)
	clear(x.live[:i])
	x.live = x.live[i:]
}
