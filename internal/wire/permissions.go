package wire

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"strconv"
)

// Permissions are a user's grants in Iggy's permissions body:
//
//	global: 10 bools (u8 each) manage_servers, read_servers, manage_users,
//	        read_users, manage_streams, read_streams, manage_topics,
//	        read_topics, poll_messages, send_messages
//	then [has_streams u8], and per stream [stream_id u32][6 bools
//	manage_stream, read_stream, manage_topics, read_topics,
//	poll_messages, send_messages][has_topics u8], per topic
//	[topic_id u32][4 bools manage_topic, read_topic, poll_messages,
//	send_messages][has_more_topics u8], then [has_more_streams u8].
//
// The checks follow Iggy's permissioner rule by rule; the root user is
// not subject to them (the caller checks that first). A user without
// permissions may do nothing the checks guard.
type Permissions struct {
	ManageServers, ReadServers, ManageUsers, ReadUsers   bool
	ManageStreams, ReadStreams, ManageTopics, ReadTopics bool
	PollMessages, SendMessages                           bool
	Streams                                              map[uint32]StreamPermissions
}

// StreamPermissions are one stream's grants.
type StreamPermissions struct {
	ManageStream, ReadStream, ManageTopics, ReadTopics bool
	PollMessages, SendMessages                         bool
	Topics                                             map[uint32]TopicPermissions
}

// TopicPermissions are one topic's grants.
type TopicPermissions struct {
	ManageTopic, ReadTopic, PollMessages, SendMessages bool
}

// UserStatus is a user's status, numbered as Iggy numbers it: active
// users may log in.
type UserStatus uint8

// User statuses.
const (
	UserActive   UserStatus = 1
	UserInactive UserStatus = 2
)

// Valid reports whether s is a known status.
func (s UserStatus) Valid() bool { return s == UserActive || s == UserInactive }

func (s UserStatus) String() string {
	switch s {
	case UserActive:
		return "active"
	case UserInactive:
		return "inactive"
	}
	return "UserStatus(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the status as "active" or "inactive".
func (s UserStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ErrBadPermissions reports a permissions body that does not decode.
var ErrBadPermissions = errors.New("wire: malformed permissions")

// DecodePermissions parses a permissions body; empty means no
// permissions. The whole body must be consumed.
func DecodePermissions(b []byte) (Permissions, error) {
	var p Permissions
	if len(b) == 0 {
		return p, nil
	}
	r := NewBodyReader(b)
	p.ManageServers, p.ReadServers, p.ManageUsers, p.ReadUsers = r.Flag(), r.Flag(), r.Flag(), r.Flag()
	p.ManageStreams, p.ReadStreams, p.ManageTopics, p.ReadTopics = r.Flag(), r.Flag(), r.Flag(), r.Flag()
	p.PollMessages, p.SendMessages = r.Flag(), r.Flag()
	for more := r.Flag(); more && r.err == nil; more = r.Flag() {
		id := r.U32()
		sp := StreamPermissions{ManageStream: r.Flag(), ReadStream: r.Flag(), ManageTopics: r.Flag(), ReadTopics: r.Flag(),
			PollMessages: r.Flag(), SendMessages: r.Flag()}
		for moreTopics := r.Flag(); moreTopics && r.err == nil; moreTopics = r.Flag() {
			tid := r.U32()
			t := TopicPermissions{ManageTopic: r.Flag(), ReadTopic: r.Flag(), PollMessages: r.Flag(), SendMessages: r.Flag()}
			if sp.Topics == nil {
				sp.Topics = map[uint32]TopicPermissions{}
			}
			sp.Topics[tid] = t
		}
		if p.Streams == nil {
			p.Streams = map[uint32]StreamPermissions{}
		}
		p.Streams[id] = sp
	}
	if r.End() != nil {
		return Permissions{}, ErrBadPermissions
	}
	return p, nil
}

// ReadServers: GetStats, GetClients, GetClient, GetSnapshot.
func (p *Permissions) ReadServer() bool { return p.ManageServers || p.ReadServers }

// ReadUser: GetUser and GetUsers of other users.
func (p *Permissions) ReadUser() bool { return p.ManageUsers || p.ReadUsers }

// ManageUser: CreateUser, UpdateUser, DeleteUser, UpdatePermissions and
// another user's ChangePassword.
func (p *Permissions) ManageUser() bool { return p.ManageUsers }

// ReadStreamList: GetStreams.
func (p *Permissions) ReadStreamList() bool { return p.ManageStreams || p.ReadStreams }

// CreateStream: CreateStream.
func (p *Permissions) CreateStream() bool { return p.ManageStreams }

// ReadStream: GetStream.
func (p *Permissions) ReadStream(stream uint32) bool {
	if p.ManageStreams || p.ReadStreams {
		return true
	}
	s, ok := p.Streams[stream]
	return ok && (s.ManageStream || s.ReadStream)
}

// ManageStream: UpdateStream, DeleteStream, PurgeStream.
func (p *Permissions) ManageStream(stream uint32) bool {
	if p.ManageStreams {
		return true
	}
	s, ok := p.Streams[stream]
	return ok && s.ManageStream
}

// ReadTopicList: GetTopics.
func (p *Permissions) ReadTopicList(stream uint32) bool {
	if p.ReadStreams || p.ManageStreams || p.ManageTopics || p.ReadTopics {
		return true
	}
	s, ok := p.Streams[stream]
	return ok && (s.ManageStream || s.ReadStream || s.ManageTopics || s.ReadTopics)
}

// ReadTopic: GetTopic, and every consumer-group request.
func (p *Permissions) ReadTopic(stream, topic uint32) bool {
	if p.ReadTopicList(stream) {
		return true
	}
	t, ok := p.Streams[stream].Topics[topic]
	return ok && (t.ManageTopic || t.ReadTopic)
}

// CreateTopic: CreateTopic.
func (p *Permissions) CreateTopic(stream uint32) bool {
	if p.ManageStreams || p.ManageTopics {
		return true
	}
	s, ok := p.Streams[stream]
	return ok && (s.ManageStream || s.ManageTopics)
}

// ManageTopic: UpdateTopic, DeleteTopic, PurgeTopic, CreatePartitions,
// DeletePartitions, DeleteSegments.
func (p *Permissions) ManageTopic(stream, topic uint32) bool {
	if p.CreateTopic(stream) {
		return true
	}
	t, ok := p.Streams[stream].Topics[topic]
	return ok && t.ManageTopic
}

// Poll: PollMessages and the consumer-offset requests.
func (p *Permissions) Poll(stream, topic uint32) bool {
	if p.PollMessages || p.ReadTopics || p.ManageTopics || p.ReadStreams || p.ManageStreams {
		return true
	}
	s, ok := p.Streams[stream]
	if !ok {
		return false
	}
	if s.PollMessages || s.ManageStream || s.ReadStream || s.ManageTopics || s.ReadTopics {
		return true
	}
	t, ok := s.Topics[topic]
	return ok && (t.ManageTopic || t.ReadTopic || t.PollMessages)
}

// Send: SendMessages.
func (p *Permissions) Send(stream, topic uint32) bool {
	if p.SendMessages || p.ManageStreams || p.ManageTopics {
		return true
	}
	s, ok := p.Streams[stream]
	if !ok {
		return false
	}
	if s.SendMessages || s.ManageStream || s.ManageTopics {
		return true
	}
	t, ok := s.Topics[topic]
	return ok && (t.ManageTopic || t.SendMessages)
}

// Append appends p's permissions body (the layout DecodePermissions
// reads), streams and topics in id order.
func (p *Permissions) Append(b []byte) []byte {
	b = appendBools(b, p.ManageServers, p.ReadServers, p.ManageUsers, p.ReadUsers, p.ManageStreams, p.ReadStreams,
		p.ManageTopics, p.ReadTopics, p.PollMessages, p.SendMessages)
	streams := slices.Sorted(maps.Keys(p.Streams))
	b = appendBools(b, len(streams) > 0)
	for i, id := range streams {
		s := p.Streams[id]
		b = binary.LittleEndian.AppendUint32(b, id)
		b = appendBools(b, s.ManageStream, s.ReadStream, s.ManageTopics, s.ReadTopics, s.PollMessages, s.SendMessages)
		topics := slices.Sorted(maps.Keys(s.Topics))
		b = appendBools(b, len(topics) > 0)
		for j, tid := range topics {
			t := s.Topics[tid]
			b = binary.LittleEndian.AppendUint32(b, tid)
			b = appendBools(b, t.ManageTopic, t.ReadTopic, t.PollMessages, t.SendMessages, j+1 < len(topics))
		}
		b = appendBools(b, i+1 < len(streams))
	}
	return b
}

func appendBools(b []byte, vs ...bool) []byte {
	for _, v := range vs {
		b = append(b, boolByte(v))
	}
	return b
}
