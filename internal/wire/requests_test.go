package wire

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// requestBody is a request body type: Decode answers a status, Append
// encodes.
type requestBody[T any] interface {
	*T
	Decode([]byte) Status
	Append([]byte) []byte
}

// bodyCase runs one request body type on bytes: it decodes, and, if that
// succeeds, re-encodes.
type bodyCase struct {
	name string
	// malformed is the status of a body cut short inside its fixed
	// fields.
	malformed Status
	// canonical: a body that decodes starts with the re-encoding of what
	// it decoded to (false where a byte other than 0 or 1 reads as 0, or
	// an odd identifier reads as the zero one).
	canonical bool
	run       func(b []byte) (v any, st Status, again []byte)
}

func caseOf[T any, P requestBody[T]](name string, malformed Status, canonical bool) bodyCase {
	return bodyCase{name, malformed, canonical, func(b []byte) (any, Status, []byte) {
		var v T
		st := P(&v).Decode(b)
		if st != StatusOK {
			return v, st, nil
		}
		return v, st, P(&v).Append(nil)
	}}
}

// offsetCase adapts ConsumerOffsetRequest, whose codec takes the kind.
type offsetCase[K interface{ kind() OffsetKind }] struct{ ConsumerOffsetRequest }

type (
	getKind    struct{}
	storeKind  struct{}
	deleteKind struct{}
)

func (getKind) kind() OffsetKind    { return OffsetGet }
func (storeKind) kind() OffsetKind  { return OffsetStore }
func (deleteKind) kind() OffsetKind { return OffsetDelete }

func (o *offsetCase[K]) Decode(b []byte) Status {
	var k K
	return o.ConsumerOffsetRequest.Decode(k.kind(), b)
}

func (o *offsetCase[K]) Append(dst []byte) []byte {
	var k K
	return o.ConsumerOffsetRequest.Append(k.kind(), dst)
}

func bodyCases() []bodyCase {
	return []bodyCase{
		caseOf[CreateStream]("CreateStream", StatusInvalidCommand, true),
		caseOf[UpdateStream]("UpdateStream", StatusInvalidCommand, true),
		caseOf[StreamRequest]("StreamRequest", StatusInvalidCommand, true),
		caseOf[CreateTopic]("CreateTopic", StatusInvalidCommand, true),
		caseOf[UpdateTopic]("UpdateTopic", StatusInvalidCommand, true),
		caseOf[TopicRequest]("TopicRequest", StatusInvalidCommand, true),
		caseOf[PartitionsRequest]("PartitionsRequest", StatusInvalidCommand, true),
		caseOf[DeleteSegments]("DeleteSegments", StatusInvalidCommand, true),
		caseOf[CreateGroup]("CreateGroup", StatusInvalidCommand, true),
		caseOf[GroupRequest]("GroupRequest", StatusInvalidCommand, true),
		caseOf[offsetCase[getKind]]("GetConsumerOffset", StatusInvalidCommand, true),
		caseOf[offsetCase[storeKind]]("StoreConsumerOffset", StatusInvalidCommand, true),
		caseOf[offsetCase[deleteKind]]("DeleteConsumerOffset", StatusInvalidCommand, true),
		caseOf[CreateUser]("CreateUser", StatusInvalidFormat, false),
		caseOf[UpdateUser]("UpdateUser", 0, false), // its status depends on where the body stops
		caseOf[ChangePassword]("ChangePassword", StatusInvalidCommand, false),
		caseOf[UpdatePermissions]("UpdatePermissions", StatusInvalidCommand, false),
		caseOf[UserRequest]("UserRequest", StatusResourceNotFound, false),
		caseOf[CreateToken]("CreateToken", StatusInvalidCommand, true),
		caseOf[DeleteToken]("DeleteToken", StatusInvalidCommand, true),
		caseOf[ClientRequest]("ClientRequest", StatusInvalidFormat, true),
		caseOf[DescribeOptions]("DescribeOptions", StatusInvalidCommand, true),
		caseOf[SnapshotRequest]("SnapshotRequest", StatusInvalidCommand, true),
	}
}

// sampleBodies are values of every request body type, some with names and
// options, some numeric, keyed by bodyCase name.
func sampleBodies() map[string][]any {
	s, t, g := NumericID(1), NamedID("topic"), NamedID("grüppe")
	opts := []byte{2, 1, 0, 0, 0, 'k', 2, 1, 0, 0, 0, 'v'}
	off := ConsumerOffsetRequest{Consumer: Consumer{ConsumerGroup, NamedID("c")}, Stream: s, Topic: t, HasPartition: true, Partition: 3, Offset: 42, Ack: 1}
	get := off
	get.Offset, get.Ack = 0, 0
	del := off
	del.Offset = 0
	return map[string][]any{
		"CreateStream":         {CreateStream{Name: "s1"}, CreateStream{Name: "s", Options: opts}},
		"UpdateStream":         {UpdateStream{Stream: s, Name: "n"}, UpdateStream{Stream: t, Name: "n", Options: opts}},
		"StreamRequest":        {StreamRequest{s}, StreamRequest{t}},
		"CreateTopic":          {CreateTopic{Stream: s, Partitions: 3, Name: "t"}, CreateTopic{Stream: t, Name: "t", Options: opts}},
		"UpdateTopic":          {UpdateTopic{Stream: s, Topic: t, Name: "u"}, UpdateTopic{Stream: s, Topic: s, Name: "u", Options: opts}},
		"TopicRequest":         {TopicRequest{s, t}, TopicRequest{s, s}},
		"PartitionsRequest":    {PartitionsRequest{s, t, 1}, PartitionsRequest{s, s, MaxPartitionsPerRequest}},
		"DeleteSegments":       {DeleteSegments{s, t, 2, 5}},
		"CreateGroup":          {CreateGroup{s, t, "g1"}},
		"GroupRequest":         {GroupRequest{s, t, g}, GroupRequest{s, s, s}},
		"GetConsumerOffset":    {offsetCase[getKind]{get}},
		"StoreConsumerOffset":  {offsetCase[storeKind]{off}},
		"DeleteConsumerOffset": {offsetCase[deleteKind]{del}},
		"CreateUser": {CreateUser{Username: "u", Password: "p", Status: UserActive},
			CreateUser{Username: "v", Password: "", Status: UserInactive, Permissions: (&Permissions{ReadStreams: true}).Append(nil)}},
		"UpdateUser": {UpdateUser{User: s, Username: "n", Status: UserInactive}, UpdateUser{User: NamedID("u")},
			UpdateUser{User: s, Options: opts}},
		"ChangePassword":    {ChangePassword{User: NamedID("u"), Current: "a", New: "b"}},
		"UpdatePermissions": {UpdatePermissions{User: s}, UpdatePermissions{User: s, Permissions: []byte{}}, UpdatePermissions{User: s, Permissions: (&Permissions{}).Append(nil)}},
		"UserRequest":       {UserRequest{s}, UserRequest{NamedID("root")}},
		"CreateToken":       {CreateToken{Name: "tok", Expiry: 1 << 40}},
		"DeleteToken":       {DeleteToken{Name: "tok"}},
		"ClientRequest":     {ClientRequest{7}},
		"DescribeOptions":   {DescribeOptions{1}},
		"SnapshotRequest":   {SnapshotRequest{Compression: 2, Types: []uint8{1, 100}}, SnapshotRequest{Compression: 1}},
	}
}

// encode appends v, a pointer-receiver body value, via reflection.
func encode(v any) []byte {
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	return p.Interface().(interface{ Append([]byte) []byte }).Append(nil)
}

// Every sample survives Append then Decode unchanged, and every strict
// prefix of a body without options fails with the type's status.
func TestRequestBodiesRoundTrip(t *testing.T) {
	samples := sampleBodies()
	for _, c := range bodyCases() {
		if len(samples[c.name]) == 0 {
			t.Fatalf("%s: no sample", c.name)
		}
		for _, want := range samples[c.name] {
			body := encode(want)
			got, st, again := c.run(body)
			if st != StatusOK || !reflect.DeepEqual(got, want) || !bytes.Equal(again, body) {
				t.Errorf("%s: %+v (%v) from % x, want %+v", c.name, got, st, body, want)
			}
			if bytes.Contains(body, []byte{2, 1, 0, 0, 0, 'k'}) {
				continue // options run to the end: a prefix may cut them
			}
			for n := range len(body) {
				_, st, _ := c.run(body[:n])
				if st == StatusOK || c.malformed != 0 && st != c.malformed {
					t.Errorf("%s: %d-byte prefix of % x: %v, want %v", c.name, n, body, st, c.malformed)
				}
			}
		}
	}
}

// wire.md §6.2: a CreateStream("s1") body is 02 73 31; names are 1..255
// bytes of UTF-8; options are kept raw for the metadata to parse.
func TestCreateStreamBody(t *testing.T) {
	var c CreateStream
	if st := c.Decode([]byte{0x02, 0x73, 0x31}); st != StatusOK || c.Name != "s1" || c.Options != nil {
		t.Fatalf("%+v %v", c, st)
	}
	for name, tc := range map[string]struct {
		body []byte
		want Status
	}{
		"empty":       {nil, StatusInvalidCommand},
		"empty name":  {[]byte{0}, StatusInvalidCommand},
		"cut name":    {[]byte{3, 'a'}, StatusInvalidCommand},
		"not utf-8":   {[]byte{1, 0xff}, StatusInvalidCommand},
		"options":     {[]byte{1, 'a', 9}, StatusOK},
		"bad options": {[]byte{1, 'a', 2, 0}, StatusOK}, // the metadata refuses them
	} {
		if st := c.Decode(tc.body); st != tc.want {
			t.Errorf("%s: %v, want %v", name, st, tc.want)
		}
	}
	body := []byte{1, 'a', 9, 8}
	c.Decode(body)
	body[2] = 0
	if !bytes.Equal(c.Options, []byte{9, 8}) {
		t.Fatalf("options alias the body: % x", c.Options)
	}
}

// The statuses Iggy's SDKs see for bodies that decode but are out of
// bounds, or carry bytes the command does not allow.
func TestRequestBodyStatuses(t *testing.T) {
	st3 := GroupRequest{NumericID(1), NamedID("topic"), NamedID("group")}
	topic := st3.Stream.Append(nil)
	topic = st3.Topic.Append(topic)
	offsets := (&ConsumerOffsetRequest{Consumer: Consumer{ConsumerSingle, NumericID(0)}, Stream: st3.Stream, Topic: st3.Topic,
		HasPartition: true, Partition: 3}).Append(OffsetGet, nil)
	user := NumericID(4).Append(nil)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for name, tc := range map[string]struct {
		st   Status
		want Status
	}{
		"0 partitions":        {new(PartitionsRequest).Decode(cat(topic, []byte{0, 0, 0, 0})), StatusTooManyPartitions},
		"1001 partitions":     {new(PartitionsRequest).Decode(cat(topic, []byte{0xe9, 3, 0, 0})), StatusTooManyPartitions},
		"has_partition 2":     {new(ConsumerOffsetRequest).Decode(OffsetGet, cat(offsets[:len(offsets)-5], []byte{2, 3, 0, 0, 0})), StatusInvalidCommand},
		"ack 2":               {new(ConsumerOffsetRequest).Decode(OffsetDelete, cat(offsets, []byte{2})), StatusInvalidCommand},
		"store ack 1":         {new(ConsumerOffsetRequest).Decode(OffsetStore, cat(offsets, make([]byte, 8), []byte{1})), StatusOK},
		"consumer kind 3":     {new(ConsumerOffsetRequest).Decode(OffsetGet, cat([]byte{3}, offsets[1:])), StatusInvalidCommand},
		"empty username":      {new(UpdateUser).Decode(cat(user, []byte{1, 0, 0})), StatusInvalidUsername},
		"cut username":        {new(UpdateUser).Decode(cat(user, []byte{1, 5, 'a'})), StatusInvalidUsername},
		"status 0":            {new(UpdateUser).Decode(cat(user, []byte{0, 1, 0})), StatusInvalidUserStatus},
		"username flag 2":     {new(UpdateUser).Decode(cat(user, []byte{2, 0})), StatusInvalidCommand},
		"user options":        {new(UpdateUser).Decode(cat(user, []byte{0, 0, 9})), StatusOK},
		"odd user identifier": {new(UserRequest).Decode([]byte{7, 1, 'x'}), StatusOK},
		"short user":          {new(UserRequest).Decode([]byte{1, 4, 0}), StatusResourceNotFound},
		"password trailing":   {new(ChangePassword).Decode(cat(user, []byte{1, 'a', 1, 'b', 0})), StatusInvalidCommand},
		"permissions flag 2":  {new(UpdatePermissions).Decode(cat(user, []byte{2})), StatusInvalidCommand},
		"permissions trailer": {new(UpdatePermissions).Decode(cat(user, []byte{0, 0})), StatusInvalidCommand},
		"create user flag 2":  {new(CreateUser).Decode([]byte{1, 'u', 1, 'p', 1, 2}), StatusOK},
		"token trailing":      {new(CreateToken).Decode(cat([]byte{1, 't'}, make([]byte, 9))), StatusInvalidCommand},
		"delete token extra":  {new(DeleteToken).Decode([]byte{1, 't', 0}), StatusInvalidCommand},
		"group trailing":      {new(GroupRequest).Decode(cat(st3.Append(nil), []byte{1, 2, 3})), StatusOK},
		"snapshot cut types":  {new(SnapshotRequest).Decode([]byte{1, 2, 1}), StatusInvalidCommand},
		"client id":           {new(ClientRequest).Decode([]byte{1, 2, 3}), StatusInvalidFormat},
	} {
		if tc.st != tc.want {
			t.Errorf("%s: %v, want %v", name, tc.st, tc.want)
		}
	}
}

// Decoding a body with numeric identifiers allocates nothing; each name
// (or options block) is one copy.
func TestRequestBodyAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	s, tp := NumericID(1), NumericID(2)
	for _, tc := range []struct {
		v    any
		want float64
	}{
		{StreamRequest{s}, 0},
		{TopicRequest{s, tp}, 0},
		{GroupRequest{s, tp, NumericID(3)}, 0},
		{PartitionsRequest{s, tp, 4}, 0},
		{DeleteSegments{s, tp, 1, 1}, 0},
		{offsetCase[storeKind]{ConsumerOffsetRequest{Consumer: Consumer{ConsumerSingle, s}, Stream: s, Topic: tp, Offset: 9}}, 0},
		{DescribeOptions{1}, 0},
		{ClientRequest{1}, 0},
		{UserRequest{s}, 0},
		{CreateStream{Name: "s1"}, 1},
		{CreateTopic{Stream: s, Partitions: 1, Name: "t1", Options: []byte{1}}, 2},
		{CreateGroup{s, tp, "g1"}, 1},
		{GroupRequest{NamedID("s1"), tp, NumericID(3)}, 1},
	} {
		body := encode(tc.v)
		dst := reflect.New(reflect.TypeOf(tc.v)).Interface().(interface{ Decode([]byte) Status })
		if n := testing.AllocsPerRun(100, func() {
			if dst.Decode(body) != StatusOK {
				t.Fatal("decode")
			}
		}); n != tc.want {
			t.Errorf("%T: %v allocs, want %v", tc.v, n, tc.want)
		}
	}
}

// FuzzRequestBodies runs every request body decoder on arbitrary bytes:
// no panics; whatever decodes re-encodes to bytes that decode and
// re-encode to themselves, and, for canonical encodings, decode to the
// same value and are a prefix of the input.
func FuzzRequestBodies(f *testing.F) {
	for _, vs := range sampleBodies() {
		for _, v := range vs {
			f.Add(encode(v))
		}
	}
	cases := bodyCases()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range cases {
			v, st, again := c.run(data)
			if st != StatusOK {
				continue
			}
			v2, st2, again2 := c.run(again)
			if st2 != StatusOK || !bytes.Equal(again, again2) || c.canonical && !reflect.DeepEqual(v, v2) {
				t.Fatalf("%s: %+v re-encodes to % x, which decodes to %+v (%v)", c.name, v, again, v2, st2)
			}
			if c.canonical && !bytes.HasPrefix(data, again) {
				t.Fatalf("%s: % x decodes to %s, which encodes to % x", c.name, data, fmt.Sprint(v), again)
			}
		}
	})
}
