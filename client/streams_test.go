package client

import (
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// Encoders of the reply bodies, written from wire.md §3.6 independently of
// the server's, to test the decoders and seed the fuzz target.

func appendName(b []byte, name string) []byte { return append(append(b, byte(len(name))), name...) }

func appendTestStream(b []byte, s Stream) []byte {
	b = binary.LittleEndian.AppendUint32(b, s.ID)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.CreatedAt.UnixMicro()))
	b = binary.LittleEndian.AppendUint32(b, s.TopicsCount)
	b = binary.LittleEndian.AppendUint64(b, s.Size)
	b = binary.LittleEndian.AppendUint64(b, s.MessagesCount)
	b = appendName(b, s.Name)
	return binary.LittleEndian.AppendUint32(b, 0)
}

func appendTestBlock(b []byte, opts []TopicOption) []byte {
	var tlv []byte
	for _, o := range opts {
		tlv = appendTLV(appendTLV(tlv, KindString, []byte(o.Key)), o.Value.Kind, o.Value.Raw)
	}
	return append(binary.LittleEndian.AppendUint32(b, uint32(len(tlv))), tlv...)
}

func appendTestTopic(b []byte, t Topic) []byte {
	b = binary.LittleEndian.AppendUint32(b, t.ID)
	b = binary.LittleEndian.AppendUint64(b, uint64(t.CreatedAt.UnixMicro()))
	b = binary.LittleEndian.AppendUint32(b, t.PartitionsCount)
	b = binary.LittleEndian.AppendUint64(b, t.MessageExpiry)
	b = append(b, map[string]byte{"none": 1, "gzip": 2}[t.Compression])
	b = binary.LittleEndian.AppendUint64(b, t.MaxTopicSize)
	b = binary.LittleEndian.AppendUint64(b, t.Size)
	b = binary.LittleEndian.AppendUint64(b, t.MessagesCount)
	b = appendName(b, t.Name)
	b = appendTestBlock(b, t.Options)
	return appendTestBlock(b, t.DerivedOptions)
}

func appendTestPartition(b []byte, p Partition) []byte {
	b = binary.LittleEndian.AppendUint32(b, p.ID)
	b = binary.LittleEndian.AppendUint64(b, uint64(p.CreatedAt.UnixMicro()))
	b = binary.LittleEndian.AppendUint32(b, p.SegmentsCount)
	b = binary.LittleEndian.AppendUint64(b, p.CurrentOffset)
	b = binary.LittleEndian.AppendUint64(b, p.Size)
	return binary.LittleEndian.AppendUint64(b, p.MessagesCount)
}

var (
	testTime  = time.UnixMicro(1_700_000_000_123_456).UTC()
	testTopic = Topic{ID: 3, Name: "events", CreatedAt: testTime, PartitionsCount: 2, MessageExpiry: math.MaxUint64, Compression: "gzip",
		MaxTopicSize: math.MaxUint64, Size: 4096, MessagesCount: 12,
		Options: []TopicOption{{Key: "enforce_fsync", Value: Value{Kind: KindBool, Raw: []byte{1}}}},
		DerivedOptions: []TopicOption{{Key: "compression_algorithm", Value: StringValue("none")},
			{Key: "segment_size", Value: Value{Kind: KindUint64, Raw: binary.LittleEndian.AppendUint64(nil, 1<<30)}}},
		Partitions: []Partition{{ID: 0, CreatedAt: testTime, SegmentsCount: 1, CurrentOffset: 7, Size: 2048, MessagesCount: 8},
			{ID: 1, CreatedAt: testTime, SegmentsCount: 1, CurrentOffset: 3, Size: 2048, MessagesCount: 4}}}
	testStream = Stream{ID: 1, Name: "orders", CreatedAt: testTime, TopicsCount: 1, Size: 4096, MessagesCount: 12}
)

// testBodies returns a valid body of every reply the client decodes, by
// decoder name.
func testBodies() map[string][]byte {
	topic := appendTestTopic(nil, testTopic)
	for _, p := range testTopic.Partitions {
		topic = appendTestPartition(topic, p)
	}
	other := testStream
	other.ID, other.Name, other.TopicsCount = 2, "b", 0
	return map[string][]byte{
		"GetStream":         appendTestTopic(appendTestStream(nil, testStream), testTopic),
		"GetStreams":        appendTestStream(appendTestStream(nil, testStream), other),
		"GetTopic":          topic,
		"GetTopics":         appendTestTopic(binary.LittleEndian.AppendUint32(nil, 1), testTopic),
		"PollMessages":      testPollBody(),
		"GetConsumerOffset": binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint32(nil, 1), 9), 4),
	}
}

// decodeAny runs the decoder named by kind.
func decodeAny(kind string, b []byte) (any, error) {
	switch kind {
	case "GetStream":
		return decodeGetStream(b)
	case "GetStreams":
		return decodeStreams(b)
	case "GetTopic":
		return decodeGetTopic(b)
	case "GetTopics":
		return decodeTopics(b)
	case "PollMessages":
		return decodePolled(b)
	case "GetConsumerOffset":
		off, _, err := decodeConsumerOffset(b)
		return off, err
	}
	panic(kind)
}

func TestDecodeStreamsAndTopics(t *testing.T) {
	bodies := testBodies()
	s, err := decodeGetStream(bodies["GetStream"])
	header := testTopic
	header.Partitions = nil
	want := testStream
	want.Topics = []Topic{header}
	if err != nil || !reflect.DeepEqual(*s, want) {
		t.Fatalf("GetStream: %v\n got %+v\nwant %+v", err, s, want)
	}
	ss, err := decodeStreams(bodies["GetStreams"])
	if err != nil || len(ss) != 2 || ss[0].Name != "orders" || ss[1].Name != "b" || ss[1].ID != 2 {
		t.Fatalf("GetStreams: %v %+v", err, ss)
	}
	if ss, err := decodeStreams(nil); err != nil || len(ss) != 0 {
		t.Fatalf("no streams: %v %+v", err, ss)
	}
	tp, err := decodeGetTopic(bodies["GetTopic"])
	if err != nil || !reflect.DeepEqual(*tp, testTopic) {
		t.Fatalf("GetTopic: %v\n got %+v\nwant %+v", err, tp, testTopic)
	}
	if got := tp.Options[0].Value.String(); got != "true" {
		t.Fatalf("enforce_fsync renders %q", got)
	}
	if got := tp.DerivedOptions[1].Value.String(); got != "1073741824" {
		t.Fatalf("segment_size renders %q", got)
	}
	ts, err := decodeTopics(bodies["GetTopics"])
	if err != nil || len(ts) != 1 || !reflect.DeepEqual(ts[0], header) {
		t.Fatalf("GetTopics: %v %+v", err, ts)
	}
}

// Every strict prefix of a valid body and the body with a byte more are
// malformed, and no decoder panics on them.
func TestDecodePrefixesAndTrailingBytes(t *testing.T) {
	whole := map[string]map[int]bool{ // prefixes that are valid bodies themselves
		"GetStreams":        {0: true, len(appendTestStream(nil, testStream)): true},
		"GetConsumerOffset": {0: true},
	}
	for kind, body := range testBodies() {
		for i := range body {
			if _, err := decodeAny(kind, body[:i]); err == nil && !whole[kind][i] {
				t.Errorf("%s: prefix of %d/%d bytes decoded", kind, i, len(body))
			} else if err != nil && !errors.Is(err, ErrMalformedReply) {
				t.Errorf("%s: prefix %d: %v is not ErrMalformedReply", kind, i, err)
			}
		}
		if _, err := decodeAny(kind, append(body, 0)); err == nil {
			t.Errorf("%s: trailing byte accepted", kind)
		}
	}
}

func TestDecodeOptionsBlockOverrun(t *testing.T) {
	bad := appendTestStream(nil, testStream)
	binary.LittleEndian.PutUint32(bad[len(bad)-4:], 1<<31)
	if _, err := decodeStreams(bad); !errors.Is(err, ErrMalformedReply) {
		t.Fatalf("overrunning options block: %v", err)
	}
}

func TestValueString(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{StringValue("gzip"), "gzip"},
		{Value{KindBool, []byte{0}}, "false"},
		{Value{KindInt8, []byte{0xff}}, "-1"},
		{Value{KindInt16, []byte{0xfe, 0xff}}, "-2"},
		{Value{KindInt32, []byte{0xfd, 0xff, 0xff, 0xff}}, "-3"},
		{Value{KindInt64, binary.LittleEndian.AppendUint64(nil, math.MaxUint64)}, "-1"},
		{Value{KindUint8, []byte{200}}, "200"},
		{Value{KindUint16, []byte{1, 1}}, "257"},
		{Value{KindUint32, []byte{0, 0, 0, 1}}, "16777216"},
		{Value{KindFloat32, binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))}, "1.5"},
		{Value{KindFloat64, binary.LittleEndian.AppendUint64(nil, math.Float64bits(-0.25))}, "-0.25"},
		{Value{KindRaw, []byte{0xca, 0xfe}}, "0xcafe"},
		{Value{KindUint64, []byte{1}}, "0x01"}, // wrong length
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%v %x: %q, want %q", tc.v.Kind, tc.v.Raw, got, tc.want)
		}
	}
}

func TestParseIdentifier(t *testing.T) {
	if id := ParseIdentifier("42"); id.Kind != wire.IdentifierNumeric || id.ID != 42 {
		t.Fatalf("42: %+v", id)
	}
	if id := ParseIdentifier("orders"); id.Kind != wire.IdentifierString || string(id.Name) != "orders" {
		t.Fatalf("orders: %+v", id)
	}
	if id := ParseIdentifier("99999999999"); id.Kind != wire.IdentifierString {
		t.Fatalf("too big for u32 is a name: %+v", id)
	}
}

func TestNotFoundError(t *testing.T) {
	err := named(wire.StatusStreamNameNotFound.Err(), NamedID("nope"), nil)
	if err.Error() != `client: stream "nope" not found` || !errors.Is(err, ErrNotFound) ||
		!errors.Is(err, &StatusError{Status: wire.StatusStreamNameNotFound}) {
		t.Fatalf("%v", err)
	}
	topic := NumericID(4)
	if err := named(wire.StatusTopicIdNotFound.Err(), NumericID(0), &topic); err.Error() != "client: topic 4 not found" {
		t.Fatalf("%v", err)
	}
	other := wire.StatusInvalidCommand.Err()
	if err := named(other, NumericID(0), nil); err != other {
		t.Fatalf("other status changed: %v", err)
	}
	if named(nil, NumericID(0), nil) != nil {
		t.Fatal("nil error changed")
	}
}
