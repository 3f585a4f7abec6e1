package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"runtime"
	"testing"
)

// replyCase decodes one reply body type and re-encodes what it decoded.
type replyCase struct {
	name string
	run  func(b []byte) (v any, again []byte, err error)
}

type replyBody[T any] interface {
	*T
	Decode([]byte) error
	Append([]byte) []byte
}

func replyOf[T any, P replyBody[T]](name string) replyCase {
	return replyCase{name, func(b []byte) (any, []byte, error) {
		var v T
		if err := P(&v).Decode(b); err != nil {
			return v, nil, err
		}
		return v, P(&v).Append(nil), nil
	}}
}

func listOf[T any](name string, decode func([]byte) ([]T, error), encode func([]byte, []T) []byte) replyCase {
	return replyCase{name, func(b []byte) (any, []byte, error) {
		v, err := decode(b)
		if err != nil {
			return v, nil, err
		}
		return v, encode(nil, v), nil
	}}
}

func replyCases() []replyCase {
	return []replyCase{
		replyOf[StreamInfo]("StreamInfo"),
		replyOf[StreamDetails]("StreamDetails"),
		replyOf[TopicDetails]("TopicDetails"),
		replyOf[GroupDetails]("GroupDetails"),
		replyOf[GroupAssignment]("GroupAssignment"),
		replyOf[UserDetails]("UserDetails"),
		replyOf[CreatedToken]("CreatedToken"),
		replyOf[ConsumerOffsetInfo]("ConsumerOffsetInfo"),
		replyOf[ClusterMetadata]("ClusterMetadata"),
		replyOf[Stats]("Stats"),
		listOf("Streams", DecodeStreams, AppendStreams),
		listOf("Topics", DecodeTopics, AppendTopics),
		listOf("Groups", DecodeGroups, AppendGroups),
		listOf("Users", DecodeUsers, AppendUsers),
		listOf("Tokens", DecodeTokens, AppendTokens),
		listOf("SendConfirmations", DecodeSendConfirmations, func(dst []byte, cs []SendConfirmation) []byte {
			return AppendSendConfirmations(dst, cs...)
		}),
	}
}

func sampleTopic(id uint32, partitions int) TopicDetails {
	t := TopicDetails{TopicInfo: TopicInfo{ID: id, CreatedAt: 1700, PartitionsCount: uint32(partitions), MessageExpiry: math.MaxUint64,
		Compression: 2, MaxTopicSize: 1 << 30, Size: 99, Messages: 3, Name: "topic-" + string(rune('a'+id)),
		Options: []byte{2, 1, 0, 0, 0, 'k', 3, 1, 0, 0, 0, 1}, DerivedOptions: []byte{2, 1, 0, 0, 0, 'd', 12, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}}}
	for i := range partitions {
		t.Partitions = append(t.Partitions, PartitionInfo{ID: uint32(i), CreatedAt: 1701, SegmentsCount: 1, CurrentOffset: uint64(i) * 10, Size: 7, Messages: 8})
	}
	return t
}

// sampleReplies are values of every reply body type, keyed by replyCase
// name.
func sampleReplies() map[string][]any {
	t0, t1 := sampleTopic(0, 2), sampleTopic(1, 0)
	stream := StreamInfo{ID: 4, CreatedAt: 1600, TopicsCount: 2, Size: 10, Messages: 2, Name: "strëam"}
	group := GroupDetails{GroupInfo: GroupInfo{ID: 1, PartitionsCount: 3, MembersCount: 2, Name: "g"},
		Members: []GroupMember{{ID: 7, Partitions: []uint32{0, 2}}, {ID: 8, Partitions: nil}}}
	user := UserInfo{ID: 2, CreatedAt: 1500, Status: UserActive, Username: "alice"}
	return map[string][]any{
		"StreamInfo":         {stream, StreamInfo{Name: "s"}},
		"StreamDetails":      {StreamDetails{StreamInfo: stream, Topics: []TopicInfo{t0.TopicInfo, t1.TopicInfo}}, StreamDetails{StreamInfo: StreamInfo{ID: 1, Name: "x"}}},
		"TopicDetails":       {t0, t1},
		"GroupDetails":       {group, GroupDetails{GroupInfo: GroupInfo{Name: "empty"}}},
		"GroupAssignment":    {GroupAssignment{Generation: 3, Partitions: []uint32{1, 4}}, GroupAssignment{}},
		"UserDetails":        {UserDetails{UserInfo: user}, UserDetails{UserInfo: user, Permissions: (&Permissions{ReadStreams: true}).Append(nil)}},
		"CreatedToken":       {CreatedToken{Token: "abc"}},
		"ConsumerOffsetInfo": {ConsumerOffsetInfo{Partition: 1, CurrentOffset: 9, StoredOffset: 5}},
		"ClusterMetadata": {ClusterMetadata{Name: "c", Nodes: []ClusterNode{{Name: "n", IP: "127.0.0.1", TCP: 8090, Role: RoleLeader}}},
			ClusterMetadata{Name: "none"}},
		"Stats":             {Stats{ProcessID: 1, CPUUsage: 0.5, StreamsCount: 2, Hostname: "h", ServerVersion: "v", TotalDiskSpace: 1 << 40}},
		"Streams":           {[]StreamInfo{stream, {ID: 5, Name: "t"}}, []StreamInfo(nil)},
		"Topics":            {[]TopicInfo{t0.TopicInfo, t1.TopicInfo}, []TopicInfo(nil)},
		"Groups":            {[]GroupInfo{group.GroupInfo, {ID: 2, Name: "h"}}, []GroupInfo(nil)},
		"Users":             {[]UserInfo{user, {ID: 3, Username: "bob", Status: UserInactive}}, []UserInfo(nil)},
		"Tokens":            {[]TokenInfo{{Name: "a", ExpiryAt: 0}, {Name: "b", ExpiryAt: 1 << 50}}, []TokenInfo(nil)},
		"SendConfirmations": {[]SendConfirmation{{Stream: 1, Topic: 2, Partition: 3, BaseOffset: 4}}},
	}
}

func encodeReply(v any) []byte {
	if p, ok := v.(interface{ Append([]byte) []byte }); ok {
		return p.Append(nil)
	}
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	if a, ok := p.Interface().(interface{ Append([]byte) []byte }); ok {
		return a.Append(nil)
	}
	switch l := v.(type) {
	case []StreamInfo:
		return AppendStreams(nil, l)
	case []TopicInfo:
		return AppendTopics(nil, l)
	case []GroupInfo:
		return AppendGroups(nil, l)
	case []UserInfo:
		return AppendUsers(nil, l)
	case []TokenInfo:
		return AppendTokens(nil, l)
	case []SendConfirmation:
		return AppendSendConfirmations(nil, l...)
	}
	panic("no encoder")
}

// Every sample survives Append then Decode; every strict prefix of a
// body fails, except where a shorter body is a shorter list.
func TestReplyBodiesRoundTrip(t *testing.T) {
	samples := sampleReplies()
	for _, c := range replyCases() {
		if len(samples[c.name]) == 0 {
			t.Fatalf("%s: no sample", c.name)
		}
		for _, want := range samples[c.name] {
			body := encodeReply(want)
			got, again, err := c.run(body)
			if err != nil || !reflect.DeepEqual(got, want) || !bytes.Equal(again, body) {
				t.Errorf("%s: %+v (%v) from % x, want %+v", c.name, got, err, body, want)
			}
			for n := range len(body) {
				v, again, err := c.run(body[:n])
				if err == nil && !bytes.Equal(again, body[:n]) {
					t.Errorf("%s: %d-byte prefix decodes to %+v", c.name, n, v)
				}
				if err != nil && !errors.Is(err, ErrMalformedBody) {
					t.Errorf("%s: %d-byte prefix: %v", c.name, n, err)
				}
			}
		}
	}
}

// The layouts Iggy's SDKs decode, byte by byte.
func TestReplyLayouts(t *testing.T) {
	le := binary.LittleEndian
	s := (&StreamInfo{ID: 1, CreatedAt: 2, TopicsCount: 3, Size: 4, Messages: 5, Name: "s"}).Append(nil)
	want := le.AppendUint32(nil, 1)
	want = le.AppendUint64(want, 2)
	want = le.AppendUint32(want, 3)
	want = le.AppendUint64(le.AppendUint64(want, 4), 5)
	want = le.AppendUint32(append(want, 1, 's'), 0)
	if !bytes.Equal(s, want) || len(s) != streamInfoMin+1 {
		t.Fatalf("StreamInfo % x", s)
	}
	tp := (&TopicInfo{Name: "t"}).Append(nil)
	if len(tp) != topicInfoMin+1 || tp[49] != 1 || tp[50] != 't' {
		t.Fatalf("TopicInfo % x", tp)
	}
	if p := (&PartitionInfo{}).Append(nil); len(p) != partitionInfoSize {
		t.Fatalf("PartitionInfo of %d bytes", len(p))
	}
	u := (&UserDetails{UserInfo: UserInfo{ID: 1, Status: UserActive, Username: "u"}}).Append(nil)
	if len(u) != userInfoMin+1+1 || u[12] != byte(UserActive) || u[13] != 1 || u[len(u)-1] != 0 {
		t.Fatalf("UserDetails % x", u)
	}
	g := (&GroupAssignment{Generation: 1, Partitions: []uint32{2}}).Append(nil)
	if !bytes.Equal(g, []byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}) {
		t.Fatalf("GroupAssignment % x", g)
	}
	if tk := (&TokenInfo{Name: "a", ExpiryAt: 1}).Append(nil); !bytes.Equal(tk, []byte{1, 'a', 1, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("TokenInfo % x", tk)
	}
}

// A count the body cannot hold fails before anything is allocated for it.
func TestReplyHostileCounts(t *testing.T) {
	huge := []byte{0xff, 0xff, 0xff, 0xff}
	if _, err := DecodeTopics(huge); !errors.Is(err, ErrMalformedBody) {
		t.Fatalf("topics: %v", err)
	}
	var g GroupAssignment
	if err := g.Decode(append(make([]byte, 8), huge...)); !errors.Is(err, ErrMalformedBody) {
		t.Fatalf("assignment: %v", err)
	}
	body := (&TopicInfo{PartitionsCount: math.MaxUint32, Name: "t"}).Append(nil)
	var td TopicDetails
	decode := func() {
		if err := td.Decode(body); !errors.Is(err, ErrMalformedBody) {
			t.Fatalf("topic details: %v", err)
		}
	}
	// Never the partitions: a few bytes for the error, not 4 G entries.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	decode()
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Fatalf("%d bytes allocated for a hostile partition count", grew)
	}
	if !raceEnabled { // the race detector allocates on its own
		if n := testing.AllocsPerRun(10, decode); n > 8 { // the error and its description
			t.Fatalf("%v allocs for a hostile partition count", n)
		}
	}
	var sd StreamDetails
	if err := sd.Decode((&StreamInfo{TopicsCount: 1 << 30, Name: "s"}).Append(nil)); !errors.Is(err, ErrMalformedBody) {
		t.Fatalf("stream details: %v", err)
	}
}

// Encoding into a buffer with room allocates nothing.
func TestReplyAppendAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	td := sampleTopic(0, 4)
	sd := StreamDetails{StreamInfo: StreamInfo{Name: "s", TopicsCount: 1}, Topics: []TopicInfo{td.TopicInfo}}
	buf := make([]byte, 0, 4096)
	for name, fn := range map[string]func(){
		"TopicDetails":  func() { buf = td.Append(buf[:0]) },
		"StreamDetails": func() { buf = sd.Append(buf[:0]) },
		"Topics":        func() { buf = AppendTopics(buf[:0], sd.Topics) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocs", name, n)
		}
	}
}

// FuzzReplyBodies runs every reply decoder on arbitrary bytes: no panics,
// and whatever decodes re-encodes to bytes that decode and re-encode to
// themselves.
func FuzzReplyBodies(f *testing.F) {
	for _, vs := range sampleReplies() {
		for _, v := range vs {
			f.Add(encodeReply(v))
		}
	}
	cases := replyCases()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range cases {
			v, again, err := c.run(data)
			if err != nil {
				if !errors.Is(err, ErrMalformedBody) {
					t.Fatalf("%s: %v", c.name, err)
				}
				continue
			}
			if _, again2, err2 := c.run(again); err2 != nil || !bytes.Equal(again, again2) {
				t.Fatalf("%s: %+v re-encodes to % x: %v", c.name, v, again, err2)
			}
		}
	})
}
