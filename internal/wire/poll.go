package wire

import (
	"encoding/binary"
	"fmt"
)

// PollMessages is the body of a PollMessages request (NonReplicated, code
// 100):
//
//	[Consumer][stream Identifier][topic Identifier][has_partition u8][partition u32]
//	[strategy kind u8][strategy value u64][count u32][auto_commit u8]
type PollMessages struct {
	Consumer     Consumer
	Stream       Identifier
	Topic        Identifier
	HasPartition bool
	Partition    uint32
	Strategy     PollingStrategy
	Count        uint32
	AutoCommit   bool
}

// Append appends the encoding of p to dst.
func (p *PollMessages) Append(dst []byte) []byte {
	dst = p.Consumer.Append(dst)
	dst = p.Stream.Append(dst)
	dst = p.Topic.Append(dst)
	dst = append(dst, boolByte(p.HasPartition))
	dst = binary.LittleEndian.AppendUint32(dst, p.Partition)
	dst = append(dst, byte(p.Strategy.Kind))
	dst = binary.LittleEndian.AppendUint64(dst, p.Strategy.Value)
	dst = binary.LittleEndian.AppendUint32(dst, p.Count)
	return append(dst, boolByte(p.AutoCommit))
}

// Decode reads p from b. Trailing bytes are ignored, as Iggy does.
func (p *PollMessages) Decode(b []byte) error {
	d := NewBodyReader(b)
	p.Consumer = d.consumer()
	p.Stream = d.ident()
	p.Topic = d.ident()
	hasPartition := d.U8()
	p.Partition = d.U32()
	p.Strategy = PollingStrategy{Kind: PollingKind(d.U8()), Value: d.U64()}
	p.Count = d.U32()
	autoCommit := d.U8()
	if d.err != nil {
		return &BodyError{Status: StatusInvalidFormat, Msg: d.err.Error()}
	}
	switch {
	case hasPartition > 1 || autoCommit > 1:
		return bodyErr(StatusInvalidFormat, "poll flags %d/%d", hasPartition, autoCommit)
	case p.Strategy.Kind < PollOffset || p.Strategy.Kind > PollNext:
		return bodyErr(StatusInvalidFormat, "polling strategy %d", p.Strategy.Kind)
	}
	p.HasPartition, p.AutoCommit = hasPartition == 1, autoCommit == 1
	return nil
}

// PollReplyHeaderSize is the size of a PollMessages reply's fixed prefix.
const PollReplyHeaderSize = 16

// PollResyncPartition in a poll reply's partition_id tells a group consumer
// that it does not own the partition and must re-sync.
const PollResyncPartition = 0xFFFFFFFF

// PollReply is the fixed prefix of a PollMessages reply body, followed by
// batch records (256-byte batch header + frames) holding MessagesCount
// frames in all:
//
//	[partition_id u32][current_offset u64][messages_count u32][records...]
type PollReply struct {
	PartitionID   uint32
	CurrentOffset uint64
	MessagesCount uint32
}

// Append appends the prefix to dst; records follow.
func (r *PollReply) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, r.PartitionID)
	dst = binary.LittleEndian.AppendUint64(dst, r.CurrentOffset)
	return binary.LittleEndian.AppendUint32(dst, r.MessagesCount)
}

// DecodePollReply decodes a poll reply body and calls fn for every message
// with its absolute offset (base_offset + offset_delta) and its batch
// header. It checks that the records tile the body and hold exactly
// messages_count frames.
func DecodePollReply(body []byte, fn func(h *BatchHeader, m *Message) error) (PollReply, error) {
	d := NewBodyReader(body)
	r := PollReply{PartitionID: d.U32(), CurrentOffset: d.U64(), MessagesCount: d.U32()}
	if d.err != nil {
		return r, d.err
	}
	var seen uint32
	for rest := body[PollReplyHeaderSize:]; len(rest) > 0; {
		var h BatchHeader
		if err := h.Decode(rest); err != nil {
			return r, err
		}
		if h.BatchLength < BatchHeaderSize || h.BatchLength > uint64(len(rest)) {
			return r, fmt.Errorf("%w: batch_length %d with %d bytes left", ErrMalformedBody, h.BatchLength, len(rest))
		}
		frames := rest[BatchHeaderSize:h.BatchLength]
		for off := 0; off < len(frames); {
			m, next, err := ParseMessage(frames, off)
			if err != nil {
				return r, err
			}
			seen++
			if fn != nil {
				if err := fn(&h, &m); err != nil {
					return r, err
				}
			}
			off = next
		}
		rest = rest[h.BatchLength:]
	}
	if seen != r.MessagesCount {
		return r, fmt.Errorf("%w: %d messages, header says %d", ErrMalformedBody, seen, r.MessagesCount)
	}
	return r, nil
}
