package metadata

import (
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// Views of the state for replies: the plain values of the wire package
// (wire.StreamInfo, wire.TopicDetails, wire.GroupDetails, wire.UserInfo,
// ...) that the server encodes (wire.md §3.2, §3.6, §3.11) and an HTTP
// front end can render as they are. Lists are by id; a result-framed reply
// (CreateStream, CreateTopic, CreateConsumerGroup) puts
// wire.AppendResultOK before the encoded payload.

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

func (s *State) streamInfo(st *Stream, stats StatsFunc) wire.StreamInfo {
	var size, messages uint64
	for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
		ts, tm := stats.topic(st.topics[tid])
		size += ts
		messages += tm
	}
	return wire.StreamInfo{ID: st.ID, CreatedAt: st.CreatedAt, TopicsCount: uint32(len(st.topics)), Size: size,
		Messages: messages, Name: st.Name}
}

// StreamInfo returns stream id as CreateStream's reply describes it; ok is
// false if there is no such stream.
func (s *State) StreamInfo(id uint32, stats StatsFunc) (wire.StreamInfo, bool) {
	st, _ := s.streams.stream(wire.NumericID(id))
	if st == nil {
		return wire.StreamInfo{}, false
	}
	return s.streamInfo(st, stats), true
}

// StreamDetails returns GetStream's reply: the stream and its topics. ok
// is false if the stream does not exist (the reply is then empty).
func (s *State) StreamDetails(stream wire.Identifier, stats StatsFunc) (wire.StreamDetails, bool) {
	st, _ := s.streams.stream(stream)
	if st == nil {
		return wire.StreamDetails{}, false
	}
	d := wire.StreamDetails{StreamInfo: s.streamInfo(st, stats), Topics: make([]wire.TopicInfo, 0, len(st.topics))}
	for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
		d.Topics = append(d.Topics, topicInfo(st.topics[tid], stats))
	}
	return d, true
}

// StreamList returns GetStreams' reply: every stream.
func (s *State) StreamList(stats StatsFunc) []wire.StreamInfo {
	t := &s.streams
	out := make([]wire.StreamInfo, 0, len(t.streams))
	for _, sid := range slices.Sorted(maps.Keys(t.streams)) {
		out = append(out, s.streamInfo(t.streams[sid], stats))
	}
	return out
}

// optionEntries returns the TLV entries of a topic's explicit and derived
// options blocks, in one allocation (the whole catalog fits in 1 KiB).
func optionEntries(o TopicOptions) (explicit, derived []byte) {
	b := o.AppendOptionsBlock(make([]byte, 0, 1024), true)
	n := len(b)
	b = o.AppendOptionsBlock(b, false)
	return b[4:n:n], b[n+4:]
}

func topicInfo(tp *Topic, stats StatsFunc) wire.TopicInfo {
	r := tp.Options.Resolved()
	size, messages := stats.topic(tp)
	explicit, derived := optionEntries(tp.Options)
	return wire.TopicInfo{ID: tp.ID, CreatedAt: tp.CreatedAt, PartitionsCount: uint32(len(tp.Partitions)),
		MessageExpiry: r.MessageExpiry, Compression: r.Compression, MaxTopicSize: r.MaxTopicSize, Size: size,
		Messages: messages, Name: tp.Name, Options: explicit, DerivedOptions: derived}
}

// TopicDetails returns GetTopic's reply (also CreateTopic's reply
// payload): the topic and its partitions. ok is false if the stream or
// topic does not exist.
func (s *State) TopicDetails(stream, topic wire.Identifier, stats StatsFunc) (wire.TopicDetails, bool) {
	tp, _ := s.streams.topic(stream, topic)
	if tp == nil {
		return wire.TopicDetails{}, false
	}
	d := wire.TopicDetails{TopicInfo: topicInfo(tp, stats), Partitions: make([]wire.PartitionInfo, len(tp.Partitions))}
	for i, p := range tp.Partitions {
		st := stats.get(tp.Stream, tp.ID, p.ID)
		d.Partitions[i] = wire.PartitionInfo{ID: p.ID, CreatedAt: p.CreatedAt, SegmentsCount: st.Segments,
			CurrentOffset: st.CurrentOffset, Size: st.SizeBytes, Messages: st.Messages}
	}
	return d, true
}

// TopicList returns GetTopics' reply: the stream's topics;
// StatusStreamIdNotFound (or its name twin) if there is no such stream.
func (s *State) TopicList(stream wire.Identifier, stats StatsFunc) ([]wire.TopicInfo, wire.Status) {
	st, status := s.streams.stream(stream)
	if st == nil {
		return nil, status
	}
	out := make([]wire.TopicInfo, 0, len(st.topics))
	for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
		out = append(out, topicInfo(st.topics[tid], stats))
	}
	return out, wire.StatusOK
}

func groupInfo(tp *Topic, g *Group) wire.GroupInfo {
	return wire.GroupInfo{ID: g.ID, PartitionsCount: uint32(len(tp.Partitions)), MembersCount: uint32(len(g.Members)), Name: g.Name}
}

// GroupDetails returns a group with its members and their partitions,
// GetConsumerGroup's reply. CreateConsumerGroup's reply payload is the
// same for a group with no members: never empty (wire.md §3.12-1). ok is
// false if the group is not found.
func (s *State) GroupDetails(stream, topic, group wire.Identifier) (wire.GroupDetails, bool) {
	tp, g, _ := s.streams.group(stream, topic, group)
	if g == nil {
		return wire.GroupDetails{}, false
	}
	d := wire.GroupDetails{GroupInfo: groupInfo(tp, g), Members: make([]wire.GroupMember, len(g.Members))}
	for i, m := range g.Members {
		d.Members[i] = wire.GroupMember{ID: m.ID, Partitions: slices.Clone(m.Partitions)}
	}
	return d, true
}

// GroupList returns GetConsumerGroups' reply: the topic's groups; the
// status of the level not found otherwise.
func (s *State) GroupList(stream, topic wire.Identifier) ([]wire.GroupInfo, wire.Status) {
	tp, status := s.streams.topic(stream, topic)
	if tp == nil {
		return nil, status
	}
	out := make([]wire.GroupInfo, 0, len(tp.groups))
	for _, gid := range slices.Sorted(maps.Keys(tp.groups)) {
		out = append(out, groupInfo(tp, tp.groups[gid]))
	}
	return out, wire.StatusOK
}

// GroupAssignment returns SyncGroup's reply for client: the generation and
// its partitions. member is false if client is not a member (the reply is
// then empty, and the SDK joins); a missing group is its status.
func (s *State) GroupAssignment(stream, topic, group wire.Identifier, client wire.ClientID) (a wire.GroupAssignment, member bool, st wire.Status) {
	gen, parts, ok, status := s.Assignment(stream, topic, group, client)
	if status != wire.StatusOK || !ok {
		return a, false, status
	}
	return wire.GroupAssignment{Generation: gen, Partitions: slices.Clone(parts)}, true, wire.StatusOK
}

// Info returns u as GetUsers lists it.
func (u *User) Info() wire.UserInfo {
	return wire.UserInfo{ID: u.ID, CreatedAt: u.CreatedAt, Status: u.Status, Username: u.Username}
}

// Details returns u with its permissions, GetUser's and CreateUser's
// reply.
func (u *User) Details() wire.UserDetails {
	return wire.UserDetails{UserInfo: u.Info(), Permissions: u.Permissions}
}

// UserList returns GetUsers' reply: every user.
func (s *State) UserList() []wire.UserInfo {
	users := s.Users()
	out := make([]wire.UserInfo, len(users))
	for i := range users {
		out[i] = users[i].Info()
	}
	return out
}

// TokenList returns GetPersonalAccessTokens' reply for user: its tokens.
func (s *State) TokenList(user uint32) []wire.TokenInfo {
	tokens := s.Tokens(user)
	out := make([]wire.TokenInfo, len(tokens))
	for i, t := range tokens {
		out[i] = wire.TokenInfo{Name: t.Name, ExpiryAt: t.ExpiryAt}
	}
	return out
}
