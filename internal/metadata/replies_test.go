package metadata

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	var clean []string
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#")
		clean = append(clean, strings.Fields(line)...)
	}
	b, err := hex.DecodeString(strings.Join(clean, ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The replies as the server encodes them from the views, in the shape of
// the encoders the views replaced (so the golden bytes below are
// unchanged).
func appendStream(s *State, dst []byte, id uint32, stats StatsFunc) ([]byte, bool) {
	v, ok := s.StreamInfo(id, stats)
	if !ok {
		return dst, false
	}
	return v.Append(dst), true
}

func appendGetStream(s *State, dst []byte, stream wire.Identifier, stats StatsFunc) ([]byte, bool) {
	v, ok := s.StreamDetails(stream, stats)
	if !ok {
		return dst, false
	}
	return v.Append(dst), true
}

func appendGetStreams(s *State, dst []byte, stats StatsFunc) []byte {
	return wire.AppendStreams(dst, s.StreamList(stats))
}

func appendGetTopic(s *State, dst []byte, stream, topic wire.Identifier, stats StatsFunc) ([]byte, bool) {
	v, ok := s.TopicDetails(stream, topic, stats)
	if !ok {
		return dst, false
	}
	return v.Append(dst), true
}

func appendGetTopics(s *State, dst []byte, stream wire.Identifier, stats StatsFunc) ([]byte, wire.Status) {
	v, st := s.TopicList(stream, stats)
	if st != wire.StatusOK {
		return dst, st
	}
	return wire.AppendTopics(dst, v), st
}

func appendGroup(s *State, dst []byte, stream, topic, group wire.Identifier) ([]byte, bool) {
	v, ok := s.GroupDetails(stream, topic, group)
	if !ok {
		return dst, false
	}
	return v.Append(dst), true
}

func appendGroups(s *State, dst []byte, stream, topic wire.Identifier) ([]byte, wire.Status) {
	v, st := s.GroupList(stream, topic)
	if st != wire.StatusOK {
		return dst, st
	}
	return wire.AppendGroups(dst, v), st
}

func appendSyncGroup(s *State, dst []byte, stream, topic, group wire.Identifier, client wire.ClientID) ([]byte, wire.Status) {
	v, member, st := s.GroupAssignment(stream, topic, group, client)
	if !member {
		return dst, st
	}
	return v.Append(dst), st
}

// stats reports partition p of any topic with p+1 messages of 100 bytes.
func stats(_, _, p uint32) PartitionStats {
	return PartitionStats{Segments: 1, CurrentOffset: uint64(p), SizeBytes: 100 * uint64(p+1), Messages: uint64(p + 1)}
}

// StreamResponse (wire.md §3.6), byte by byte.
func TestStreamResponseGolden(t *testing.T) {
	s := NewState()
	apply(t, s, CreateStream{Timestamp: 0x0102030405060708, Name: "s1"}, wire.StatusOK)
	apply(t, s, CreateTopic{Stream: num(0), Partitions: 2, Name: "t"}, wire.StatusOK)
	b, ok := appendStream(s, nil, 0, stats)
	want := unhex(t, `
		00000000                 # id 0
		0807060504030201         # created_at
		01000000                 # topics_count 1
		2c01000000000000         # size_bytes 300
		0300000000000000         # messages_count 3
		02 7331                  # name "s1"
		00000000                 # options_len 0`)
	if !ok || !bytes.Equal(b, want) {
		t.Fatalf("StreamResponse\n got % x\nwant % x", b, want)
	}
	if _, ok := appendStream(s, nil, 5, nil); ok {
		t.Fatal("a missing stream encodes")
	}
	// GetStreams concatenates; GetStream adds the topic headers.
	apply(t, s, CreateStream{Name: "s2"}, wire.StatusOK)
	all := appendGetStreams(s, nil, stats)
	if !bytes.HasPrefix(all, want) || len(all) != 2*len(want) {
		t.Fatalf("GetStreams of %d bytes", len(all))
	}
	gs, ok := appendGetStream(s, nil, named("s1"), stats)
	if !ok || !bytes.HasPrefix(gs, want) {
		t.Fatal("GetStream prefix")
	}
	d, n := decodeTopicHeader(t, gs[len(want):])
	if len(want)+n != len(gs) || d.name != "t" || d.partitions != 2 {
		t.Fatalf("GetStream topic %+v (%d of %d bytes)", d, len(want)+n, len(gs))
	}
	if _, ok := appendGetStream(s, nil, named("zz"), nil); ok {
		t.Fatal("a missing stream encodes")
	}
}

// TopicHeader and PartitionResponse, byte by byte, for a topic with one
// explicit option.
func TestTopicGolden(t *testing.T) {
	s := NewState()
	apply(t, s, CreateStream{Name: "s"}, wire.StatusOK)
	apply(t, s, CreateTopic{Timestamp: 9, Stream: num(0), Partitions: 1, Name: "tp",
		Options: TopicOptions{Explicit: 1 << OptEnforceFsync, EnforceFsync: true}}, wire.StatusOK)
	b, ok := appendGetTopic(s, nil, num(0), num(0), stats)
	if !ok {
		t.Fatal("topic not found")
	}
	entry := func(key string, kind HeaderKind, val string) string {
		e := tlv(nil, key, kind, unhex(t, val))
		return hex.EncodeToString(e)
	}
	explicit := entry("enforce_fsync", KindBool, "01")
	derived := entry("compression_algorithm", KindString, hex.EncodeToString([]byte("none"))) +
		entry("max_topic_size", KindUint64, "ffffffffffffffff") +
		entry("message_expiry", KindUint64, "ffffffffffffffff") +
		entry("messages_required_to_save", KindUint32, "00040000") +
		entry("preallocate_segments", KindBool, "00") +
		entry("segment_size", KindUint64, "0000004000000000") +
		entry("size_of_messages_required_to_save", KindUint64, "0000100000000000")
	le32 := func(n int) string { return hex.EncodeToString(binary.LittleEndian.AppendUint32(nil, uint32(n))) }
	want := unhex(t, `
		00000000 0900000000000000 01000000   # id, created_at, partitions_count
		ffffffffffffffff 01 ffffffffffffffff # message_expiry, compression none, max_topic_size
		6400000000000000 0100000000000000    # size_bytes 100, messages_count 1
		02 7470`+
		le32(len(explicit)/2)+explicit+
		le32(len(derived)/2)+derived+`
		00000000 0900000000000000 01000000   # partition 0, created_at, segments_count
		0000000000000000 6400000000000000 0100000000000000`)
	if !bytes.Equal(b, want) {
		t.Fatalf("GetTopic\n got % x\nwant % x", b, want)
	}
	gt, st := appendGetTopics(s, nil, num(0), stats)
	if st != wire.StatusOK || binary.LittleEndian.Uint32(gt) != 1 || !bytes.Equal(gt[4:], want[:len(want)-40]) {
		t.Fatalf("GetTopics % x", gt)
	}
	if _, st := appendGetTopics(s, nil, num(3), nil); st != wire.StatusStreamIdNotFound {
		t.Fatalf("GetTopics of a missing stream: %v", st)
	}
	if _, ok := appendGetTopic(s, nil, num(0), num(1), nil); ok {
		t.Fatal("a missing topic encodes")
	}
}

// The CreateConsumerGroup reply is the group header, never empty
// (wire.md §3.12-1); GetGroup appends members; GetGroups concatenates.
func TestGroupRepliesGolden(t *testing.T) {
	s := groupState(t, 3)
	b, ok := appendGroup(s, nil, num(0), num(0), num(0))
	want := unhex(t, "00000000 03000000 00000000 01 67")
	if !ok || !bytes.Equal(b, want) {
		t.Fatalf("create reply % x", b)
	}
	apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: num(0), Client: client(1)}, wire.StatusOK)
	b, _ = appendGroup(s, nil, num(0), num(0), named("g"))
	want = unhex(t, "00000000 03000000 01000000 01 67   00000000 03000000 00000000 01000000 02000000")
	if !bytes.Equal(b, want) {
		t.Fatalf("GetGroup % x", b)
	}
	apply(t, s, CreateConsumerGroup{Stream: num(0), Topic: num(0), Name: "h"}, wire.StatusOK)
	b, st := appendGroups(s, nil, num(0), num(0))
	want = unhex(t, "00000000 03000000 01000000 01 67   01000000 03000000 00000000 01 68")
	if st != wire.StatusOK || !bytes.Equal(b, want) {
		t.Fatalf("GetGroups % x", b)
	}
	if _, st := appendGroups(s, nil, num(0), num(4)); st != wire.StatusTopicIdNotFound {
		t.Fatalf("GetGroups of a missing topic: %v", st)
	}
}

// DescribeOptions (wire.md §3.8): the 8 topic keys in catalog order with
// canonical kinds, little-endian defaults and descriptions.
func TestDescribeOptions(t *testing.T) {
	b, st := AppendDescribeOptions(nil, ScopeTopic)
	if st != wire.StatusOK || binary.LittleEndian.Uint32(b) != 8 {
		t.Fatalf("%v % x", st, b[:4])
	}
	type spec struct {
		key  string
		kind HeaderKind
		def  string
	}
	want := []spec{
		{"compression_algorithm", KindString, "none"},
		{"message_expiry", KindUint64, string(u64b(1<<64 - 1))},
		{"max_topic_size", KindUint64, string(u64b(1<<64 - 1))},
		{"segment_size", KindUint64, string(u64b(1 << 30))},
		{"enforce_fsync", KindBool, "\x00"},
		{"messages_required_to_save", KindUint32, string(u32b(1024))},
		{"size_of_messages_required_to_save", KindUint64, string(u64b(1 << 20))},
		{"preallocate_segments", KindBool, "\x00"},
	}
	pos := 4
	for _, w := range want {
		n := int(b[pos])
		got := spec{key: string(b[pos+1 : pos+1+n]), kind: HeaderKind(b[pos+1+n])}
		pos += 2 + n
		dl := int(binary.LittleEndian.Uint32(b[pos:]))
		got.def = string(b[pos+4 : pos+4+dl])
		pos += 4 + dl
		desc := int(binary.LittleEndian.Uint32(b[pos:]))
		if desc == 0 {
			t.Errorf("%s has no description", got.key)
		}
		pos += 4 + desc
		if got != w {
			t.Errorf("got %+v, want %+v", got, w)
		}
	}
	if pos != len(b) {
		t.Fatalf("%d trailing bytes", len(b)-pos)
	}
	for _, scope := range []uint8{ScopeStream, ScopeUser} {
		if b, st := AppendDescribeOptions(nil, scope); st != wire.StatusOK || !bytes.Equal(b, []byte{0, 0, 0, 0}) {
			t.Fatalf("scope %d: % x %v", scope, b, st)
		}
	}
	if _, st := AppendDescribeOptions(nil, 4); st != wire.StatusInvalidCommand {
		t.Fatalf("scope 4: %v", st)
	}
}
