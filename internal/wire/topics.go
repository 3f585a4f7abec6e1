package wire

import "encoding/binary"

// Topic, partition and segment requests (wire.md §3.2); see streams.go for
// what their decoders share.

// MaxPartitionsPerRequest bounds a CreatePartitions or DeletePartitions
// count, and a new topic's partitions, as Iggy does.
const MaxPartitionsPerRequest = 1000

// CreateTopic is the body of CreateTopic (operation 132, code 302):
//
//	[stream Identifier][partitions_count u32][name_len u8][name][options TLV...]
//
// metadata.CreateTopicOp parses the options against the catalog and
// applies the create-time bounds.
type CreateTopic struct {
	Stream     Identifier
	Partitions uint32
	Name       string
	Options    []byte // raw TLV entries; nil when there are none
}

// Append appends the encoding of c to dst.
func (c *CreateTopic) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(c.Stream.Append(dst), c.Partitions)
	return append(appendStr8(dst, c.Name), c.Options...)
}

// Decode reads c from b.
func (c *CreateTopic) Decode(b []byte) Status {
	r := NewBodyReader(b)
	c.Stream = r.Identifier()
	c.Partitions = r.U32()
	c.Name = r.Name()
	c.Options = r.options()
	return r.Status()
}

// UpdateTopic is the body of UpdateTopic (operation 133, code 304):
//
//	[stream Identifier][topic Identifier][name_len u8][name][options TLV...]
//
// metadata.UpdateTopicOp parses the options, which an update limits to
// the updatable keys.
type UpdateTopic struct {
	Stream, Topic Identifier
	Name          string
	Options       []byte // raw TLV entries; nil when there are none
}

// Append appends the encoding of u to dst.
func (u *UpdateTopic) Append(dst []byte) []byte {
	return append(appendStr8(u.Topic.Append(u.Stream.Append(dst)), u.Name), u.Options...)
}

// Decode reads u from b.
func (u *UpdateTopic) Decode(b []byte) Status {
	r := NewBodyReader(b)
	u.Stream, u.Topic = r.Identifier(), r.Identifier()
	u.Name = r.Name()
	u.Options = r.options()
	return r.Status()
}

// TopicRequest is [stream Identifier][topic Identifier]: the body of
// DeleteTopic, PurgeTopic, GetTopic and GetConsumerGroups.
type TopicRequest struct{ Stream, Topic Identifier }

// Append appends the encoding of t to dst.
func (t *TopicRequest) Append(dst []byte) []byte { return t.Topic.Append(t.Stream.Append(dst)) }

// Decode reads t from b.
func (t *TopicRequest) Decode(b []byte) Status {
	r := NewBodyReader(b)
	t.Stream, t.Topic = r.Identifier(), r.Identifier()
	return r.Status()
}

// PartitionsRequest is [stream Identifier][topic Identifier][count u32]:
// the body of CreatePartitions (operation 136) and DeletePartitions (137).
type PartitionsRequest struct {
	Stream, Topic Identifier
	Count         uint32
}

// Append appends the encoding of p to dst.
func (p *PartitionsRequest) Append(dst []byte) []byte {
	return binary.LittleEndian.AppendUint32(p.Topic.Append(p.Stream.Append(dst)), p.Count)
}

// Decode reads p from b; a count of 0 or above MaxPartitionsPerRequest is
// StatusTooManyPartitions, as Iggy answers before consensus.
func (p *PartitionsRequest) Decode(b []byte) Status {
	r := NewBodyReader(b)
	p.Stream, p.Topic, p.Count = r.Identifier(), r.Identifier(), r.U32()
	if r.err != nil {
		return StatusInvalidCommand
	}
	if p.Count == 0 || p.Count > MaxPartitionsPerRequest {
		return StatusTooManyPartitions
	}
	return StatusOK
}

// DeleteSegments is the body of DeleteSegments (operation 138, code 503):
//
//	[stream Identifier][topic Identifier][partition_id u32][segments_count u32]
type DeleteSegments struct {
	Stream, Topic Identifier
	Partition     uint32
	Count         uint32
}

// Append appends the encoding of d to dst.
func (d *DeleteSegments) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(d.Topic.Append(d.Stream.Append(dst)), d.Partition)
	return binary.LittleEndian.AppendUint32(dst, d.Count)
}

// Decode reads d from b.
func (d *DeleteSegments) Decode(b []byte) Status {
	r := NewBodyReader(b)
	d.Stream, d.Topic = r.Identifier(), r.Identifier()
	d.Partition, d.Count = r.U32(), r.U32()
	return r.Status()
}
