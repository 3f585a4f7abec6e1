package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/server/servertest"
	"github.com/shoal-io/shoal/internal/wire"
)

// The typed API against a real server started in-process, over TCP,
// WebSocket and QUIC.
func TestStreamsAndMessagesAgainstServer(t *testing.T) {
	srv := servertest.Start(t)
	for _, tc := range []struct {
		transport Transport
		listener  string
	}{{TCP, "tcp"}, {WS, "websocket"}, {QUIC, "quic"}} {
		t.Run(string(tc.transport), func(t *testing.T) {
			c, err := Dial(context.Background(), srv.Addr(tc.listener).String(), WithTransport(tc.transport), WithHeartbeat(0),
				WithCredentials(servertest.Username, servertest.Password), WithTLSConfig(srv.ClientTLS()))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			exercise(t, c, "orders-"+string(tc.transport))
		})
	}
}

func exercise(t *testing.T, c *Client, name string) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	notFound := func(err error, what string) {
		t.Helper()
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), what+" not found") {
			t.Fatalf("want %q not found, got %v", what, err)
		}
	}

	// Streams.
	s, err := c.CreateStream(ctx, name)
	must(err)
	if s.Name != name || s.CreatedAt.IsZero() || s.TopicsCount != 0 {
		t.Fatalf("created %+v", s)
	}
	if _, err := c.CreateStream(ctx, name); !errors.Is(err, &StatusError{Status: wire.StatusStreamNameAlreadyExists}) ||
		!strings.Contains(err.Error(), name) {
		t.Fatalf("duplicate stream: %v", err)
	}
	got, err := c.GetStream(ctx, NumericID(s.ID))
	must(err)
	if got.Name != name || got.ID != s.ID {
		t.Fatalf("GetStream %+v", got)
	}
	all, err := c.GetStreams(ctx)
	must(err)
	if !containsStream(all, name) {
		t.Fatalf("GetStreams %+v lacks %s", all, name)
	}
	_, err = c.GetStream(ctx, NamedID("nope"))
	notFound(err, `stream "nope"`)
	notFound(c.DeleteStream(ctx, NamedID("nope")), `stream "nope"`)
	_, err = c.GetTopics(ctx, NamedID("nope"))
	notFound(err, `stream "nope"`)
	_, err = c.CreateTopic(ctx, NamedID("nope"), "t", 1, nil)
	notFound(err, `stream "nope"`)

	// Topics, with options.
	stream := NamedID(name)
	tp, err := c.CreateTopic(ctx, stream, "events", 2, map[string]string{"enforce_fsync": "true"})
	must(err)
	if tp.Name != "events" || tp.PartitionsCount != 2 || len(tp.Partitions) != 2 || tp.Compression != "none" {
		t.Fatalf("created topic %+v", tp)
	}
	if len(tp.Options) != 1 || tp.Options[0].Key != "enforce_fsync" || tp.Options[0].Value.String() != "true" ||
		tp.Options[0].Value.Kind != KindBool || len(tp.DerivedOptions) != 7 {
		t.Fatalf("options %+v derived %+v", tp.Options, tp.DerivedOptions)
	}
	if _, err := c.CreateTopic(ctx, stream, "bad", 1, map[string]string{"colour": "red"}); !errors.Is(err, &StatusError{Status: wire.StatusUnsupportedOptionKey}) {
		t.Fatalf("unknown option: %v", err)
	}
	topic := NamedID("events")
	_, err = c.GetTopic(ctx, stream, NamedID("nope"))
	notFound(err, `topic "nope"`)
	_, err = c.GetTopic(ctx, NamedID("nope"), topic)
	notFound(err, `stream "nope"`)
	notFound(c.DeleteTopic(ctx, stream, NumericID(9)), "topic 9")
	ts, err := c.GetTopics(ctx, stream)
	must(err)
	if len(ts) != 1 || ts[0].Name != "events" || ts[0].Partitions != nil {
		t.Fatalf("GetTopics %+v", ts)
	}

	// Partitions: 2 + 3 - 2.
	must(c.CreatePartitions(ctx, stream, topic, 3))
	must(c.DeletePartitions(ctx, stream, topic, 2))
	tp, err = c.GetTopic(ctx, stream, topic)
	must(err)
	if len(tp.Partitions) != 3 || tp.Partitions[2].ID != 2 {
		t.Fatalf("partitions %+v", tp.Partitions)
	}
	notFound(c.CreatePartitions(ctx, stream, NamedID("nope"), 1), `topic "nope"`)

	// Messages: two sends to partition 1, then one by key and one balanced.
	for i, want := range []uint64{0, 3} {
		msgs := make([]Message, 3)
		for j := range msgs {
			msgs[j] = Message{Payload: fmt.Appendf(nil, "m%d", i*3+j), Headers: testHeaders}
		}
		msgs[0].ID = [16]byte{0xaa, byte(i)}
		r, err := c.SendMessages(ctx, stream, topic, PartitionID(1), msgs)
		must(err)
		if r.Partition != 1 || r.BaseOffset != want || r.Stream != s.ID || r.Topic != tp.ID {
			t.Fatalf("send %d: %+v", i, r)
		}
	}
	r, err := c.SendMessages(ctx, stream, topic, MessagesKey([]byte("user-1")), []Message{{Payload: []byte("k")}})
	must(err)
	if r.Partition > 2 {
		t.Fatalf("keyed send %+v", r)
	}
	_, err = c.SendMessages(ctx, stream, topic, Balanced(), []Message{{Payload: []byte("b")}})
	must(err)
	_, err = c.SendMessages(ctx, stream, topic, PartitionID(9), []Message{{Payload: []byte("x")}})
	notFound(err, "partition 9")
	_, err = c.SendMessages(ctx, NamedID("nope"), topic, PartitionID(0), []Message{{Payload: []byte("x")}})
	notFound(err, `stream "nope"`)
	if _, err := c.SendMessages(ctx, stream, topic, PartitionID(0), nil); err == nil {
		t.Fatal("empty send accepted")
	}

	payloads := func(p *Polled) string {
		var parts []string
		for _, m := range p.Messages {
			parts = append(parts, fmt.Sprintf("%d:%s", m.Offset, m.Payload))
		}
		return strings.Join(parts, " ")
	}
	poll := func(cons Consumer, strategy PollingStrategy, count uint32, commit bool) *Polled {
		t.Helper()
		p, err := c.PollMessages(ctx, stream, topic, cons, 1, strategy, count, commit)
		must(err)
		return p
	}
	p := poll(DefaultConsumer(), PollFromOffset(0), 10, false)
	if got := payloads(p); !strings.HasPrefix(got, "0:m0 1:m1 2:m2 3:m3 4:m4 5:m5") || p.Partition != 1 || p.CurrentOffset < 5 {
		t.Fatalf("poll from 0: %s (%+v)", got, p)
	}
	m := p.Messages[0]
	if m.ID != [16]byte{0xaa} || len(m.Headers) != 1 || m.Headers[0].Value.String() != "7" || m.Timestamp.IsZero() || m.OriginTimestamp.IsZero() {
		t.Fatalf("message 0: %+v", m)
	}
	if p.Messages[1].ID == ([16]byte{}) {
		t.Fatal("zero id not replaced")
	}
	if got := payloads(poll(DefaultConsumer(), PollFirst(), 1, false)); got != "0:m0" {
		t.Fatalf("first: %s", got)
	}
	if got := payloads(poll(DefaultConsumer(), PollFromOffset(2), 2, false)); got != "2:m2 3:m3" {
		t.Fatalf("offset 2: %s", got)
	}

	// Next with auto-commit walks on; the stored offset follows.
	cons := ConsumerID(NamedID("reader-" + name))
	if _, ok, err := c.GetConsumerOffset(ctx, cons, stream, topic, 1); ok || err != nil {
		t.Fatalf("offset before polling: %v %v", ok, err)
	}
	if got := payloads(poll(cons, PollNext(), 4, true)); got != "0:m0 1:m1 2:m2 3:m3" {
		t.Fatalf("next: %s", got)
	}
	off, ok, err := c.GetConsumerOffset(ctx, cons, stream, topic, 1)
	must(err)
	if !ok || off.StoredOffset != 3 || off.Partition != 1 {
		t.Fatalf("stored offset %+v %v", off, ok)
	}
	if got := payloads(poll(cons, PollNext(), 2, true)); got != "4:m4 5:m5" {
		t.Fatalf("next again: %s", got)
	}
	must(c.StoreConsumerOffset(ctx, cons, stream, topic, 1, 1))
	if got := payloads(poll(cons, PollNext(), 1, false)); got != "2:m2" {
		t.Fatalf("next after store: %s", got)
	}
	must(c.DeleteConsumerOffset(ctx, cons, stream, topic, 1))
	if _, ok, err := c.GetConsumerOffset(ctx, cons, stream, topic, 1); ok || err != nil {
		t.Fatalf("offset after delete: %v %v", ok, err)
	}
	notFound(c.StoreConsumerOffset(ctx, cons, stream, topic, 7, 0), "partition 7")
	_, err = c.PollMessages(ctx, stream, topic, cons, 7, PollFirst(), 1, false)
	notFound(err, "partition 7")
	_, err = c.PollMessages(ctx, stream, NamedID("nope"), cons, 0, PollFirst(), 1, false)
	notFound(err, `topic "nope"`)

	// The stream's counters see the messages.
	got, err = c.GetStream(ctx, stream)
	must(err)
	if got.TopicsCount != 1 || len(got.Topics) != 1 || got.MessagesCount != 8 || got.Topics[0].MessagesCount != 8 {
		t.Fatalf("stream after sends %+v", got)
	}

	must(c.DeleteTopic(ctx, stream, topic))
	_, err = c.GetTopic(ctx, stream, topic)
	notFound(err, `topic "events"`)
	must(c.DeleteStream(ctx, stream))
	_, err = c.GetStream(ctx, stream)
	notFound(err, fmt.Sprintf("stream %q", name))
}

func containsStream(ss []Stream, name string) bool {
	for _, s := range ss {
		if s.Name == name {
			return true
		}
	}
	return false
}
