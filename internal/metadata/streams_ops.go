package metadata

import (
	"encoding/binary"
	"maps"

	"github.com/shoal-io/shoal/internal/wire"
)

// Operations on streams, topics, partitions and consumer groups. Streams,
// topics and groups are named in an operation by a wire.Identifier (a
// numeric id or a name) and resolved when the operation is applied, as
// Iggy's state machine does, so an operation means the same thing on
// every replica and every replay. Timestamps and the shard count come from
// the proposer.

// CreateStream adds a stream under the lowest free id.
type CreateStream struct {
	Timestamp uint64 // µs since the Unix epoch
	Name      string
}

// UpdateStream renames a stream. Streams have no option keys, so the
// request's options block never reaches the operation.
type UpdateStream struct {
	Stream wire.Identifier
	Name   string
}

// DeleteStream removes a stream with its topics, partitions and groups.
type DeleteStream struct{ Stream wire.Identifier }

// PurgeStream empties every partition of a stream. The metadata does not
// change; the partition owners purge their logs once it is committed.
type PurgeStream struct{ Stream wire.Identifier }

// CreateTopic adds a topic with Partitions partitions (ids 0..n-1) under
// the lowest free topic id of the stream. Options holds the keys the
// client set, already parsed into their canonical values; Shards is the
// number of shards its partitions are spread over, round robin.
type CreateTopic struct {
	Timestamp  uint64
	Stream     wire.Identifier
	Partitions uint32
	Shards     uint32
	Name       string
	Options    TopicOptions
}

// UpdateTopic renames a topic and patches the options an update may
// change (UpdatableTopicOptions): keys the client did not send keep their
// values, so a client that predates a key cannot erase it.
type UpdateTopic struct {
	Stream, Topic wire.Identifier
	Name          string
	Options       TopicOptions
}

// DeleteTopic removes a topic with its partitions and groups.
type DeleteTopic struct{ Stream, Topic wire.Identifier }

// PurgeTopic empties every partition of a topic (see PurgeStream).
type PurgeTopic struct{ Stream, Topic wire.Identifier }

// CreatePartitions appends Count partitions after the highest id.
type CreatePartitions struct {
	Timestamp     uint64
	Stream, Topic wire.Identifier
	Count         uint32
	Shards        uint32
}

// DeletePartitions removes the Count highest partition ids.
type DeletePartitions struct {
	Stream, Topic wire.Identifier
	Count         uint32
}

// CreateConsumerGroup adds a group to a topic under the next group id.
type CreateConsumerGroup struct {
	Stream, Topic wire.Identifier
	Name          string
}

// DeleteConsumerGroup removes a group.
type DeleteConsumerGroup struct{ Stream, Topic, Group wire.Identifier }

// JoinConsumerGroup makes Client (the VSR client id of the session) a
// member and rebalances cooperatively. Joining twice changes nothing.
type JoinConsumerGroup struct {
	Stream, Topic, Group wire.Identifier
	Client               wire.ClientID
}

// LeaveConsumerGroup removes Client from the group and rebalances.
type LeaveConsumerGroup struct {
	Stream, Topic, Group wire.Identifier
	Client               wire.ClientID
}

func (CreateStream) Kind() Kind        { return KindCreateStream }
func (UpdateStream) Kind() Kind        { return KindUpdateStream }
func (DeleteStream) Kind() Kind        { return KindDeleteStream }
func (PurgeStream) Kind() Kind         { return KindPurgeStream }
func (CreateTopic) Kind() Kind         { return KindCreateTopic }
func (UpdateTopic) Kind() Kind         { return KindUpdateTopic }
func (DeleteTopic) Kind() Kind         { return KindDeleteTopic }
func (PurgeTopic) Kind() Kind          { return KindPurgeTopic }
func (CreatePartitions) Kind() Kind    { return KindCreatePartitions }
func (DeletePartitions) Kind() Kind    { return KindDeletePartitions }
func (CreateConsumerGroup) Kind() Kind { return KindCreateConsumerGroup }
func (DeleteConsumerGroup) Kind() Kind { return KindDeleteConsumerGroup }
func (JoinConsumerGroup) Kind() Kind   { return KindJoinConsumerGroup }
func (LeaveConsumerGroup) Kind() Kind  { return KindLeaveConsumerGroup }

func (o CreateStream) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, o.Timestamp)
	return appendStr8(b, o.Name)
}

func (o UpdateStream) appendBody(b []byte) []byte {
	return appendStr8(appendIdent(b, o.Stream), o.Name)
}
func (o DeleteStream) appendBody(b []byte) []byte { return appendIdent(b, o.Stream) }
func (o PurgeStream) appendBody(b []byte) []byte  { return appendIdent(b, o.Stream) }

func (o CreateTopic) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, o.Timestamp)
	b = appendIdent(b, o.Stream)
	b = binary.LittleEndian.AppendUint32(b, o.Partitions)
	b = binary.LittleEndian.AppendUint32(b, o.Shards)
	b = appendStr8(b, o.Name)
	return o.Options.appendOp(b)
}

func (o UpdateTopic) appendBody(b []byte) []byte {
	b = appendStr8(appendIdent(appendIdent(b, o.Stream), o.Topic), o.Name)
	return o.Options.appendOp(b)
}

func (o DeleteTopic) appendBody(b []byte) []byte {
	return appendIdent(appendIdent(b, o.Stream), o.Topic)
}
func (o PurgeTopic) appendBody(b []byte) []byte {
	return appendIdent(appendIdent(b, o.Stream), o.Topic)
}

func (o CreatePartitions) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, o.Timestamp)
	b = appendIdent(appendIdent(b, o.Stream), o.Topic)
	b = binary.LittleEndian.AppendUint32(b, o.Count)
	return binary.LittleEndian.AppendUint32(b, o.Shards)
}

func (o DeletePartitions) appendBody(b []byte) []byte {
	b = appendIdent(appendIdent(b, o.Stream), o.Topic)
	return binary.LittleEndian.AppendUint32(b, o.Count)
}

func (o CreateConsumerGroup) appendBody(b []byte) []byte {
	return appendStr8(appendIdent(appendIdent(b, o.Stream), o.Topic), o.Name)
}

func (o DeleteConsumerGroup) appendBody(b []byte) []byte {
	return appendIdent(appendIdent(appendIdent(b, o.Stream), o.Topic), o.Group)
}

func (o JoinConsumerGroup) appendBody(b []byte) []byte {
	return appendClient(appendIdent(appendIdent(appendIdent(b, o.Stream), o.Topic), o.Group), o.Client)
}

func (o LeaveConsumerGroup) appendBody(b []byte) []byte {
	return appendClient(appendIdent(appendIdent(appendIdent(b, o.Stream), o.Topic), o.Group), o.Client)
}

// streamDecoders are registered into decoders at init, so this file adds
// its kinds without editing the users' table.
var streamDecoders = map[Kind]func(d *decoder) Op{
	KindCreateStream: func(d *decoder) Op { return CreateStream{Timestamp: d.u64(), Name: d.str8()} },
	KindUpdateStream: func(d *decoder) Op { return UpdateStream{Stream: d.ident(), Name: d.str8()} },
	KindDeleteStream: func(d *decoder) Op { return DeleteStream{Stream: d.ident()} },
	KindPurgeStream:  func(d *decoder) Op { return PurgeStream{Stream: d.ident()} },
	KindCreateTopic: func(d *decoder) Op {
		return CreateTopic{Timestamp: d.u64(), Stream: d.ident(), Partitions: d.u32(), Shards: d.u32(),
			Name: d.str8(), Options: d.topicOptions()}
	},
	KindUpdateTopic: func(d *decoder) Op {
		return UpdateTopic{Stream: d.ident(), Topic: d.ident(), Name: d.str8(), Options: d.topicOptions()}
	},
	KindDeleteTopic: func(d *decoder) Op { return DeleteTopic{Stream: d.ident(), Topic: d.ident()} },
	KindPurgeTopic:  func(d *decoder) Op { return PurgeTopic{Stream: d.ident(), Topic: d.ident()} },
	KindCreatePartitions: func(d *decoder) Op {
		return CreatePartitions{Timestamp: d.u64(), Stream: d.ident(), Topic: d.ident(), Count: d.u32(), Shards: d.u32()}
	},
	KindDeletePartitions: func(d *decoder) Op {
		return DeletePartitions{Stream: d.ident(), Topic: d.ident(), Count: d.u32()}
	},
	KindCreateConsumerGroup: func(d *decoder) Op {
		return CreateConsumerGroup{Stream: d.ident(), Topic: d.ident(), Name: d.str8()}
	},
	KindDeleteConsumerGroup: func(d *decoder) Op {
		return DeleteConsumerGroup{Stream: d.ident(), Topic: d.ident(), Group: d.ident()}
	},
	KindJoinConsumerGroup: func(d *decoder) Op {
		return JoinConsumerGroup{Stream: d.ident(), Topic: d.ident(), Group: d.ident(), Client: d.client()}
	},
	KindLeaveConsumerGroup: func(d *decoder) Op {
		return LeaveConsumerGroup{Stream: d.ident(), Topic: d.ident(), Group: d.ident(), Client: d.client()}
	},
}

func init() { maps.Copy(decoders, streamDecoders) }

// appendIdent encodes an identifier as the wire does: [kind u8][len u8][value].
func appendIdent(b []byte, id wire.Identifier) []byte {
	if id.Kind == wire.IdentifierString && (len(id.Name) == 0 || len(id.Name) > 255) {
		panic("metadata: identifier name of invalid length") // decoders bound names
	}
	return id.Append(b)
}

func appendClient(b []byte, c wire.ClientID) []byte {
	b = binary.LittleEndian.AppendUint64(b, c.Lo)
	return binary.LittleEndian.AppendUint64(b, c.Hi)
}

// ident reads an identifier; the name is copied.
func (d *decoder) ident() wire.Identifier {
	kind, n := wire.IdentifierKind(d.u8()), int(d.u8())
	switch {
	case d.err != nil:
	case kind == wire.IdentifierNumeric && n == 4:
		return wire.NumericID(d.u32())
	case kind == wire.IdentifierString && n > 0:
		if p := d.take(n); d.err == nil {
			if !validIdentName(p) {
				d.fail("identifier name is not UTF-8")
			}
			return wire.Identifier{Kind: kind, Name: append([]byte(nil), p...)}
		}
	default:
		d.fail("identifier kind %d length %d", kind, n)
	}
	return wire.Identifier{}
}

func (d *decoder) client() wire.ClientID { return wire.ClientID{Lo: d.u64(), Hi: d.u64()} }
