package wire

// PrepareHeader is the header of a Prepare (command 6) or RepairPrepare
// (command 19); both share this layout. Its checksum field holds the
// prepare's identity checksum, not a frame seal (see IdentityChecksum).
//
//	off  size field
//	128  16   client            u128
//	144  16   parent            u128, identity checksum of the previous prepare
//	160  16   request_checksum  u128
//	176   8   op                u64
//	184   8   commit            u64
//	192   8   timestamp         u64
//	200   8   request           u64
//	208   1   operation         Operation
//	209   7   padding
//	216   8   group             u64 (stream<<32 | topic<<20 | partition, or 1<<63)
//	224   4   user_id           u32
//	228  28   reserved          must be 0
//
// reserved_frame (62..128) must be zero as well.
type PrepareHeader struct {
	Prefix
	Client          ClientID
	Parent          Uint128
	RequestChecksum Uint128
	Op              Op
	Commit          Op
	Timestamp       uint64
	Request         uint64
	Operation       Operation
	Group           uint64
	UserID          uint32
}

// MetadataGroup is the group of the metadata plane.
const MetadataGroup uint64 = 1 << 63

// PartitionGroup packs a partition's group: stream<<32 | topic<<20 | partition
// (20/12/20 bits).
func PartitionGroup(stream, topic, partition uint32) uint64 {
	return uint64(stream&0xFFFFF)<<32 | uint64(topic&0xFFF)<<20 | uint64(partition&0xFFFFF)
}

// Put writes h into b[:HeaderSize]. The command is h.Command if it is
// RepairPrepare, Prepare otherwise.
func (h *PrepareHeader) Put(b []byte) {
	cmd := CommandPrepare
	if h.Command == CommandRepairPrepare {
		cmd = CommandRepairPrepare
	}
	b = putPrefix(&h.Prefix, b, cmd)
	putU128(b[128:], Uint128(h.Client))
	putU128(b[144:], h.Parent)
	putU128(b[160:], h.RequestChecksum)
	put64(b, 176, uint64(h.Op))
	put64(b, 184, uint64(h.Commit))
	put64(b, 192, h.Timestamp)
	put64(b, 200, h.Request)
	b[208] = byte(h.Operation)
	put64(b, 216, h.Group)
	put32(b, 224, h.UserID)
}

// Decode reads a Prepare or RepairPrepare header; both reserved areas must
// be zero.
func (h *PrepareHeader) Decode(b []byte) error {
	if len(b) < HeaderSize {
		return ErrShortHeader
	}
	want := CommandPrepare
	if PeekCommand(b) == CommandRepairPrepare {
		want = CommandRepairPrepare
	}
	if err := decodePrefix(&h.Prefix, b, want); err != nil {
		return err
	}
	h.Client = ClientID(getU128(b[128:]))
	h.Parent = getU128(b[144:])
	h.RequestChecksum = getU128(b[160:])
	h.Op = Op(u64(b, 176))
	h.Commit = Op(u64(b, 184))
	h.Timestamp = u64(b, 192)
	h.Request = u64(b, 200)
	h.Operation = Operation(b[208])
	h.Group = u64(b, 216)
	h.UserID = u32(b, 224)
	if !allZero(b[offReservedFrm:offCmdSpecific]) || !allZero(b[228:HeaderSize]) {
		return invalid("%v: reserved bytes must be zero", h.Command)
	}
	return nil
}

// PrepareOkHeader acknowledges a prepare (command 7, sealed).
//
//	off  size field
//	128  16   parent            u128
//	144  16   prepare_checksum  u128, identity checksum of the acknowledged prepare
//	160   8   op                u64
//	168   8   commit            u64
//	176   8   timestamp         u64
//	184   8   request           u64
//	192   1   operation         Operation
//	193   7   padding
//	200   8   group             u64
//	208   8   read_nonce        u64, the latest Commit read_nonce this backup saw in its view (0: none)
//	216  40   reserved
type PrepareOkHeader struct {
	Prefix
	Parent          Uint128
	PrepareChecksum Uint128
	Op              Op
	Commit          Op
	Timestamp       uint64
	Request         uint64
	Operation       Operation
	Group           uint64
	ReadNonce       uint64
}

// Put writes h into b[:HeaderSize] with command PrepareOk. It does not seal.
func (h *PrepareOkHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandPrepareOk)
	putU128(b[128:], h.Parent)
	putU128(b[144:], h.PrepareChecksum)
	put64(b, 160, uint64(h.Op))
	put64(b, 168, uint64(h.Commit))
	put64(b, 176, h.Timestamp)
	put64(b, 184, h.Request)
	b[192] = byte(h.Operation)
	put64(b, 200, h.Group)
	put64(b, 208, h.ReadNonce)
}

// Decode reads a PrepareOk header. It does not verify the seal; see
// VerifyFrame.
func (h *PrepareOkHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandPrepareOk); err != nil {
		return err
	}
	h.Parent = getU128(b[128:])
	h.PrepareChecksum = getU128(b[144:])
	h.Op = Op(u64(b, 160))
	h.Commit = Op(u64(b, 168))
	h.Timestamp = u64(b, 176)
	h.Request = u64(b, 184)
	h.Operation = Operation(b[192])
	h.Group = u64(b, 200)
	h.ReadNonce = u64(b, 208)
	return nil
}

// CommitHeader is the primary's commit heartbeat (command 9, size 256,
// sealed).
//
//	off  size field
//	128  16   commit_checksum      u128
//	144   8   timestamp_monotonic  u64
//	152   8   commit               u64
//	160   8   checkpoint_op        u64
//	168   8   group                u64
//	176   8   read_nonce           u64, a read-confirmation round (0: none); see internal/vsr
//	184  72   reserved
type CommitHeader struct {
	Prefix
	CommitChecksum     Uint128
	TimestampMonotonic uint64
	Commit             Op
	CheckpointOp       Op
	Group              uint64
	ReadNonce          uint64
}

// Put writes h into b[:HeaderSize] with command Commit and size 256.
func (h *CommitHeader) Put(b []byte) {
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, CommandCommit)
	putU128(b[128:], h.CommitChecksum)
	put64(b, 144, h.TimestampMonotonic)
	put64(b, 152, uint64(h.Commit))
	put64(b, 160, uint64(h.CheckpointOp))
	put64(b, 168, h.Group)
	put64(b, 176, h.ReadNonce)
}

// Decode reads a Commit header; its size must be 256.
func (h *CommitHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandCommit); err != nil {
		return err
	}
	h.CommitChecksum = getU128(b[128:])
	h.TimestampMonotonic = u64(b, 144)
	h.Commit = Op(u64(b, 152))
	h.CheckpointOp = Op(u64(b, 160))
	h.Group = u64(b, 168)
	h.ReadNonce = u64(b, 176)
	if h.Size != HeaderSize {
		return invalid("commit: size %d, want 256", h.Size)
	}
	return nil
}
