package metadata

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/shoal-io/shoal/internal/wire"
)

// Request bodies of the streams, topics, partitions, consumer groups and
// consumer offsets commands (wire.md §3.2). Each Decode reads the fields in
// order and ignores trailing bytes, as Iggy's decoders do, except options
// blocks, which run to the end of the body. A malformed body is
// StatusInvalidCommand (Iggy's answer to a body that does not decode);
// option errors carry their own statuses. Decoded names and identifiers
// are copies: they do not alias the body.

// bodyReader reads request fields; the first failure sticks.
type bodyReader struct {
	b   []byte
	pos int
	bad bool
}

func (r *bodyReader) take(n int) []byte {
	if r.bad || n < 0 || len(r.b)-r.pos < n {
		r.bad = true
		return nil
	}
	p := r.b[r.pos : r.pos+n]
	r.pos += n
	return p
}

func (r *bodyReader) u8() uint8 {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *bodyReader) u32() uint32 {
	if p := r.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *bodyReader) u64() uint64 {
	if p := r.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// name reads a WireName: [len u8 1..255][UTF-8].
func (r *bodyReader) name() string {
	n := int(r.u8())
	p := r.take(n)
	if r.bad || n == 0 || !utf8.Valid(p) {
		r.bad = true
		return ""
	}
	return string(p)
}

func (r *bodyReader) ident() wire.Identifier {
	kind, n := wire.IdentifierKind(r.u8()), int(r.u8())
	p := r.take(n)
	switch {
	case r.bad:
	case kind == wire.IdentifierNumeric && n == 4:
		return wire.NumericID(binary.LittleEndian.Uint32(p))
	case kind == wire.IdentifierString && n > 0 && utf8.Valid(p):
		return wire.Identifier{Kind: kind, Name: append([]byte(nil), p...)}
	}
	r.bad = true
	return wire.Identifier{}
}

func (r *bodyReader) consumer() wire.Consumer {
	kind := wire.ConsumerKind(r.u8())
	id := r.ident()
	if kind != wire.ConsumerSingle && kind != wire.ConsumerGroup {
		r.bad = true
	}
	return wire.Consumer{Kind: kind, ID: id}
}

func (r *bodyReader) status() wire.Status {
	if r.bad {
		return wire.StatusInvalidCommand
	}
	return wire.StatusOK
}

// CreateStreamRequest is [name_len u8][name][options TLV...]; streams have
// no option keys.
type CreateStreamRequest struct{ Name string }

// Decode reads a CreateStream body.
func (c *CreateStreamRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	c.Name = r.name()
	if r.bad {
		return wire.StatusInvalidCommand
	}
	return ParseStreamOptions(b[r.pos:])
}

// Op returns the operation to propose.
func (c *CreateStreamRequest) Op(timestamp uint64) CreateStream {
	return CreateStream{Timestamp: timestamp, Name: c.Name}
}

// UpdateStreamRequest is [stream Identifier][name_len u8][name]
// [options TLV...]; streams have no option keys.
type UpdateStreamRequest struct {
	Stream wire.Identifier
	Name   string
}

// Decode reads an UpdateStream body.
func (u *UpdateStreamRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	u.Stream = r.ident()
	u.Name = r.name()
	if r.bad {
		return wire.StatusInvalidCommand
	}
	return ParseStreamOptions(b[r.pos:])
}

// Op returns the operation to propose.
func (u *UpdateStreamRequest) Op() UpdateStream { return UpdateStream{Stream: u.Stream, Name: u.Name} }

// UpdateTopicRequest is [stream Identifier][topic Identifier]
// [name_len u8][name][options TLV...], the options limited to
// UpdatableTopicOptions.
type UpdateTopicRequest struct {
	Stream, Topic wire.Identifier
	Name          string
	Options       TopicOptions
}

// Decode reads an UpdateTopic body and parses its options against the
// catalog; a key an update may not change is StatusUnsupportedOptionKey,
// as Iggy answers before consensus. The bound that depends on the topic
// (max_topic_size against its segment size) is the state's to check.
func (u *UpdateTopicRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	u.Stream, u.Topic = r.ident(), r.ident()
	u.Name = r.name()
	if r.bad {
		return wire.StatusInvalidCommand
	}
	var st wire.Status
	if u.Options, st = ParseTopicOptions(b[r.pos:]); st != wire.StatusOK {
		return st
	}
	if u.Options.Explicit&^UpdatableTopicOptions != 0 {
		return wire.StatusUnsupportedOptionKey
	}
	return wire.StatusOK
}

// Op returns the operation to propose.
func (u *UpdateTopicRequest) Op() UpdateTopic {
	return UpdateTopic{Stream: u.Stream, Topic: u.Topic, Name: u.Name, Options: u.Options}
}

// StreamRequest is [stream Identifier]: DeleteStream, PurgeStream,
// GetStream and GetTopics.
type StreamRequest struct{ Stream wire.Identifier }

// Decode reads the body.
func (s *StreamRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	s.Stream = r.ident()
	return r.status()
}

// TopicRequest is [stream Identifier][topic Identifier]: DeleteTopic,
// PurgeTopic and GetTopic.
type TopicRequest struct{ Stream, Topic wire.Identifier }

// Decode reads the body.
func (t *TopicRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	t.Stream, t.Topic = r.ident(), r.ident()
	return r.status()
}

// CreateTopicRequest is [stream Identifier][partitions_count u32]
// [name_len u8][name][options TLV...].
type CreateTopicRequest struct {
	Stream     wire.Identifier
	Partitions uint32
	Name       string
	Options    TopicOptions
}

// Decode reads a CreateTopic body and parses its options against the
// catalog, then applies the create-time bounds (wire.md §3.7): all the
// checks Iggy runs before consensus.
func (c *CreateTopicRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	c.Stream = r.ident()
	c.Partitions = r.u32()
	c.Name = r.name()
	if r.bad {
		return wire.StatusInvalidCommand
	}
	var st wire.Status
	if c.Options, st = ParseTopicOptions(b[r.pos:]); st != wire.StatusOK {
		return st
	}
	return validateTopic(c.Partitions, c.Options)
}

// Op returns the operation to propose; shards is the number of shards
// partitions are placed on.
func (c *CreateTopicRequest) Op(timestamp uint64, shards uint32) CreateTopic {
	return CreateTopic{Timestamp: timestamp, Stream: c.Stream, Partitions: c.Partitions, Shards: shards, Name: c.Name, Options: c.Options}
}

// PartitionsRequest is [stream Identifier][topic Identifier][count u32]:
// CreatePartitions and DeletePartitions.
type PartitionsRequest struct {
	Stream, Topic wire.Identifier
	Count         uint32
}

// Decode reads the body; a count of 0 or above 1000 is
// StatusTooManyPartitions, as Iggy answers before consensus.
func (p *PartitionsRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	p.Stream, p.Topic, p.Count = r.ident(), r.ident(), r.u32()
	if r.bad {
		return wire.StatusInvalidCommand
	}
	if p.Count == 0 || p.Count > MaxPartitionsPerRequest {
		return wire.StatusTooManyPartitions
	}
	return wire.StatusOK
}

// CreateOp returns a CreatePartitions operation.
func (p *PartitionsRequest) CreateOp(timestamp uint64, shards uint32) CreatePartitions {
	return CreatePartitions{Timestamp: timestamp, Stream: p.Stream, Topic: p.Topic, Count: p.Count, Shards: shards}
}

// DeleteOp returns a DeletePartitions operation.
func (p *PartitionsRequest) DeleteOp() DeletePartitions {
	return DeletePartitions{Stream: p.Stream, Topic: p.Topic, Count: p.Count}
}

// DeleteSegmentsRequest is [stream Identifier][topic Identifier]
// [partition_id u32][segments_count u32].
type DeleteSegmentsRequest struct {
	Stream, Topic wire.Identifier
	Partition     uint32
	Count         uint32
}

// Decode reads the body.
func (d *DeleteSegmentsRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	d.Stream, d.Topic = r.ident(), r.ident()
	d.Partition, d.Count = r.u32(), r.u32()
	return r.status()
}

// CreateGroupRequest is [stream Identifier][topic Identifier][name_len u8][name].
type CreateGroupRequest struct {
	Stream, Topic wire.Identifier
	Name          string
}

// Decode reads the body.
func (c *CreateGroupRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	c.Stream, c.Topic, c.Name = r.ident(), r.ident(), r.name()
	return r.status()
}

// Op returns the operation to propose.
func (c *CreateGroupRequest) Op() CreateConsumerGroup {
	return CreateConsumerGroup{Stream: c.Stream, Topic: c.Topic, Name: c.Name}
}

// GroupRequest is [stream Identifier][topic Identifier][group Identifier]:
// DeleteConsumerGroup, JoinConsumerGroup, LeaveConsumerGroup, GetGroup and
// SyncGroup. (GetGroups is a TopicRequest.)
type GroupRequest struct{ Stream, Topic, Group wire.Identifier }

// Decode reads the body.
func (g *GroupRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	g.Stream, g.Topic, g.Group = r.ident(), r.ident(), r.ident()
	return r.status()
}

// DeleteOp, JoinOp and LeaveOp return the operations to propose; client is
// the session's VSR client id.
func (g *GroupRequest) DeleteOp() DeleteConsumerGroup {
	return DeleteConsumerGroup{Stream: g.Stream, Topic: g.Topic, Group: g.Group}
}

func (g *GroupRequest) JoinOp(client wire.ClientID) JoinConsumerGroup {
	return JoinConsumerGroup{Stream: g.Stream, Topic: g.Topic, Group: g.Group, Client: client}
}

func (g *GroupRequest) LeaveOp(client wire.ClientID) LeaveConsumerGroup {
	return LeaveConsumerGroup{Stream: g.Stream, Topic: g.Topic, Group: g.Group, Client: client}
}

// DescribeOptionsRequest is [scope u8].
type DescribeOptionsRequest struct{ Scope uint8 }

// Decode reads the body.
func (d *DescribeOptionsRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	d.Scope = r.u8()
	return r.status()
}

// ConsumerOffsetRequest is the body of GetConsumerOffset (code 120),
// StoreConsumerOffset (121) and DeleteConsumerOffset (122):
//
//	[Consumer][stream Identifier][topic Identifier][has_partition u8][partition u32]
//	then [offset u64][ack u8] for a store, [ack u8] for a delete.
type ConsumerOffsetRequest struct {
	Consumer     wire.Consumer
	Stream       wire.Identifier
	Topic        wire.Identifier
	HasPartition bool
	Partition    uint32
	Offset       uint64 // store only
	Ack          uint8  // store and delete: 0 NoAck, 1 Quorum
}

// Offset request kinds for ConsumerOffsetRequest.Decode.
const (
	OffsetGet    = 120
	OffsetStore  = 121
	OffsetDelete = 122
)

// Decode reads the body of the command code (OffsetGet, OffsetStore or
// OffsetDelete). An ack level other than 0 or 1 is StatusInvalidCommand.
func (c *ConsumerOffsetRequest) Decode(code int, b []byte) wire.Status {
	r := bodyReader{b: b}
	c.Consumer, c.Stream, c.Topic = r.consumer(), r.ident(), r.ident()
	has := r.u8()
	c.Partition = r.u32()
	switch code {
	case OffsetStore:
		c.Offset, c.Ack = r.u64(), r.u8()
	case OffsetDelete:
		c.Ack = r.u8()
	}
	if has > 1 || c.Ack > 1 {
		r.bad = true
	}
	c.HasPartition = has == 1
	return r.status()
}

// SnapshotRequest is GetSnapshot's [compression u8][types_count u8][type u8]*.
type SnapshotRequest struct {
	Compression uint8
	Types       []uint8
}

// Decode reads the body.
func (s *SnapshotRequest) Decode(b []byte) wire.Status {
	r := bodyReader{b: b}
	s.Compression = r.u8()
	s.Types = append([]uint8(nil), r.take(int(r.u8()))...)
	return r.status()
}
