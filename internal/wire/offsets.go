package wire

import "encoding/binary"

// OffsetKind says which consumer offset command a ConsumerOffsetRequest
// body belongs to: the bodies share their start and differ in their tail.
type OffsetKind uint8

const (
	OffsetGet    OffsetKind = 1 // GetConsumerOffset, code 120
	OffsetStore  OffsetKind = 2 // StoreConsumerOffset, operation 161, code 121
	OffsetDelete OffsetKind = 3 // DeleteConsumerOffset, operation 162, code 122
)

// ConsumerOffsetRequest is the body of the consumer offset commands:
//
//	[Consumer][stream Identifier][topic Identifier][has_partition u8][partition u32]
//	then [offset u64][ack u8] for a store, [ack u8] for a delete.
type ConsumerOffsetRequest struct {
	Consumer     Consumer
	Stream       Identifier
	Topic        Identifier
	HasPartition bool
	Partition    uint32
	Offset       uint64 // store only
	Ack          uint8  // store and delete: 0 NoAck, 1 Quorum
}

// Append appends the encoding of c, as a body of kind k, to dst.
func (c *ConsumerOffsetRequest) Append(k OffsetKind, dst []byte) []byte {
	dst = c.Topic.Append(c.Stream.Append(c.Consumer.Append(dst)))
	dst = binary.LittleEndian.AppendUint32(append(dst, boolByte(c.HasPartition)), c.Partition)
	switch k {
	case OffsetStore:
		dst = append(binary.LittleEndian.AppendUint64(dst, c.Offset), c.Ack)
	case OffsetDelete:
		dst = append(dst, c.Ack)
	}
	return dst
}

// Decode reads c from b, a body of kind k. A has_partition or ack byte
// other than 0 or 1 is StatusInvalidCommand, as is a malformed body.
func (c *ConsumerOffsetRequest) Decode(k OffsetKind, b []byte) Status {
	r := NewBodyReader(b)
	r.readConsumer(&c.Consumer, true)
	r.readIdent(&c.Stream, true)
	r.readIdent(&c.Topic, true)
	has := r.U8()
	c.Partition = r.U32()
	c.Offset, c.Ack = 0, 0
	switch k {
	case OffsetStore:
		c.Offset, c.Ack = r.U64(), r.U8()
	case OffsetDelete:
		c.Ack = r.U8()
	}
	if has > 1 || c.Ack > 1 {
		r.Fail("has_partition %d, ack %d", has, c.Ack)
	}
	c.HasPartition = has == 1
	return r.Status()
}

// ConsumerOffsetInfo is GetConsumerOffset's reply when an offset is
// stored (an empty body otherwise):
// [partition_id u32][current_offset u64][stored_offset u64].
type ConsumerOffsetInfo struct {
	Partition     uint32
	CurrentOffset uint64 // the partition's latest offset
	StoredOffset  uint64
}

// Append appends the encoding of c to dst.
func (c *ConsumerOffsetInfo) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, c.Partition)
	return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(dst, c.CurrentOffset), c.StoredOffset)
}

// Decode reads c from a whole body.
func (c *ConsumerOffsetInfo) Decode(b []byte) error {
	r := NewBodyReader(b)
	*c = ConsumerOffsetInfo{Partition: r.U32(), CurrentOffset: r.U64(), StoredOffset: r.U64()}
	return r.End()
}
