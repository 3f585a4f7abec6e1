package metadata

import (
	"encoding/binary"
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// Reply bodies the SDK decodes for streams, topics, partitions and
// consumer groups (wire.md §3.2, §3.6, §3.11). They are payloads: a
// result-framed reply (CreateStream, CreateTopic, CreateConsumerGroup)
// puts wire.AppendResultOK before them; reads send them as they are.
//
//	StreamResponse    [id u32][created_at u64][topics_count u32][size_bytes u64]
//	                  [messages_count u64][name_len u8][name][options_len u32 = 0]
//	TopicHeader       [id u32][created_at u64][partitions_count u32][message_expiry u64]
//	                  [compression u8][max_topic_size u64][size_bytes u64][messages_count u64]
//	                  [name_len u8][name][explicit_len u32][explicit TLV][derived_len u32][derived TLV]
//	PartitionResponse [id u32][created_at u64][segments_count u32][current_offset u64]
//	                  [size_bytes u64][messages_count u64]
//	GroupHeader       [id u32][partitions_count u32][members_count u32][name_len u8][name]
//	GroupMember       [id u32][partitions_count u32][partition u32 × count]
//	SyncGroup         [generation u64][count u32][partition u32 × count]

// PartitionStats are a partition's counters, which its owning shard
// knows and the metadata does not.
type PartitionStats struct {
	Segments      uint32
	CurrentOffset uint64
	SizeBytes     uint64
	Messages      uint64
}

// StatsFunc returns a partition's counters; a nil StatsFunc reports zeros.
type StatsFunc func(stream, topic, partition uint32) PartitionStats

func (f StatsFunc) get(stream, topic, partition uint32) PartitionStats {
	if f == nil {
		return PartitionStats{}
	}
	return f(stream, topic, partition)
}

func (f StatsFunc) topic(tp *Topic) (size, messages uint64) {
	for _, p := range tp.Partitions {
		st := f.get(tp.Stream, tp.ID, p.ID)
		size += st.SizeBytes
		messages += st.Messages
	}
	return size, messages
}

func appendName(b []byte, name string) []byte { return append(append(b, byte(len(name))), name...) }

func (s *State) appendStream(dst []byte, st *Stream, stats StatsFunc) []byte {
	var size, messages uint64
	for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
		ts, tm := stats.topic(st.topics[tid])
		size += ts
		messages += tm
	}
	dst = binary.LittleEndian.AppendUint32(dst, st.ID)
	dst = binary.LittleEndian.AppendUint64(dst, st.CreatedAt)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(st.topics)))
	dst = binary.LittleEndian.AppendUint64(dst, size)
	dst = binary.LittleEndian.AppendUint64(dst, messages)
	dst = appendName(dst, st.Name)
	return binary.LittleEndian.AppendUint32(dst, 0) // streams have no options
}

// AppendStream appends the StreamResponse of stream id (CreateStream's
// reply payload); ok is false if there is no such stream.
func (s *State) AppendStream(dst []byte, id uint32, stats StatsFunc) ([]byte, bool) {
	st, _ := s.streams.stream(wire.NumericID(id))
	if st == nil {
		return dst, false
	}
	return s.appendStream(dst, st, stats), true
}

// AppendGetStream appends a GetStream reply: the StreamResponse and a
// TopicHeader per topic, by id. ok is false if the stream does not exist
// (the reply is then empty).
func (s *State) AppendGetStream(dst []byte, stream wire.Identifier, stats StatsFunc) ([]byte, bool) {
	st, _ := s.streams.stream(stream)
	if st == nil {
		return dst, false
	}
	dst = s.appendStream(dst, st, stats)
	for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
		dst = appendTopicHeader(dst, st.topics[tid], stats)
	}
	return dst, true
}

// AppendGetStreams appends a GetStreams reply: every StreamResponse by id,
// with no count.
func (s *State) AppendGetStreams(dst []byte, stats StatsFunc) []byte {
	t := &s.streams
	for _, sid := range slices.Sorted(maps.Keys(t.streams)) {
		dst = s.appendStream(dst, t.streams[sid], stats)
	}
	return dst
}

func appendTopicHeader(dst []byte, tp *Topic, stats StatsFunc) []byte {
	r := tp.Options.Resolved()
	size, messages := stats.topic(tp)
	dst = binary.LittleEndian.AppendUint32(dst, tp.ID)
	dst = binary.LittleEndian.AppendUint64(dst, tp.CreatedAt)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(tp.Partitions)))
	dst = binary.LittleEndian.AppendUint64(dst, r.MessageExpiry)
	dst = append(dst, r.Compression)
	dst = binary.LittleEndian.AppendUint64(dst, r.MaxTopicSize)
	dst = binary.LittleEndian.AppendUint64(dst, size)
	dst = binary.LittleEndian.AppendUint64(dst, messages)
	dst = appendName(dst, tp.Name)
	dst = tp.Options.AppendOptionsBlock(dst, true)
	return tp.Options.AppendOptionsBlock(dst, false)
}

// AppendGetTopic appends a GetTopic reply (also CreateTopic's reply
// payload): the TopicHeader and a PartitionResponse per partition. ok is
// false if the stream or topic does not exist.
func (s *State) AppendGetTopic(dst []byte, stream, topic wire.Identifier, stats StatsFunc) ([]byte, bool) {
	tp, _ := s.streams.topic(stream, topic)
	if tp == nil {
		return dst, false
	}
	dst = appendTopicHeader(dst, tp, stats)
	for _, p := range tp.Partitions {
		st := stats.get(tp.Stream, tp.ID, p.ID)
		dst = binary.LittleEndian.AppendUint32(dst, p.ID)
		dst = binary.LittleEndian.AppendUint64(dst, p.CreatedAt)
		dst = binary.LittleEndian.AppendUint32(dst, st.Segments)
		dst = binary.LittleEndian.AppendUint64(dst, st.CurrentOffset)
		dst = binary.LittleEndian.AppendUint64(dst, st.SizeBytes)
		dst = binary.LittleEndian.AppendUint64(dst, st.Messages)
	}
	return dst, true
}

// AppendGetTopics appends a GetTopics reply: [count u32] then a
// TopicHeader per topic, by id; StatusStreamIdNotFound if there is no
// such stream.
func (s *State) AppendGetTopics(dst []byte, stream wire.Identifier, stats StatsFunc) ([]byte, wire.Status) {
	st, status := s.streams.stream(stream)
	if st == nil {
		return dst, status
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(st.topics)))
	for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
		dst = appendTopicHeader(dst, st.topics[tid], stats)
	}
	return dst, wire.StatusOK
}

func appendGroupHeader(dst []byte, tp *Topic, g *Group) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, g.ID)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(tp.Partitions)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(g.Members)))
	return appendName(dst, g.Name)
}

// AppendGroup appends a group's details, GetGroup's reply: the group
// header, then each member with its partitions. CreateConsumerGroup's
// reply payload is the same for a group with no members: never empty
// (wire.md §3.12-1). ok is false if the group is not found.
func (s *State) AppendGroup(dst []byte, stream, topic, group wire.Identifier) ([]byte, bool) {
	tp, g, _ := s.streams.group(stream, topic, group)
	if g == nil {
		return dst, false
	}
	dst = appendGroupHeader(dst, tp, g)
	for _, m := range g.Members {
		dst = binary.LittleEndian.AppendUint32(dst, m.ID)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(m.Partitions)))
		for _, p := range m.Partitions {
			dst = binary.LittleEndian.AppendUint32(dst, p)
		}
	}
	return dst, true
}

// AppendGroups appends a GetGroups reply: every group header of the topic
// by id, with no count; the status of the level not found otherwise.
func (s *State) AppendGroups(dst []byte, stream, topic wire.Identifier) ([]byte, wire.Status) {
	tp, status := s.streams.topic(stream, topic)
	if tp == nil {
		return dst, status
	}
	for _, gid := range slices.Sorted(maps.Keys(tp.groups)) {
		dst = appendGroupHeader(dst, tp, tp.groups[gid])
	}
	return dst, wire.StatusOK
}

// AppendSyncGroup appends a SyncGroup reply for client: [generation u64]
// [count u32][partition u32 × count], or nothing if client is not a member
// (the SDK then joins). A missing group is its status.
func (s *State) AppendSyncGroup(dst []byte, stream, topic, group wire.Identifier, client wire.ClientID) ([]byte, wire.Status) {
	gen, parts, ok, status := s.Assignment(stream, topic, group, client)
	if status != wire.StatusOK || !ok {
		return dst, status
	}
	dst = binary.LittleEndian.AppendUint64(dst, gen)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(parts)))
	for _, p := range parts {
		dst = binary.LittleEndian.AppendUint32(dst, p)
	}
	return dst, wire.StatusOK
}
