package metadata

import (
	"encoding/binary"
	"maps"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/shoal-io/shoal/internal/wire"
)

// Limits on ids: Iggy packs (stream, topic, partition) into 20/12/20 bits.
const (
	MaxStreams            = 1 << 20
	MaxTopicsPerStream    = 1 << 12
	MaxPartitionsPerTopic = 1 << 20
	maxGroupsPerTopic     = 1 << 20
	maxMembersPerGroup    = 1 << 16
	maxNameLen            = 255
	defaultShards         = 1
)

// Stream is a stream as the state machine holds it.
type Stream struct {
	ID        uint32
	Name      string
	CreatedAt uint64 // µs, from the CreateStream operation
	topics    map[uint32]*Topic
	topicIDs  map[string]uint32 // by name
}

// Topic is a topic. Partition ids are 0..len(Partitions)-1.
type Topic struct {
	ID         uint32
	Stream     uint32
	Name       string
	CreatedAt  uint64
	Options    TopicOptions // as created: Explicit and the client's values
	Partitions []Partition
	groups     map[uint32]*Group
	groupIDs   map[string]uint32
	nextGroup  uint32 // Invariant: > every group id; ids are not reused
}

// Partition is a partition and the shard that owns it.
type Partition struct {
	ID        uint32
	CreatedAt uint64
	Shard     uint32
}

// streamTable holds every stream (the State's part for issue 7).
//
// Invariants, checked by the package tests:
//  1. byName[st.Name] == st.ID for every stream, nothing else in byName;
//     the same for topicIDs and groupIDs one level down.
//  2. Topic.Partitions[i].ID == i.
//  3. A group's members hold disjoint partition ids below the partition
//     count.
type streamTable struct {
	streams   map[uint32]*Stream
	byName    map[string]uint32
	nextShard uint64 // round-robin cursor for partition placement
}

// init makes the maps; only the apply path calls it, so reads (under a
// read lock) never write.
func (t *streamTable) init() {
	if t.streams == nil {
		t.streams = map[uint32]*Stream{}
		t.byName = map[string]uint32{}
	}
}

// validName reports whether name may name a new stream, topic, consumer
// group or personal access token: 1..255 bytes of UTF-8 (Iggy's WireName)
// with no control character (Unicode Cc: C0, DEL and C1), so NUL, line
// breaks and terminal escapes never reach names, listings or logs (issue
// #15 item 14). Iggy's server checks the length only; its status for each
// kind (InvalidStreamName, ...) is kept.
func validName(name string) bool {
	return len(name) > 0 && len(name) <= maxNameLen && utf8.ValidString(name) && !hasControl(name)
}

// hasControl reports whether s holds a control character (Unicode Cc).
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// validIdentName reports whether b may be the name in an identifier of an
// operation: 1..255 bytes of UTF-8. It stays looser than validName so a
// journaled operation decodes the same on every replay; a name that
// validName refuses is simply never found.
func validIdentName(b []byte) bool { return len(b) > 0 && len(b) <= maxNameLen && utf8.Valid(b) }

// lowestFree returns the smallest id not in m.
func lowestFree[V any](m map[uint32]V) uint32 {
	for id := uint32(0); ; id++ {
		if _, ok := m[id]; !ok {
			return id
		}
	}
}

// Stream resolution errors, as Iggy answers them (wire.md §3.4, §3.11).
func (t *streamTable) stream(id wire.Identifier) (*Stream, wire.Status) {
	var sid uint32
	var ok bool
	if id.Kind == wire.IdentifierString {
		sid, ok = t.byName[string(id.Name)]
	} else {
		sid, ok = id.ID, true
	}
	st := t.streams[sid]
	if !ok || st == nil {
		return nil, wire.StatusStreamIdNotFound
	}
	return st, wire.StatusOK
}

func (t *streamTable) topic(stream, topic wire.Identifier) (*Topic, wire.Status) {
	st, status := t.stream(stream)
	if st == nil {
		return nil, status
	}
	var tid uint32
	var ok bool
	if topic.Kind == wire.IdentifierString {
		tid, ok = st.topicIDs[string(topic.Name)]
	} else {
		tid, ok = topic.ID, true
	}
	tp := st.topics[tid]
	if !ok || tp == nil {
		return nil, wire.StatusTopicIdNotFound
	}
	return tp, wire.StatusOK
}

func (t *streamTable) group(stream, topic, group wire.Identifier) (*Topic, *Group, wire.Status) {
	tp, status := t.topic(stream, topic)
	if tp == nil {
		return nil, nil, status
	}
	var gid uint32
	var ok bool
	if group.Kind == wire.IdentifierString {
		gid, ok = tp.groupIDs[string(group.Name)]
	} else {
		gid, ok = group.ID, true
	}
	g := tp.groups[gid]
	if !ok || g == nil {
		return tp, nil, wire.StatusConsumerGroupIdNotFound
	}
	return tp, g, wire.StatusOK
}

// place returns the shards of n new partitions, round robin.
func (t *streamTable) place(n, shards uint32) []uint32 {
	if shards == 0 {
		shards = defaultShards
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(t.nextShard % uint64(shards))
		t.nextShard++
	}
	return out
}

// checkStreams is Check for the operations of this file and groups.go.
func (s *State) checkStreams(o Op) Result {
	t := &s.streams
	fail := func(st wire.Status) Result { return Result{Status: st} }
	switch o := o.(type) {
	case CreateStream:
		_, taken := t.byName[o.Name]
		switch {
		case !validName(o.Name):
			return fail(wire.StatusInvalidStreamName)
		case taken:
			return fail(wire.StatusStreamNameAlreadyExists)
		case len(t.streams) >= MaxStreams:
			return fail(wire.StatusTooManyStreams)
		}
	case UpdateStream:
		stream, st := t.stream(o.Stream)
		if stream == nil {
			return fail(st)
		}
		other, taken := t.byName[o.Name]
		switch {
		case !validName(o.Name):
			return fail(wire.StatusInvalidStreamName)
		case taken && other != stream.ID:
			return fail(wire.StatusStreamNameAlreadyExists)
		}
	case DeleteStream:
		_, st := t.stream(o.Stream)
		return fail(st)
	case PurgeStream:
		_, st := t.stream(o.Stream)
		return fail(st)
	case CreateTopic:
		if st := validateTopic(o.Partitions, o.Options); st != wire.StatusOK {
			return fail(st)
		}
		stream, st := t.stream(o.Stream)
		switch {
		case stream == nil:
			return fail(st)
		case !validName(o.Name):
			return fail(wire.StatusInvalidTopicName)
		}
		if _, taken := stream.topicIDs[o.Name]; taken {
			return fail(wire.StatusTopicNameAlreadyExists)
		}
		if len(stream.topics) >= MaxTopicsPerStream {
			return fail(wire.StatusTooManyTopics)
		}
	case UpdateTopic:
		tp, st := t.topic(o.Stream, o.Topic)
		if tp == nil {
			return fail(st)
		}
		if st := validateTopicUpdate(tp.Options, o.Options); st != wire.StatusOK {
			return fail(st)
		}
		other, taken := t.streams[tp.Stream].topicIDs[o.Name]
		switch {
		case !validName(o.Name):
			return fail(wire.StatusInvalidTopicName)
		case taken && other != tp.ID:
			return fail(wire.StatusTopicNameAlreadyExists)
		}
	case DeleteTopic:
		_, st := t.topic(o.Stream, o.Topic)
		return fail(st)
	case PurgeTopic:
		_, st := t.topic(o.Stream, o.Topic)
		return fail(st)
	case CreatePartitions:
		if o.Count == 0 || o.Count > MaxPartitionsPerRequest {
			return fail(wire.StatusTooManyPartitions)
		}
		tp, st := t.topic(o.Stream, o.Topic)
		if tp == nil {
			return fail(st)
		}
		if uint64(len(tp.Partitions))+uint64(o.Count) > MaxPartitionsPerTopic {
			return fail(wire.StatusTooManyPartitions)
		}
	case DeletePartitions:
		if o.Count == 0 || o.Count > MaxPartitionsPerRequest {
			return fail(wire.StatusTooManyPartitions)
		}
		tp, st := t.topic(o.Stream, o.Topic)
		if tp == nil {
			return fail(st)
		}
		if int(o.Count) > len(tp.Partitions) {
			return fail(wire.StatusInvalidPartitionsCount)
		}
	case CreateConsumerGroup, DeleteConsumerGroup, JoinConsumerGroup, LeaveConsumerGroup:
		return s.checkGroup(o)
	default:
		return fail(wire.StatusFeatureUnavailable)
	}
	return Result{}
}

// applyStreams applies an operation checkStreams accepted.
func (s *State) applyStreams(o Op) Result {
	t := &s.streams
	t.init()
	switch o := o.(type) {
	case CreateStream:
		id := lowestFree(t.streams)
		t.streams[id] = &Stream{ID: id, Name: o.Name, CreatedAt: o.Timestamp,
			topics: map[uint32]*Topic{}, topicIDs: map[string]uint32{}}
		t.byName[o.Name] = id
		return Result{ID: id}
	case UpdateStream:
		st, _ := t.stream(o.Stream)
		delete(t.byName, st.Name)
		st.Name = o.Name
		t.byName[st.Name] = st.ID
	case DeleteStream:
		st, _ := t.stream(o.Stream)
		r := Result{Effects: st.effects(EffectDropPartitions)}
		delete(t.byName, st.Name)
		delete(t.streams, st.ID)
		return r
	case PurgeStream:
		// Partition data only; see the operation's doc.
		st, _ := t.stream(o.Stream)
		return Result{Effects: st.effects(EffectPurgePartitions)}
	case PurgeTopic:
		tp, _ := t.topic(o.Stream, o.Topic)
		return Result{Effects: []Effect{{Kind: EffectPurgePartitions, Topic: tp.info()}}}
	case CreateTopic:
		stream, _ := t.stream(o.Stream)
		id := lowestFree(stream.topics)
		tp := &Topic{ID: id, Stream: stream.ID, Name: o.Name, CreatedAt: o.Timestamp, Options: o.Options,
			groups: map[uint32]*Group{}, groupIDs: map[string]uint32{}}
		for i, shard := range t.place(o.Partitions, o.Shards) {
			tp.Partitions = append(tp.Partitions, Partition{ID: uint32(i), CreatedAt: o.Timestamp, Shard: shard})
		}
		stream.topics[id] = tp
		stream.topicIDs[o.Name] = id
		return Result{ID: id, Effects: []Effect{{Kind: EffectCreatePartitions, Topic: tp.info()}}}
	case UpdateTopic:
		tp, _ := t.topic(o.Stream, o.Topic)
		stream := t.streams[tp.Stream]
		delete(stream.topicIDs, tp.Name)
		tp.Name = o.Name
		stream.topicIDs[tp.Name] = tp.ID
		for opt := range numTopicOptions {
			if o.Options.Has(opt) {
				tp.Options.Explicit |= 1 << opt
				tp.Options.set(opt, o.Options)
			}
		}
	case DeleteTopic:
		tp, _ := t.topic(o.Stream, o.Topic)
		stream := t.streams[tp.Stream]
		r := Result{Effects: []Effect{{Kind: EffectDropPartitions, Topic: tp.info()}}}
		delete(stream.topicIDs, tp.Name)
		delete(stream.topics, tp.ID)
		return r
	case CreatePartitions:
		tp, _ := t.topic(o.Stream, o.Topic)
		from := len(tp.Partitions)
		for _, shard := range t.place(o.Count, o.Shards) {
			tp.Partitions = append(tp.Partitions, Partition{ID: uint32(len(tp.Partitions)), CreatedAt: o.Timestamp, Shard: shard})
		}
		tp.rebalanceGroups()
		return Result{Effects: []Effect{{Kind: EffectCreatePartitions, Topic: tp.info(), From: from}}}
	case DeletePartitions:
		tp, _ := t.topic(o.Stream, o.Topic)
		r := Result{Effects: []Effect{{Kind: EffectDropPartitions, Topic: tp.info(), From: len(tp.Partitions) - int(o.Count)}}}
		tp.Partitions = tp.Partitions[:len(tp.Partitions)-int(o.Count)]
		tp.rebalanceGroups()
		return r
	case CreateConsumerGroup, DeleteConsumerGroup, JoinConsumerGroup, LeaveConsumerGroup:
		return s.applyGroup(o)
	default:
		panic("metadata: applyStreams of an unchecked operation")
	}
	return Result{}
}

// appendStreams appends the stream table to a digest encoding.
func (s *State) appendStreams(b []byte) []byte {
	t := &s.streams
	b = binary.LittleEndian.AppendUint64(b, t.nextShard)
	for _, sid := range slices.Sorted(maps.Keys(t.streams)) {
		st := t.streams[sid]
		b = binary.LittleEndian.AppendUint32(b, st.ID)
		b = AppendOp(b, CreateStream{Timestamp: st.CreatedAt, Name: st.Name})
		for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
			tp := st.topics[tid]
			b = binary.LittleEndian.AppendUint32(b, tp.ID)
			b = AppendOp(b, CreateTopic{Timestamp: tp.CreatedAt, Stream: wire.NumericID(st.ID), Name: tp.Name, Options: tp.Options})
			for _, p := range tp.Partitions {
				b = binary.LittleEndian.AppendUint32(b, p.ID)
				b = binary.LittleEndian.AppendUint64(b, p.CreatedAt)
				b = binary.LittleEndian.AppendUint32(b, p.Shard)
			}
			b = binary.LittleEndian.AppendUint32(b, tp.nextGroup)
			for _, gid := range slices.Sorted(maps.Keys(tp.groups)) {
				b = tp.groups[gid].appendDigest(b)
			}
		}
	}
	return b
}

// StreamCount returns the number of streams.
func (s *State) StreamCount() int { return len(s.streams.streams) }

// ResolveStream returns the id of the stream id names, or
// StatusStreamIdNotFound.
func (s *State) ResolveStream(id wire.Identifier) (uint32, wire.Status) {
	st, status := s.streams.stream(id)
	if st == nil {
		return 0, status
	}
	return st.ID, wire.StatusOK
}

// TopicInfo describes a topic for the server: where its partitions live
// and how they store (Options resolved to their defaults).
type TopicInfo struct {
	Stream, ID uint32
	Name       string
	Options    TopicOptions // Resolved
	// Partitions aliases the state's own slice, so resolving a topic on
	// the data path copies nothing: a committed State is never modified
	// (cow.go), so neither is this. Callers must not modify it.
	Partitions []Partition
}

// ResolveTopic returns the topic stream/topic names, or the status of the
// first level not found (StatusStreamIdNotFound, StatusTopicIdNotFound).
func (s *State) ResolveTopic(stream, topic wire.Identifier) (TopicInfo, wire.Status) {
	tp, status := s.streams.topic(stream, topic)
	if tp == nil {
		return TopicInfo{}, status
	}
	return tp.info(), wire.StatusOK
}

func (tp *Topic) info() TopicInfo {
	return TopicInfo{Stream: tp.Stream, ID: tp.ID, Name: tp.Name, Options: tp.Options.Resolved(), Partitions: tp.Partitions}
}

// Topics calls fn for every topic, in stream then topic id order (the
// server opens every partition at boot).
func (s *State) Topics(fn func(TopicInfo)) {
	t := &s.streams
	for _, sid := range slices.Sorted(maps.Keys(t.streams)) {
		st := t.streams[sid]
		for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
			fn(st.topics[tid].info())
		}
	}
}
