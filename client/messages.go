package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// Messages and consumer offsets (wire.md §3.3-3.5).

// ValueKind is the kind byte of an option or user header value.
type ValueKind uint8

// Value kinds (wire.md §3.1). These constants are part of the wire format
// and must not be changed.
const (
	KindRaw     ValueKind = 1
	KindString  ValueKind = 2
	KindBool    ValueKind = 3
	KindInt8    ValueKind = 4
	KindInt16   ValueKind = 5
	KindInt32   ValueKind = 6
	KindInt64   ValueKind = 7
	KindInt128  ValueKind = 8
	KindUint8   ValueKind = 9
	KindUint16  ValueKind = 10
	KindUint32  ValueKind = 11
	KindUint64  ValueKind = 12
	KindUint128 ValueKind = 13
	KindFloat32 ValueKind = 14
	KindFloat64 ValueKind = 15
)

// Value is a typed option or header value: its little-endian bytes.
type Value struct {
	Kind ValueKind
	Raw  []byte
}

// StringValue returns a String value.
func StringValue(s string) Value { return Value{Kind: KindString, Raw: []byte(s)} }

// String renders v by its kind; raw bytes, 128-bit integers and values of
// the wrong length are hex.
func (v Value) String() string {
	b := v.Raw
	switch {
	case v.Kind == KindString:
		return string(b)
	case v.Kind == KindBool && len(b) == 1:
		return strconv.FormatBool(b[0] != 0)
	case v.Kind == KindInt8 && len(b) == 1:
		return strconv.FormatInt(int64(int8(b[0])), 10)
	case v.Kind == KindInt16 && len(b) == 2:
		return strconv.FormatInt(int64(int16(binary.LittleEndian.Uint16(b))), 10)
	case v.Kind == KindInt32 && len(b) == 4:
		return strconv.FormatInt(int64(int32(binary.LittleEndian.Uint32(b))), 10)
	case v.Kind == KindInt64 && len(b) == 8:
		return strconv.FormatInt(int64(binary.LittleEndian.Uint64(b)), 10)
	case v.Kind == KindUint8 && len(b) == 1:
		return strconv.FormatUint(uint64(b[0]), 10)
	case v.Kind == KindUint16 && len(b) == 2:
		return strconv.FormatUint(uint64(binary.LittleEndian.Uint16(b)), 10)
	case v.Kind == KindUint32 && len(b) == 4:
		return strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b)), 10)
	case v.Kind == KindUint64 && len(b) == 8:
		return strconv.FormatUint(binary.LittleEndian.Uint64(b), 10)
	case v.Kind == KindFloat32 && len(b) == 4:
		return strconv.FormatFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 'g', -1, 32)
	case v.Kind == KindFloat64 && len(b) == 8:
		return strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)), 'g', -1, 64)
	}
	return "0x" + hex.EncodeToString(b)
}

// MarshalText renders v as String does, so JSON shows options and headers
// readably (the kind is not kept).
func (v Value) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Header is one user header of a message.
type Header struct {
	Key, Value Value
}

// decodeTLV reads a sequence of [kind u8][len u32 1..255][bytes] pairs,
// the layout of options blocks and user headers.
func decodeTLV(b []byte) ([]Header, error) {
	var out []Header
	cut := func() (Value, bool) {
		if len(b) < 5 {
			return Value{}, false
		}
		kind, n := ValueKind(b[0]), binary.LittleEndian.Uint32(b[1:5])
		if kind == 0 || kind > KindFloat64 || n == 0 || n > 255 || uint64(n) > uint64(len(b)-5) {
			return Value{}, false
		}
		v := Value{Kind: kind, Raw: b[5 : 5+n : 5+n]}
		b = b[5+n:]
		return v, true
	}
	for len(b) > 0 {
		k, ok := cut()
		if !ok {
			return nil, fmt.Errorf("entry %d: bad key", len(out))
		}
		v, ok := cut()
		if !ok {
			return nil, fmt.Errorf("entry %d: bad value", len(out))
		}
		out = append(out, Header{Key: k, Value: v})
	}
	return out, nil
}

// Message is a message to send. A zero ID is replaced by a random
// (UUIDv4) one, as Iggy's SDK does.
type Message struct {
	ID      [16]byte
	Payload []byte
	Headers []Header
}

// Partitioning says which partition a send goes to.
type Partitioning = wire.Partitioning

// PartitionID sends to partition id (0-based).
func PartitionID(id uint32) Partitioning {
	return wire.Partitioning{Kind: wire.PartitionByID, Partition: id}
}

// Balanced lets the server pick partitions round robin.
func Balanced() Partitioning { return wire.Partitioning{Kind: wire.PartitionBalanced} }

// MessagesKey sends every message with the same key (1..255 bytes) to the
// same partition, which the server picks by hashing the key.
func MessagesKey(key []byte) Partitioning {
	return wire.Partitioning{Kind: wire.PartitionByMessageID, Key: key}
}

// SendResult is the server's confirmation of a send: where the batch went
// and the offset of its first message.
type SendResult struct {
	Stream, Topic, Partition uint32
	BaseOffset               uint64
}

// SendMessages sends msgs as one batch and returns where they were
// appended: message i has offset BaseOffset+i.
func (c *Client) SendMessages(ctx context.Context, stream, topic Identifier, p Partitioning, msgs []Message) (SendResult, error) {
	if err := checkTopic(stream, topic); err != nil {
		return SendResult{}, err
	}
	if p.Kind == wire.PartitionByMessageID && (len(p.Key) == 0 || len(p.Key) > 255) {
		return SendResult{}, fmt.Errorf("client: message key must be 1..255 bytes")
	}
	if len(msgs) == 0 {
		return SendResult{}, fmt.Errorf("client: no messages to send")
	}
	now := uint64(time.Now().UnixMicro())
	in := make([]wire.MessageIn, len(msgs))
	for i, m := range msgs {
		in[i] = wire.MessageIn{ID: m.ID, OriginTimestamp: now, Payload: m.Payload}
		if in[i].ID == [16]byte{} {
			in[i].ID = newMessageID()
		}
		for _, h := range m.Headers {
			if len(h.Key.Raw) == 0 || len(h.Key.Raw) > 255 || len(h.Value.Raw) == 0 || len(h.Value.Raw) > 255 || h.Key.Kind == 0 || h.Value.Kind == 0 {
				return SendResult{}, fmt.Errorf("client: message %d: header keys and values must have a kind and 1..255 bytes", i)
			}
			in[i].UserHeaders = appendTLV(appendTLV(in[i].UserHeaders, h.Key.Kind, h.Key.Raw), h.Value.Kind, h.Value.Raw)
		}
	}
	body, err := wire.AppendSendMessages(nil, stream, topic, p, in)
	if err != nil {
		return SendResult{}, fmt.Errorf("client: %w", err)
	}
	b, err := c.Request(ctx, wire.OpSendMessages, 0, body)
	if err != nil {
		return SendResult{}, namedPartition(err, stream, topic, p)
	}
	cs, err := wire.DecodeSendConfirmations(b)
	if err != nil || len(cs) == 0 {
		return SendResult{}, fmt.Errorf("%w: SendMessages confirmation: %d entries, %v", ErrMalformedReply, len(cs), err)
	}
	return SendResult(cs[0]), nil
}

func newMessageID() [16]byte {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		panic(fmt.Sprintf("client: crypto/rand: %v", err))
	}
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id
}

// namedPartition is named, and names the partition for 3007.
func namedPartition(err error, stream, topic Identifier, p Partitioning) error {
	var se *StatusError
	if errors.As(err, &se) && se.Status == wire.StatusPartitionNotFound && p.Kind == wire.PartitionByID {
		return &NotFoundError{Resource: "partition", Name: strconv.FormatUint(uint64(p.Partition), 10), Status: se.Status}
	}
	return named(err, stream, &topic)
}

// Consumer is who polls and whose offsets are stored: a consumer or a
// consumer group.
type Consumer = wire.Consumer

// DefaultConsumer is consumer 0, which Iggy's SDK uses when none is given.
func DefaultConsumer() Consumer { return ConsumerID(wire.NumericID(0)) }

// ConsumerID returns a plain consumer; a named one is keyed by the XXH32
// of its name.
func ConsumerID(id Identifier) Consumer { return wire.Consumer{Kind: wire.ConsumerSingle, ID: id} }

// GroupConsumer returns a consumer group.
func GroupConsumer(id Identifier) Consumer { return wire.Consumer{Kind: wire.ConsumerGroup, ID: id} }

// PollingStrategy says where a poll starts.
type PollingStrategy = wire.PollingStrategy

// PollFromOffset starts at offset n.
func PollFromOffset(n uint64) PollingStrategy {
	return wire.PollingStrategy{Kind: wire.PollOffset, Value: n}
}

// PollFromTimestamp starts at the first message stored at or after t.
func PollFromTimestamp(t time.Time) PollingStrategy {
	return wire.PollingStrategy{Kind: wire.PollTimestamp, Value: uint64(t.UnixMicro())}
}

// PollFirst starts at the partition's first message.
func PollFirst() PollingStrategy { return wire.PollingStrategy{Kind: wire.PollFirst} }

// PollLast returns the partition's last count messages.
func PollLast() PollingStrategy { return wire.PollingStrategy{Kind: wire.PollLast} }

// PollNext continues after the consumer's stored offset.
func PollNext() PollingStrategy { return wire.PollingStrategy{Kind: wire.PollNext} }

// PolledMessage is one message a poll returned. Payload and the header
// values alias the reply, which the client does not reuse.
type PolledMessage struct {
	Offset          uint64
	Timestamp       time.Time // when the server appended it
	OriginTimestamp time.Time // when the producer made it
	ID              [16]byte
	Payload         []byte
	Headers         []Header
	// RawHeaders holds the user header bytes as sent; Headers is nil when
	// they are not a valid header sequence.
	RawHeaders []byte `json:",omitempty"`
}

// Polled is the reply to a poll.
type Polled struct {
	Partition     uint32
	CurrentOffset uint64 // the partition's latest offset
	Messages      []PolledMessage
}

// PollMessages reads up to count messages from a partition for consumer,
// starting where strategy says; autoCommit stores the offset of the last
// message returned as the consumer's offset.
func (c *Client) PollMessages(ctx context.Context, stream, topic Identifier, consumer Consumer, partition uint32,
	strategy PollingStrategy, count uint32, autoCommit bool) (*Polled, error) {
	if err := checkTopic(stream, topic); err != nil {
		return nil, err
	}
	if err := checkID("consumer", consumer.ID); err != nil {
		return nil, err
	}
	req := wire.PollMessages{Consumer: consumer, Stream: stream, Topic: topic, HasPartition: true, Partition: partition,
		Strategy: strategy, Count: count, AutoCommit: autoCommit}
	b, err := c.Request(ctx, wire.OpNonReplicated, CodePollMessages, req.Append(nil))
	if err != nil {
		return nil, namedPartition(err, stream, topic, PartitionID(partition))
	}
	return decodePolled(b)
}

func decodePolled(b []byte) (*Polled, error) {
	var out Polled
	r, err := wire.DecodePollReply(b, func(h *wire.BatchHeader, m *wire.Message) error {
		pm := PolledMessage{
			Offset:          h.BaseOffset + uint64(m.OffsetDelta),
			Timestamp:       micros(h.BaseTimestamp),
			OriginTimestamp: micros(h.OriginTimestamp + uint64(m.TimestampDelta)),
			Payload:         m.Payload,
		}
		copy(pm.ID[:], m.ID)
		if len(m.UserHeaders) > 0 {
			pm.RawHeaders = m.UserHeaders
			pm.Headers, _ = decodeTLV(m.UserHeaders)
		}
		out.Messages = append(out.Messages, pm)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("PollMessages: %w: %v", ErrMalformedReply, err)
	}
	out.Partition, out.CurrentOffset = r.PartitionID, r.CurrentOffset
	return &out, nil
}

func micros(us uint64) time.Time {
	if us > 1<<62 {
		return time.Time{}
	}
	return time.UnixMicro(int64(us)).UTC()
}

// ConsumerOffset is a consumer's stored offset in one partition.
type ConsumerOffset struct {
	Partition     uint32
	CurrentOffset uint64 // the partition's latest offset
	StoredOffset  uint64
}

// offsetRequest checks and builds a consumer offset request for one
// partition.
func offsetRequest(consumer Consumer, stream, topic Identifier, partition uint32) (wire.ConsumerOffsetRequest, error) {
	if err := checkID("consumer", consumer.ID); err != nil {
		return wire.ConsumerOffsetRequest{}, err
	}
	if err := checkTopic(stream, topic); err != nil {
		return wire.ConsumerOffsetRequest{}, err
	}
	return wire.ConsumerOffsetRequest{Consumer: consumer, Stream: stream, Topic: topic, HasPartition: true, Partition: partition}, nil
}

// StoreConsumerOffset stores consumer's offset in a partition, replicated
// (ack level Quorum, as Iggy's SDK sends).
func (c *Client) StoreConsumerOffset(ctx context.Context, consumer Consumer, stream, topic Identifier, partition uint32, offset uint64) error {
	req, err := offsetRequest(consumer, stream, topic, partition)
	if err != nil {
		return err
	}
	req.Offset, req.Ack = offset, 1
	_, err = c.Request(ctx, wire.OpStoreConsumerOffset, 0, req.Append(wire.OffsetStore, nil))
	return namedPartition(err, stream, topic, PartitionID(partition))
}

// DeleteConsumerOffset forgets consumer's offset in a partition.
func (c *Client) DeleteConsumerOffset(ctx context.Context, consumer Consumer, stream, topic Identifier, partition uint32) error {
	req, err := offsetRequest(consumer, stream, topic, partition)
	if err != nil {
		return err
	}
	req.Ack = 1
	_, err = c.Request(ctx, wire.OpDeleteConsumerOffset, 0, req.Append(wire.OffsetDelete, nil))
	return namedPartition(err, stream, topic, PartitionID(partition))
}

// GetConsumerOffset reads consumer's stored offset in a partition; ok is
// false when none is stored (or, as the server answers, when the stream
// or topic does not exist).
func (c *Client) GetConsumerOffset(ctx context.Context, consumer Consumer, stream, topic Identifier, partition uint32) (off ConsumerOffset, ok bool, err error) {
	req, err := offsetRequest(consumer, stream, topic, partition)
	if err != nil {
		return off, false, err
	}
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeConsumerOffset, req.Append(wire.OffsetGet, nil))
	if err != nil {
		return off, false, namedPartition(err, stream, topic, PartitionID(partition))
	}
	return decodeConsumerOffset(b)
}

func decodeConsumerOffset(b []byte) (ConsumerOffset, bool, error) {
	if len(b) == 0 {
		return ConsumerOffset{}, false, nil
	}
	var info wire.ConsumerOffsetInfo
	if err := info.Decode(b); err != nil {
		return ConsumerOffset{}, false, malformed("GetConsumerOffset", err)
	}
	return ConsumerOffset(info), true, nil
}
