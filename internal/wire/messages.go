package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/zeebo/xxh3"
)

// Message batches (wire.md §3.3): SendMessages carries one batch; stored
// partitions and PollMessages replies carry batch records of the same
// layout.
//
// Batch header, 256 bytes:
//
//	off  size field
//	  0   8   partition_id      u64 (producer 0; stamped by the server)
//	  8   8   base_offset       u64 (stamped at append)
//	 16   8   base_timestamp    u64 µs (stamped at append)
//	 24   8   origin_timestamp  u64 µs, the minimum of the messages' origin times
//	 32   8   batch_length      u64 = 256 + total frame bytes
//	 40   8   batch_checksum    u64, see BatchChecksum
//	 48   4   message_count     u32 >= 1
//	 52 204   reserved          must be 0
//
// Message frame: a 48-byte header, then payload, then user headers:
//
//	off  size field
//	  0   8   checksum             u64 = XXH3(frame[8:end])
//	  8  16   id                   16 opaque bytes
//	 24   4   offset_delta         u32, index in the batch
//	 28   4   timestamp_delta      u32 µs past origin_timestamp
//	 32   4   user_headers_length  u32
//	 36   4   payload_length       u32
//	 40   8   reserved             must be 0
const (
	BatchHeaderSize   = 256
	MessageHeaderSize = 48
)

// BodyError is a malformed or corrupt body; Status is the reply status the
// server answers with (S11: a bad body is answered, never dropped).
type BodyError struct {
	Status Status
	Msg    string
}

func (e *BodyError) Error() string { return "wire: " + e.Msg }

// Unwrap lets errors.Is match ErrMalformedBody or ErrChecksum.
func (e *BodyError) Unwrap() error {
	if e.Status == StatusInvalidMessageChecksum || e.Status == StatusInvalidBatchChecksum {
		return ErrChecksum
	}
	return ErrMalformedBody
}

func bodyErr(s Status, format string, args ...any) error {
	return &BodyError{Status: s, Msg: fmt.Sprintf(format, args...)}
}

// StatusOf returns the reply status for a body decoding error:
// the BodyError's status, or InvalidFormat.
func StatusOf(err error) Status {
	var be *BodyError
	if errors.As(err, &be) {
		return be.Status
	}
	return StatusInvalidFormat
}

// BatchHeader is the 256-byte header of a message batch.
type BatchHeader struct {
	PartitionID     uint64
	BaseOffset      uint64
	BaseTimestamp   uint64
	OriginTimestamp uint64
	BatchLength     uint64
	BatchChecksum   uint64
	MessageCount    uint32
}

// Put writes h into b[:BatchHeaderSize], zeroing the reserved bytes.
func (h *BatchHeader) Put(b []byte) {
	b = b[:BatchHeaderSize]
	clear(b)
	put64(b, 0, h.PartitionID)
	put64(b, 8, h.BaseOffset)
	put64(b, 16, h.BaseTimestamp)
	put64(b, 24, h.OriginTimestamp)
	put64(b, 32, h.BatchLength)
	put64(b, 40, h.BatchChecksum)
	put32(b, 48, h.MessageCount)
}

// Decode reads h from b; the reserved bytes must be zero.
func (h *BatchHeader) Decode(b []byte) error {
	if len(b) < BatchHeaderSize {
		return bodyErr(StatusInvalidFormat, "batch header of %d bytes", len(b))
	}
	h.PartitionID = u64(b, 0)
	h.BaseOffset = u64(b, 8)
	h.BaseTimestamp = u64(b, 16)
	h.OriginTimestamp = u64(b, 24)
	h.BatchLength = u64(b, 32)
	h.BatchChecksum = u64(b, 40)
	h.MessageCount = u32(b, 48)
	if !allZero(b[52:BatchHeaderSize]) {
		return bodyErr(StatusInvalidReservedField, "batch header reserved bytes are not zero")
	}
	return nil
}

// BatchChecksum computes a batch's checksum: XXH3 over the header's first
// five u64 fields and message_count, then every frame's stored checksum
// field in order (not the frames themselves).
func BatchChecksum(h *BatchHeader, frames []byte) (uint64, error) {
	pre := batchPrefix(h)
	var d xxh3.Hasher
	_, _ = d.Write(pre[:])
	var n uint32
	for off := 0; off < len(frames); n++ {
		m, next, err := ParseMessage(frames, off)
		if err != nil {
			return 0, err
		}
		var c [8]byte
		binary.LittleEndian.PutUint64(c[:], m.Checksum)
		_, _ = d.Write(c[:])
		off = next
	}
	if n != h.MessageCount {
		return 0, bodyErr(StatusInvalidMessagesCount, "batch holds %d frames, header says %d", n, h.MessageCount)
	}
	return d.Sum64(), nil
}

// batchPrefix is the 44 header bytes the batch checksum starts with.
func batchPrefix(h *BatchHeader) [44]byte {
	var pre [44]byte
	put64(pre[:], 0, h.PartitionID)
	put64(pre[:], 8, h.BaseOffset)
	put64(pre[:], 16, h.BaseTimestamp)
	put64(pre[:], 24, h.OriginTimestamp)
	put64(pre[:], 32, h.BatchLength)
	put32(pre[:], 40, h.MessageCount)
	return pre
}

// BatchChecksumOf is BatchChecksum from the messages' stored checksums,
// as SendMessages.Decode collected them in Sums (8 bytes each, in order):
// no walk over the frames.
func BatchChecksumOf(h *BatchHeader, sums []byte) uint64 {
	pre := batchPrefix(h)
	var d xxh3.Hasher
	_, _ = d.Write(pre[:])
	_, _ = d.Write(sums)
	return d.Sum64()
}

// Message is one decoded message frame; ID, Payload and UserHeaders alias
// the batch.
type Message struct {
	Checksum       uint64
	ID             []byte
	OffsetDelta    uint32
	TimestampDelta uint32
	Payload        []byte
	UserHeaders    []byte
	// Frame is the whole frame, header included.
	Frame []byte
}

// ParseMessage decodes the frame at frames[off:] and returns it with the
// offset of the next frame. It checks the layout, not the checksum.
func ParseMessage(frames []byte, off int) (Message, int, error) {
	if len(frames)-off < MessageHeaderSize {
		return Message{}, 0, bodyErr(StatusInvalidFormat, "message header cut at %d", off)
	}
	h := frames[off:]
	userLen, payloadLen := uint64(u32(h, 32)), uint64(u32(h, 36))
	end := uint64(MessageHeaderSize) + payloadLen + userLen
	if end > uint64(len(h)) {
		return Message{}, 0, bodyErr(StatusInvalidFormat, "message at %d overruns the batch", off)
	}
	if u64(h, 40) != 0 {
		return Message{}, 0, bodyErr(StatusInvalidReservedField, "message at %d has reserved bytes set", off)
	}
	p := MessageHeaderSize + int(payloadLen)
	m := Message{
		Checksum:       u64(h, 0),
		ID:             h[8:24:24],
		OffsetDelta:    u32(h, 24),
		TimestampDelta: u32(h, 28),
		Payload:        h[MessageHeaderSize:p:p],
		UserHeaders:    h[p:end:end],
		Frame:          h[:end:end],
	}
	return m, off + int(end), nil
}

// VerifyMessage reports whether m's stored checksum matches its bytes.
func VerifyMessage(m *Message) bool { return xxh3.Hash(m.Frame[8:]) == m.Checksum }

// MessageIn is a message to encode into a batch.
type MessageIn struct {
	ID              [16]byte
	OriginTimestamp uint64 // µs
	Payload         []byte
	UserHeaders     []byte
}

// AppendBatch appends a batch record holding msgs (partition, base offset
// and base timestamp 0, as a producer sends it) with every checksum set.
func AppendBatch(dst []byte, msgs []MessageIn) ([]byte, error) {
	if len(msgs) == 0 {
		return dst, bodyErr(StatusInvalidMessagesCount, "empty batch")
	}
	origin := uint64(math.MaxUint64)
	for i := range msgs {
		origin = min(origin, msgs[i].OriginTimestamp)
	}
	start := len(dst)
	dst = append(dst, make([]byte, BatchHeaderSize)...)
	for i := range msgs {
		m := &msgs[i]
		delta := m.OriginTimestamp - origin
		if delta > math.MaxUint32 {
			return dst[:start], bodyErr(StatusInvalidFormat, "message %d is %d µs past the batch origin", i, delta)
		}
		f := len(dst)
		dst = binary.LittleEndian.AppendUint64(dst, 0)
		dst = append(dst, m.ID[:]...)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(i))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(delta))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(m.UserHeaders)))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(m.Payload)))
		dst = binary.LittleEndian.AppendUint64(dst, 0)
		dst = append(dst, m.Payload...)
		dst = append(dst, m.UserHeaders...)
		binary.LittleEndian.PutUint64(dst[f:], xxh3.Hash(dst[f+8:]))
	}
	h := BatchHeader{OriginTimestamp: origin, BatchLength: uint64(len(dst) - start), MessageCount: uint32(len(msgs))}
	sum, err := BatchChecksum(&h, dst[start+BatchHeaderSize:])
	if err != nil {
		return dst[:start], err
	}
	h.BatchChecksum = sum
	h.Put(dst[start:])
	return dst, nil
}

// SendMessages is a decoded SendMessages body:
//
//	[metadata_length u32][stream Identifier][topic Identifier][Partitioning]
//	[messages_count u32][batch header 256][frame_0]...[frame_n-1]
//
// metadata_length counts the identifiers, the partitioning and
// messages_count. Batch aliases the body: the batch header and frames.
type SendMessages struct {
	Stream       Identifier
	Topic        Identifier
	Partitioning Partitioning
	Header       BatchHeader
	Batch        []byte
	// Sums, when not nil before Decode, gets each message's stored
	// checksum appended (8 bytes little-endian, in order) as Decode
	// verifies them, so the partition can stamp the batch and recompute
	// its checksum without walking the frames again (BatchChecksumOf).
	Sums []byte
}

// AppendSendMessages appends a SendMessages body to dst.
func AppendSendMessages(dst []byte, stream, topic Identifier, p Partitioning, msgs []MessageIn) ([]byte, error) {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(stream.Len()+topic.Len()+p.Len()+4))
	dst = stream.Append(dst)
	dst = topic.Append(dst)
	dst = p.Append(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(msgs)))
	return AppendBatch(dst, msgs)
}

// Decode reads and admits a SendMessages body as Iggy's server does: exact
// metadata length, message_count >= 1 and equal to messages_count,
// batch_length equal to the rest of the body, frames tiling it exactly,
// zero reserved bytes, and every frame checksum and the batch checksum
// correct. A failure is a *BodyError carrying the reply status.
func (s *SendMessages) Decode(body []byte) error {
	d := NewBodyReader(body)
	metaLen := d.U32()
	s.Stream = d.ident()
	s.Topic = d.ident()
	s.Partitioning = d.partitioning()
	count := d.U32()
	if d.err != nil {
		return bodyErr(StatusInvalidFormat, "send_messages metadata: %v", d.err)
	}
	if int(metaLen) != d.pos-4 {
		return bodyErr(StatusInvalidFormat, "metadata_length %d, fields take %d", metaLen, d.pos-4)
	}
	rest := body[d.pos:]
	if err := s.Header.Decode(rest); err != nil {
		return err
	}
	h := &s.Header
	switch {
	case h.MessageCount == 0 || h.MessageCount != count:
		return bodyErr(StatusInvalidMessagesCount, "message_count %d, messages_count %d", h.MessageCount, count)
	case h.BatchLength != uint64(len(rest)):
		return bodyErr(StatusInvalidFormat, "batch_length %d, body holds %d", h.BatchLength, len(rest))
	}
	s.Batch = rest
	if s.Sums == nil {
		return VerifyBatch(rest)
	}
	var err error
	s.Sums, err = verifyBatch(rest, s.Sums[:0])
	return err
}

// VerifyBatch checks a whole batch record (header + frames): layout, every
// message checksum and the batch checksum.
func VerifyBatch(batch []byte) error {
	_, err := verifyBatch(batch, nil)
	return err
}

// verifyBatch is VerifyBatch in one pass over the frames, appending each
// message's checksum to sums.
func verifyBatch(batch, sums []byte) ([]byte, error) {
	var h BatchHeader
	if err := h.Decode(batch); err != nil {
		return sums, err
	}
	if h.BatchLength != uint64(len(batch)) {
		return sums, bodyErr(StatusInvalidFormat, "batch_length %d, record holds %d", h.BatchLength, len(batch))
	}
	frames := batch[BatchHeaderSize:]
	var d xxh3.Hasher
	pre := batchPrefix(&h)
	_, _ = d.Write(pre[:])
	var n uint32
	for off := 0; off < len(frames); n++ {
		m, next, err := ParseMessage(frames, off)
		if err != nil {
			return sums, err
		}
		if !VerifyMessage(&m) {
			return sums, bodyErr(StatusInvalidMessageChecksum, "message %d checksum mismatch", m.OffsetDelta)
		}
		var c [8]byte
		binary.LittleEndian.PutUint64(c[:], m.Checksum)
		_, _ = d.Write(c[:])
		if sums != nil {
			sums = append(sums, c[:]...)
		}
		off = next
	}
	if n != h.MessageCount {
		return sums, bodyErr(StatusInvalidMessagesCount, "batch holds %d frames, header says %d", n, h.MessageCount)
	}
	if sum := d.Sum64(); sum != h.BatchChecksum {
		return sums, bodyErr(StatusInvalidBatchChecksum, "batch checksum %#x, computed %#x", h.BatchChecksum, sum)
	}
	return sums, nil
}

// SendMessagesReply is the confirmation body of a SendMessages reply
// (operation 160, not result-framed, never empty):
// [count u32][{stream u32, topic u32, partition u32, base_offset u64} × count].
type SendConfirmation struct {
	Stream, Topic, Partition uint32
	BaseOffset               uint64
}

// AppendSendConfirmations appends a SendMessages reply body.
func AppendSendConfirmations(dst []byte, cs ...SendConfirmation) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(cs)))
	for _, c := range cs {
		dst = binary.LittleEndian.AppendUint32(dst, c.Stream)
		dst = binary.LittleEndian.AppendUint32(dst, c.Topic)
		dst = binary.LittleEndian.AppendUint32(dst, c.Partition)
		dst = binary.LittleEndian.AppendUint64(dst, c.BaseOffset)
	}
	return dst
}

// DecodeSendConfirmations decodes a SendMessages reply body.
func DecodeSendConfirmations(body []byte) ([]SendConfirmation, error) {
	d := NewBodyReader(body)
	n := d.U32()
	if d.err == nil && uint64(n)*20 != uint64(len(body)-4) {
		return nil, fmt.Errorf("%w: %d confirmations in %d bytes", ErrMalformedBody, n, len(body))
	}
	out := make([]SendConfirmation, n)
	for i := range out {
		out[i] = SendConfirmation{Stream: d.U32(), Topic: d.U32(), Partition: d.U32(), BaseOffset: d.U64()}
	}
	return out, d.err
}
