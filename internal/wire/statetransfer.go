package wire

// RequestStateTransferHeader asks the primary for a state-transfer target
// (command 22, size 256, sealed).
//
//	off  size field
//	128  16   nonce  u128
//	144   8   group  u64
//	152 104   reserved
type RequestStateTransferHeader struct {
	Prefix
	Nonce Uint128
	Group uint64
}

// Put writes h into b[:HeaderSize] with command RequestStateTransfer, size 256.
func (h *RequestStateTransferHeader) Put(b []byte) {
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, CommandRequestStateTransfer)
	putU128(b[128:], h.Nonce)
	put64(b, 144, h.Group)
}

// Decode reads a RequestStateTransfer header; size must be 256.
func (h *RequestStateTransferHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandRequestStateTransfer); err != nil {
		return err
	}
	h.Nonce = getU128(b[128:])
	h.Group = u64(b, 144)
	if h.Size != HeaderSize {
		return invalid("request_state_transfer: size %d, want 256", h.Size)
	}
	return nil
}

// StateTransferTargetHeader describes a state snapshot (command 23, sealed).
// The body is a manifest when available = 1.
//
//	off  size field
//	128  16   nonce                  u128
//	144   8   commit_op              u64
//	152   8   group                  u64
//	160   1   available              u8, 0 or 1
//	161   1   unavailable_transient  u8, 0 or 1, not with available
//	162   6   padding
//	168   8   commit_max             u64
//	176  80   reserved
type StateTransferTargetHeader struct {
	Prefix
	Nonce                Uint128
	CommitOp             Op
	Group                uint64
	Available            bool
	UnavailableTransient bool
	CommitMax            Op
}

// Put writes h into b[:HeaderSize] with command StateTransferTarget.
func (h *StateTransferTargetHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandStateTransferTarget)
	putU128(b[128:], h.Nonce)
	put64(b, 144, uint64(h.CommitOp))
	put64(b, 152, h.Group)
	b[160] = boolByte(h.Available)
	b[161] = boolByte(h.UnavailableTransient)
	put64(b, 168, uint64(h.CommitMax))
}

// Decode reads a StateTransferTarget header.
func (h *StateTransferTargetHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandStateTransferTarget); err != nil {
		return err
	}
	h.Nonce = getU128(b[128:])
	h.CommitOp = Op(u64(b, 144))
	h.Group = u64(b, 152)
	avail, transient := b[160], b[161]
	h.Available, h.UnavailableTransient = avail == 1, transient == 1
	h.CommitMax = Op(u64(b, 168))
	switch {
	case avail > 1 || transient > 1:
		return invalid("state_transfer_target: flag bytes %d/%d", avail, transient)
	case h.Available && h.UnavailableTransient:
		return invalid("state_transfer_target: available and unavailable")
	case !h.Available && h.Size != HeaderSize:
		return invalid("state_transfer_target: body without availability")
	}
	return nil
}

// RequestStateChunkHeader asks for len bytes of an artifact (command 24,
// size 256, sealed).
//
//	off  size field
//	128  16   nonce     u128
//	144   8   offset    u64
//	152   8   group     u64
//	160   4   len       u32, non-zero
//	164   4   artifact  u32
//	168  88   reserved
type RequestStateChunkHeader struct {
	Prefix
	Nonce    Uint128
	Offset   uint64
	Group    uint64
	Len      uint32
	Artifact uint32
}

// Put writes h into b[:HeaderSize] with command RequestStateChunk, size 256.
func (h *RequestStateChunkHeader) Put(b []byte) {
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, CommandRequestStateChunk)
	putU128(b[128:], h.Nonce)
	put64(b, 144, h.Offset)
	put64(b, 152, h.Group)
	put32(b, 160, h.Len)
	put32(b, 164, h.Artifact)
}

// Decode reads a RequestStateChunk header.
func (h *RequestStateChunkHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandRequestStateChunk); err != nil {
		return err
	}
	h.Nonce = getU128(b[128:])
	h.Offset = u64(b, 144)
	h.Group = u64(b, 152)
	h.Len = u32(b, 160)
	h.Artifact = u32(b, 164)
	switch {
	case h.Len == 0:
		return invalid("request_state_chunk: len 0")
	case h.Size != HeaderSize:
		return invalid("request_state_chunk: size %d, want 256", h.Size)
	}
	return nil
}

// StateChunkHeader carries artifact bytes in its body (command 25, sealed).
//
//	off  size field
//	128  16   nonce     u128
//	144   8   offset    u64
//	152   8   group     u64
//	160   4   artifact  u32
//	164  92   reserved
type StateChunkHeader struct {
	Prefix
	Nonce    Uint128
	Offset   uint64
	Group    uint64
	Artifact uint32
}

// Put writes h into b[:HeaderSize] with command StateChunk.
func (h *StateChunkHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandStateChunk)
	putU128(b[128:], h.Nonce)
	put64(b, 144, h.Offset)
	put64(b, 152, h.Group)
	put32(b, 160, h.Artifact)
}

// Decode reads a StateChunk header.
func (h *StateChunkHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandStateChunk); err != nil {
		return err
	}
	h.Nonce = getU128(b[128:])
	h.Offset = u64(b, 144)
	h.Group = u64(b, 152)
	h.Artifact = u32(b, 160)
	if h.Size < HeaderSize {
		return invalid("state_chunk: size %d", h.Size)
	}
	return nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
