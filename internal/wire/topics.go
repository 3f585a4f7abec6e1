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

// TopicInfo is a topic as replies describe it (TopicHeader): an entry of
// GetTopics' and GetStream's replies and the start of GetTopic's.
//
//	[id u32][created_at u64 µs][partitions_count u32][message_expiry u64]
//	[compression u8][max_topic_size u64][size_bytes u64][messages_count u64]
//	[name_len u8][name][explicit_len u32][explicit TLV][derived_len u32][derived TLV]
type TopicInfo struct {
	ID              uint32
	CreatedAt       uint64 // µs since the Unix epoch
	PartitionsCount uint32
	MessageExpiry   uint64 // µs; math.MaxUint64 keeps messages forever
	Compression     uint8  // 1 none, 2 gzip
	MaxTopicSize    uint64 // bytes; math.MaxUint64 means no bound
	Size            uint64
	Messages        uint64
	Name            string
	// Options are the TLV entries of the keys set at creation, in their
	// canonical kinds; DerivedOptions every other catalog key at its
	// default.
	Options, DerivedOptions []byte
}

// topicInfoMin is the size of a TopicInfo with an empty name and blocks.
const topicInfoMin = 58

// Append appends the encoding of t to dst.
func (t *TopicInfo) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(le.AppendUint64(le.AppendUint32(dst, t.ID), t.CreatedAt), t.PartitionsCount)
	dst = append(le.AppendUint64(dst, t.MessageExpiry), t.Compression)
	dst = le.AppendUint64(le.AppendUint64(le.AppendUint64(dst, t.MaxTopicSize), t.Size), t.Messages)
	return appendBlock(appendBlock(appendStr8(dst, t.Name), t.Options), t.DerivedOptions)
}

func (t *TopicInfo) read(r *BodyReader) {
	*t = TopicInfo{ID: r.U32(), CreatedAt: r.U64(), PartitionsCount: r.U32(), MessageExpiry: r.U64(), Compression: r.U8(),
		MaxTopicSize: r.U64(), Size: r.U64(), Messages: r.U64(), Name: r.Str8()}
	t.Options = r.block()
	t.DerivedOptions = r.block()
}

// PartitionInfo is one partition in GetTopic's reply (PartitionResponse):
//
//	[id u32][created_at u64 µs][segments_count u32][current_offset u64][size_bytes u64][messages_count u64]
type PartitionInfo struct {
	ID            uint32
	CreatedAt     uint64
	SegmentsCount uint32
	CurrentOffset uint64
	Size          uint64
	Messages      uint64
}

// partitionInfoSize is a PartitionInfo's size.
const partitionInfoSize = 40

// Append appends the encoding of p to dst.
func (p *PartitionInfo) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(le.AppendUint64(le.AppendUint32(dst, p.ID), p.CreatedAt), p.SegmentsCount)
	return le.AppendUint64(le.AppendUint64(le.AppendUint64(dst, p.CurrentOffset), p.Size), p.Messages)
}

func (p *PartitionInfo) read(r *BodyReader) {
	*p = PartitionInfo{ID: r.U32(), CreatedAt: r.U64(), SegmentsCount: r.U32(), CurrentOffset: r.U64(), Size: r.U64(), Messages: r.U64()}
}

// TopicDetails is GetTopic's reply (code 300), and CreateTopic's reply
// payload: the topic, then a PartitionInfo per partition
// (PartitionsCount of them).
type TopicDetails struct {
	TopicInfo
	Partitions []PartitionInfo
}

// Append appends the encoding of t to dst; PartitionsCount is written as
// set.
func (t *TopicDetails) Append(dst []byte) []byte {
	return appendAll(t.TopicInfo.Append(dst), t.Partitions)
}

// Decode reads t from a whole body.
func (t *TopicDetails) Decode(b []byte) error {
	r := NewBodyReader(b)
	t.TopicInfo.read(&r)
	t.Partitions = readList(&r, t.PartitionsCount, partitionInfoSize, (*PartitionInfo).read)
	return r.End()
}

// AppendTopics appends GetTopics' reply (code 301): [count u32] then every
// TopicInfo.
func AppendTopics(dst []byte, topics []TopicInfo) []byte {
	return appendAll(binary.LittleEndian.AppendUint32(dst, uint32(len(topics))), topics)
}

// DecodeTopics reads GetTopics' reply.
func DecodeTopics(b []byte) ([]TopicInfo, error) {
	r := NewBodyReader(b)
	out := readList(&r, r.U32(), topicInfoMin, (*TopicInfo).read)
	if err := r.End(); err != nil {
		return nil, err
	}
	return out, nil
}
