package metadata

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// tlv appends one request options entry.
func tlv(b []byte, key string, kind HeaderKind, val []byte) []byte {
	b = append(b, byte(KindString))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	b = append(b, byte(kind))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(val)))
	return append(b, val...)
}

func u32b(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64b(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// createTopicBody is the SDK's CreateTopic body: [stream Identifier]
// [partitions_count u32][name_len u8][name][options].
func createTopicBody(stream wire.Identifier, partitions uint32, name string, options []byte) []byte {
	b := stream.Append(nil)
	b = binary.LittleEndian.AppendUint32(b, partitions)
	b = append(append(b, byte(len(name))), name...)
	return append(b, options...)
}

type optionValue struct {
	kind HeaderKind
	val  string
}

// decodedTopic is a TopicHeader decoded the way the SDK decodes it.
type decodedTopic struct {
	id, partitions          uint32
	createdAt, expiry, max  uint64
	compression             uint8
	name                    string
	explicit, derived       map[string]optionValue
	explicitKeys, derivKeys []string
}

func decodeOptionsBlock(t *testing.T, b []byte) (map[string]optionValue, []string, int) {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(b))
	block, out := b[4:4+n], map[string]optionValue{}
	var keys []string
	for len(block) > 0 {
		kk, key, rest, ok := cutTLV(block)
		if !ok || kk != KindString {
			t.Fatalf("bad key in block % x", b[:4+n])
		}
		vk, val, rest, ok := cutTLV(rest)
		if !ok {
			t.Fatalf("bad value in block % x", b[:4+n])
		}
		out[string(key)] = optionValue{vk, string(val)}
		keys = append(keys, string(key))
		block = rest
	}
	return out, keys, 4 + n
}

func decodeTopicHeader(t *testing.T, b []byte) (decodedTopic, int) {
	t.Helper()
	le := binary.LittleEndian
	d := decodedTopic{id: le.Uint32(b), createdAt: le.Uint64(b[4:]), partitions: le.Uint32(b[12:]), expiry: le.Uint64(b[16:]),
		compression: b[24], max: le.Uint64(b[25:])}
	n := int(b[49])
	d.name = string(b[50 : 50+n])
	pos := 50 + n
	var used int
	d.explicit, d.explicitKeys, used = decodeOptionsBlock(t, b[pos:])
	pos += used
	d.derived, d.derivKeys, used = decodeOptionsBlock(t, b[pos:])
	return d, pos + used
}

// createTopicOp decodes a CreateTopic body and builds its operation, as
// the server and the service do.
func createTopicOp(body []byte) (CreateTopic, wire.Status) {
	var req wire.CreateTopic
	if st := req.Decode(body); st != wire.StatusOK {
		return CreateTopic{}, st
	}
	return CreateTopicOp(req, 1234, 1)
}

// createTopic decodes a CreateTopic body, applies it and returns the
// create reply payload decoded (or the decode status).
func createTopic(t *testing.T, s *State, body []byte) (decodedTopic, wire.Status) {
	t.Helper()
	op, st := createTopicOp(body)
	if st != wire.StatusOK {
		return decodedTopic{}, st
	}
	r := apply(t, s, op, wire.StatusOK)
	reply, ok := appendGetTopic(s, nil, op.Stream, wire.NumericID(r.ID), nil)
	if !ok {
		t.Fatal("created topic not found")
	}
	d, n := decodeTopicHeader(t, reply)
	if len(reply)-n != 40*int(d.partitions) {
		t.Fatalf("%d bytes of partitions for %d partitions", len(reply)-n, d.partitions)
	}
	return d, wire.StatusOK
}

// Streams and users have no option keys: a well-formed entry is
// UnsupportedOptionKey, a malformed block InvalidCommand. (wire's
// TestCreateStreamBody covers the name.)
func TestStreamOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		opts []byte
		want wire.Status
	}{
		"none":           {nil, wire.StatusOK},
		"any option":     {tlv(nil, "enforce_fsync", KindBool, []byte{1}), wire.StatusUnsupportedOptionKey},
		"malformed tlv":  {[]byte{2, 0}, wire.StatusInvalidCommand},
		"numeric key":    {[]byte{byte(KindUint8), 1, 0, 0, 0, 'k', byte(KindUint8), 1, 0, 0, 0, 1}, wire.StatusInvalidCommand},
		"trailing bytes": {[]byte{9}, wire.StatusInvalidCommand},
	} {
		var req wire.CreateStream
		if st := req.Decode(append([]byte{1, 'a'}, tc.opts...)); st != wire.StatusOK {
			t.Fatalf("%s: decode %v", name, st)
		}
		op, st := CreateStreamOp(req, 7)
		if st != tc.want || st == wire.StatusOK && (op.Name != "a" || op.Timestamp != 7) {
			t.Errorf("create %s: %+v %v, want %v", name, op, st, tc.want)
		}
		if _, st := UpdateStreamOp(wire.UpdateStream{Stream: num(0), Name: "b", Options: tc.opts}); st != tc.want {
			t.Errorf("update %s: %v, want %v", name, st, tc.want)
		}
		if st := ParseUserOptions(tc.opts); st != tc.want {
			t.Errorf("user %s: %v, want %v", name, st, tc.want)
		}
	}
}

// An update may change compression, expiry and max size only: any other
// key is UnsupportedOptionKey before consensus.
func TestUpdateTopicOptions(t *testing.T) {
	req := wire.UpdateTopic{Stream: num(0), Topic: named("t"), Name: "u",
		Options: tlv(nil, "compression_algorithm", KindString, []byte("gzip"))}
	op, st := UpdateTopicOp(req)
	if st != wire.StatusOK || op.Name != "u" || string(op.Topic.Name) != "t" || !op.Options.Has(OptCompression) || op.Options.Compression != CompressionGzip {
		t.Fatalf("%+v %v", op, st)
	}
	for name, tc := range map[string]struct {
		opts []byte
		want wire.Status
	}{
		"segment size": {tlv(nil, "segment_size", KindUint64, u64b(1<<20)), wire.StatusUnsupportedOptionKey},
		"unknown":      {tlv(nil, "nope", KindString, []byte("1")), wire.StatusUnsupportedOptionKey},
		"bad value":    {tlv(nil, "message_expiry", KindString, []byte("soon")), wire.StatusInvalidOptionValue},
		"malformed":    {[]byte{1}, wire.StatusInvalidCommand},
	} {
		req.Options = tc.opts
		if _, st := UpdateTopicOp(req); st != tc.want {
			t.Errorf("%s: %v, want %v", name, st, tc.want)
		}
	}
}

// wire.md §4.2 test 14: a String "true" for enforce_fsync is stored as an
// explicit Bool [1]; keys left alone are derived; unknown keys are 4041.
func TestTopicOptionsRoundTrip(t *testing.T) {
	s := NewState()
	apply(t, s, CreateStream{Name: "s"}, wire.StatusOK)
	d, st := createTopic(t, s, createTopicBody(num(0), 1, "t", tlv(nil, "enforce_fsync", KindString, []byte("true"))))
	if st != wire.StatusOK {
		t.Fatal(st)
	}
	if v := d.explicit["enforce_fsync"]; v.kind != KindBool || v.val != "\x01" || len(d.explicit) != 1 {
		t.Fatalf("explicit %v", d.explicit)
	}
	if _, ok := d.derived["max_topic_size"]; !ok {
		t.Fatalf("derived %v", d.derived)
	}
	if _, ok := d.derived["enforce_fsync"]; ok || len(d.derived) != 7 {
		t.Fatalf("derived %v", d.derived)
	}
	if !slices.IsSorted(d.derivKeys) {
		t.Fatalf("derived keys out of order: %v", d.derivKeys)
	}
	if d.expiry != math.MaxUint64 || d.max != math.MaxUint64 || d.compression != CompressionNone || d.name != "t" || d.createdAt != 1234 {
		t.Fatalf("header %+v", d)
	}
	if _, st := createTopicOp(createTopicBody(num(0), 1, "u", tlv(nil, "not_a_real_option", KindString, []byte("1")))); st != wire.StatusUnsupportedOptionKey {
		t.Fatalf("unknown key: %v", st)
	}
}

// wire.md §4.2 test 15: typed options come back explicit with the same
// kind and bytes; 0 messages and an off-grid segment are refused; a zero
// segment size is derived.
func TestTypedTopicOptions(t *testing.T) {
	s := NewState()
	apply(t, s, CreateStream{Name: "s"}, wire.StatusOK)
	typed := map[string]optionValue{
		"segment_size":                      {KindUint64, string(u64b(1 << 20))},
		"enforce_fsync":                     {KindBool, "\x01"},
		"messages_required_to_save":         {KindUint32, string(u32b(7))},
		"size_of_messages_required_to_save": {KindUint64, string(u64b(4096))},
		"preallocate_segments":              {KindBool, "\x00"},
	}
	var opts []byte
	for _, k := range []string{"segment_size", "enforce_fsync", "messages_required_to_save", "size_of_messages_required_to_save", "preallocate_segments"} {
		opts = tlv(opts, k, typed[k].kind, []byte(typed[k].val))
	}
	d, st := createTopic(t, s, createTopicBody(num(0), 1, "typed", opts))
	if st != wire.StatusOK {
		t.Fatal(st)
	}
	for k, v := range typed {
		if d.explicit[k] != v {
			t.Errorf("%s: stored %+v, sent %+v", k, d.explicit[k], v)
		}
		if _, ok := d.derived[k]; ok {
			t.Errorf("%s is also derived", k)
		}
	}
	info, _ := s.ResolveTopic(num(0), named("typed"))
	if o := info.Options; o.SegmentSize != 1<<20 || !o.EnforceFsync || o.MessagesRequiredToSave != 7 || o.SizeOfMessagesRequiredToSave != 4096 {
		t.Fatalf("resolved %+v", o)
	}

	for name, tc := range map[string]struct {
		opts       []byte
		partitions uint32
		want       wire.Status
	}{
		"zero messages":   {tlv(nil, "messages_required_to_save", KindUint32, u32b(0)), 1, wire.StatusInvalidOptionValue},
		"off-grid":        {tlv(nil, "segment_size", KindUint64, u64b(1<<20+1)), 1, wire.StatusInvalidOptionValue},
		"wrong kind":      {tlv(nil, "segment_size", KindUint32, u32b(1<<20)), 1, wire.StatusInvalidOptionValue},
		"bool of 2 bytes": {tlv(nil, "enforce_fsync", KindBool, []byte{1, 0}), 1, wire.StatusInvalidOptionValue},
		"bool string":     {tlv(nil, "enforce_fsync", KindString, []byte("yes")), 1, wire.StatusInvalidOptionValue},
		"too many msgs":   {tlv(nil, "messages_required_to_save", KindString, []byte("16777217")), 1, wire.StatusInvalidOptionValue},
		"size too big":    {tlv(nil, "size_of_messages_required_to_save", KindString, []byte("2 GiB")), 1, wire.StatusInvalidOptionValue},
		"topic < segment": {tlv(nil, "max_topic_size", KindUint64, u64b(1<<20)), 1, wire.StatusInvalidTopicSize},
		"prealloc 64 GiB": {tlv(nil, "preallocate_segments", KindBool, []byte{1}), 65, wire.StatusInvalidOptionValue},
		"partitions":      {nil, 1001, wire.StatusTooManyPartitions},
		"repeated key":    {tlv(tlv(nil, "enforce_fsync", KindBool, []byte{1}), "enforce_fsync", KindBool, []byte{0}), 1, wire.StatusInvalidCommand},
		"bad compression": {tlv(nil, "compression_algorithm", KindString, []byte("zstd")), 1, wire.StatusInvalidOptionValue},
		"bad expiry":      {tlv(nil, "message_expiry", KindString, []byte("soon")), 1, wire.StatusInvalidOptionValue},
	} {
		if _, st := createTopicOp(createTopicBody(num(0), tc.partitions, "x", tc.opts)); st != tc.want {
			t.Errorf("%s: %v, want %v", name, st, tc.want)
		}
	}

	d, st = createTopic(t, s, createTopicBody(num(0), 1, "zero", tlv(nil, "segment_size", KindUint64, u64b(0))))
	if st != wire.StatusOK {
		t.Fatal(st)
	}
	if _, ok := d.explicit["segment_size"]; ok {
		t.Fatal("segment_size 0 is explicit")
	}
	if v := d.derived["segment_size"]; v.kind != KindUint64 || v.val != string(u64b(1<<30)) {
		t.Fatalf("derived segment_size %+v", v)
	}
}

// Values sent as strings or codes are stored in canonical kinds.
func TestOptionsCanonicalKinds(t *testing.T) {
	s := NewState()
	apply(t, s, CreateStream{Name: "s"}, wire.StatusOK)
	opts := tlv(nil, "compression_algorithm", KindUint8, []byte{2})
	opts = tlv(opts, "message_expiry", KindString, []byte("1h"))
	opts = tlv(opts, "max_topic_size", KindString, []byte("unlimited"))
	opts = tlv(opts, "segment_size", KindString, []byte("2 MiB"))
	opts = tlv(opts, "messages_required_to_save", KindString, []byte("10"))
	d, st := createTopic(t, s, createTopicBody(named("s"), 2, "t", opts))
	if st != wire.StatusOK {
		t.Fatal(st)
	}
	want := map[string]optionValue{
		"compression_algorithm":     {KindString, "gzip"},
		"message_expiry":            {KindUint64, string(u64b(3600_000_000))},
		"max_topic_size":            {KindUint64, string(u64b(math.MaxUint64))},
		"segment_size":              {KindUint64, string(u64b(2 << 20))},
		"messages_required_to_save": {KindUint32, string(u32b(10))},
	}
	for k, v := range want {
		if d.explicit[k] != v {
			t.Errorf("%s: %+v, want %+v", k, d.explicit[k], v)
		}
	}
	if d.compression != CompressionGzip || d.expiry != 3600_000_000 || d.partitions != 2 {
		t.Fatalf("header %+v", d)
	}
	// "server_default" and 0 leave max_topic_size and message_expiry unset.
	opts = tlv(nil, "max_topic_size", KindString, []byte("server_default"))
	opts = tlv(opts, "message_expiry", KindUint64, u64b(0))
	d, _ = createTopic(t, s, createTopicBody(named("s"), 1, "t2", opts))
	if len(d.explicit) != 0 || len(d.derived) != 8 {
		t.Fatalf("sentinels: explicit %v", d.explicit)
	}
}
