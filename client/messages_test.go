package client

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

var testHeaders = []Header{{Key: StringValue("trace"), Value: Value{Kind: KindUint32, Raw: []byte{7, 0, 0, 0}}}}

// testPollBody is a PollMessages reply from partition 1 holding two
// records: offsets 10-11 and 12, stamped as a server stores them.
func testPollBody() []byte {
	var headers []byte
	for _, h := range testHeaders {
		headers = appendTLV(appendTLV(headers, h.Key.Kind, h.Key.Raw), h.Value.Kind, h.Value.Raw)
	}
	record := func(base uint64, msgs ...wire.MessageIn) []byte {
		b, err := wire.AppendBatch(nil, msgs)
		if err != nil {
			panic(err)
		}
		var h wire.BatchHeader
		if err := h.Decode(b); err != nil {
			panic(err)
		}
		h.PartitionID, h.BaseOffset, h.BaseTimestamp = 1, base, 1_700_000_000_500_000
		h.Put(b)
		return b
	}
	body := (&wire.PollReply{PartitionID: 1, CurrentOffset: 12, MessagesCount: 3}).Append(nil)
	body = append(body, record(10,
		wire.MessageIn{ID: [16]byte{1}, OriginTimestamp: 1_700_000_000_000_000, Payload: []byte("a"), UserHeaders: headers},
		wire.MessageIn{ID: [16]byte{2}, OriginTimestamp: 1_700_000_000_000_007, Payload: []byte("bb")})...)
	return append(body, record(12, wire.MessageIn{ID: [16]byte{3}, OriginTimestamp: 1_700_000_000_100_000, Payload: []byte("ccc"),
		UserHeaders: []byte{9, 9}})...)
}

func TestDecodePolled(t *testing.T) {
	p, err := decodePolled(testPollBody())
	if err != nil {
		t.Fatal(err)
	}
	if p.Partition != 1 || p.CurrentOffset != 12 || len(p.Messages) != 3 {
		t.Fatalf("%+v", p)
	}
	for i, want := range []struct {
		offset  uint64
		payload string
		origin  int64
	}{{10, "a", 1_700_000_000_000_000}, {11, "bb", 1_700_000_000_000_007}, {12, "ccc", 1_700_000_000_100_000}} {
		m := p.Messages[i]
		if m.Offset != want.offset || string(m.Payload) != want.payload || m.ID != [16]byte{byte(i + 1)} ||
			m.OriginTimestamp.UnixMicro() != want.origin || m.Timestamp.UnixMicro() != 1_700_000_000_500_000 {
			t.Errorf("message %d: %+v", i, m)
		}
	}
	if h := p.Messages[0].Headers; len(h) != 1 || h[0].Key.String() != "trace" || h[0].Value.String() != "7" {
		t.Errorf("headers %+v", h)
	}
	if m := p.Messages[2]; m.Headers != nil || !bytes.Equal(m.RawHeaders, []byte{9, 9}) {
		t.Errorf("malformed headers are kept raw only: %+v", m)
	}
	// An empty poll is the 16-byte prefix.
	if p, err := decodePolled((&wire.PollReply{CurrentOffset: 3}).Append(nil)); err != nil || len(p.Messages) != 0 || p.CurrentOffset != 3 {
		t.Fatalf("empty poll: %+v %v", p, err)
	}
	// A count that disagrees with the records is malformed.
	bad := testPollBody()
	binary.LittleEndian.PutUint32(bad[12:], 4)
	if _, err := decodePolled(bad); !errors.Is(err, ErrMalformedReply) {
		t.Fatalf("wrong count: %v", err)
	}
}

func TestDecodeConsumerOffset(t *testing.T) {
	off, ok, err := decodeConsumerOffset(testBodies()["GetConsumerOffset"])
	if err != nil || !ok || off != (ConsumerOffset{Partition: 1, CurrentOffset: 9, StoredOffset: 4}) {
		t.Fatalf("%+v %v %v", off, ok, err)
	}
	if _, ok, err := decodeConsumerOffset(nil); ok || err != nil {
		t.Fatalf("empty body: %v %v", ok, err)
	}
}

func TestDecodeTLV(t *testing.T) {
	var b []byte
	b = appendTLV(appendTLV(b, KindString, []byte("k")), KindRaw, []byte{1, 2})
	hs, err := decodeTLV(b)
	if err != nil || len(hs) != 1 || hs[0].Key.String() != "k" || hs[0].Value.String() != "0x0102" {
		t.Fatalf("%+v %v", hs, err)
	}
	for i := 1; i < len(b); i++ {
		if _, err := decodeTLV(b[:i]); err == nil {
			t.Errorf("prefix %d decoded", i)
		}
	}
	for _, bad := range [][]byte{
		appendTLV(appendTLV(nil, 0, []byte("k")), KindRaw, []byte{1}),              // kind 0
		appendTLV(appendTLV(nil, KindString, nil), KindRaw, []byte{1}),             // empty key
		appendTLV(appendTLV(nil, KindString, []byte("k")), 16, []byte{1}),          // unknown kind
		appendTLV(appendTLV(nil, KindString, []byte("k")), KindRaw, nil),           // empty value
		appendTLV(nil, KindString, bytes.Repeat([]byte{'k'}, 256)),                 // too long
		append(appendTLV(nil, KindString, []byte("k")), 2, 0xff, 0xff, 0xff, 0xff), // overrun
	} {
		if _, err := decodeTLV(bad); err == nil {
			t.Errorf("%x decoded", bad)
		}
	}
}

func TestMessageIDs(t *testing.T) {
	a, b := newMessageID(), newMessageID()
	if a == b || a[6]>>4 != 4 || a[8]>>6 != 2 {
		t.Fatalf("%x %x", a, b)
	}
}

// FuzzDecodeReplies feeds every reply decoder arbitrary bytes: none may
// panic, and an error must be ErrMalformedReply. Run it with
// go test ./client -run='^$' -fuzz=FuzzDecodeReplies -fuzztime=60s.
func FuzzDecodeReplies(f *testing.F) {
	kinds := []string{"GetStream", "GetStreams", "GetTopic", "GetTopics", "PollMessages", "GetConsumerOffset"}
	for i, kind := range kinds {
		f.Add(uint8(i), testBodies()[kind])
	}
	f.Fuzz(func(t *testing.T, k uint8, b []byte) {
		kind := kinds[int(k)%len(kinds)]
		if _, err := decodeAny(kind, b); err != nil && !errors.Is(err, ErrMalformedReply) {
			t.Fatalf("%s: %v", kind, err)
		}
		_, _ = decodeTLV(b)
	})
}
