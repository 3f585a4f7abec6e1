package wire

// RequestPreparesHeader asks a peer for prepares from_op..to_op (command 18,
// sealed).
//
//	off  size field
//	128  16   nonce    u128
//	144   8   from_op  u64, >= 1
//	152   8   to_op    u64, >= from_op
//	160   8   group    u64
//	168  88   reserved
type RequestPreparesHeader struct {
	Prefix
	Nonce  Uint128
	FromOp Op
	ToOp   Op
	Group  uint64
}

// Put writes h into b[:HeaderSize] with command RequestPrepares.
func (h *RequestPreparesHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandRequestPrepares)
	putU128(b[128:], h.Nonce)
	put64(b, 144, uint64(h.FromOp))
	put64(b, 152, uint64(h.ToOp))
	put64(b, 160, h.Group)
}

// Decode reads a RequestPrepares header; 1 <= from_op <= to_op.
func (h *RequestPreparesHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandRequestPrepares); err != nil {
		return err
	}
	h.Nonce = getU128(b[128:])
	h.FromOp = Op(u64(b, 144))
	h.ToOp = Op(u64(b, 152))
	h.Group = u64(b, 160)
	if h.FromOp == 0 || h.FromOp > h.ToOp {
		return invalid("request_prepares: range %d..%d", h.FromOp, h.ToOp)
	}
	return nil
}

// RepairRangeHeader ends a repair: RepairDone (command 20) or RangeEvicted
// (command 21, the peer no longer holds the front of the range). Sealed.
//
//	off  size field
//	128  16   nonce  u128
//	144   8   op     u64
//	152   8   group  u64
//	160  96   reserved
type RepairRangeHeader struct {
	Prefix
	Nonce Uint128
	Op    Op
	Group uint64
}

// Put writes h into b[:HeaderSize]; the command is h.Command if it is
// RangeEvicted, RepairDone otherwise.
func (h *RepairRangeHeader) Put(b []byte) {
	cmd := CommandRepairDone
	if h.Command == CommandRangeEvicted {
		cmd = CommandRangeEvicted
	}
	b = putPrefix(&h.Prefix, b, cmd)
	putU128(b[128:], h.Nonce)
	put64(b, 144, uint64(h.Op))
	put64(b, 152, h.Group)
}

// Decode reads a RepairDone or RangeEvicted header.
func (h *RepairRangeHeader) Decode(b []byte) error {
	if len(b) < HeaderSize {
		return ErrShortHeader
	}
	want := CommandRepairDone
	if PeekCommand(b) == CommandRangeEvicted {
		want = CommandRangeEvicted
	}
	if err := decodePrefix(&h.Prefix, b, want); err != nil {
		return err
	}
	h.Nonce = getU128(b[128:])
	h.Op = Op(u64(b, 144))
	h.Group = u64(b, 152)
	return nil
}
