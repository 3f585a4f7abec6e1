package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// The streams behaviours of Iggy's Go SDK e2e suite (wire.md §4), through
// Shoal's own client, over every transport (issue 7 acceptance).
func TestStreamsOverEveryTransport(t *testing.T) {
	forEachTransport(t, func(t *testing.T, _ *testServer, c *client.Client) { exerciseStreams(t, c) },
		client.WithCredentials("iggy", "iggy"))
}

func exerciseStreams(t *testing.T, c *client.Client) {
	ctx := context.Background()
	req := func(op wire.Operation, code uint32, body []byte) []byte {
		t.Helper()
		b, err := c.Request(ctx, op, code, body)
		if err != nil {
			t.Fatalf("%v %d: %v", op, code, err)
		}
		return b
	}
	// CreateStream replies with the StreamResponse; ids are 0-based.
	sr := req(wire.OpCreateStream, 0, append([]byte{6}, "orders"...))
	if binary.LittleEndian.Uint32(sr) != 0 {
		t.Fatalf("stream id %d", binary.LittleEndian.Uint32(sr))
	}
	if _, err := c.Request(ctx, wire.OpCreateStream, 0, append([]byte{6}, "orders"...)); !errors.Is(err, &client.StatusError{Status: wire.StatusStreamNameAlreadyExists}) {
		t.Fatalf("duplicate stream: %v", err)
	}
	topic := wire.NumericID(0).Append(nil)
	topic = binary.LittleEndian.AppendUint32(topic, 2)
	topic = append(topic, 2, 'e', 'u')
	req(wire.OpCreateTopic, 0, topic)

	// Three sends to partition 0: base offsets 0, 4, 8.
	for i, want := range []uint64{0, 4, 8} {
		msgs := make([]wire.MessageIn, 4)
		for j := range msgs {
			msgs[j] = wire.MessageIn{ID: [16]byte{byte(i), byte(j), 1}, OriginTimestamp: uint64(1000 + i), Payload: []byte(fmt.Sprintf("message %d", i*4+j))}
		}
		body, err := wire.AppendSendMessages(nil, wire.NamedID("orders"), wire.NamedID("eu"), wire.Partitioning{Kind: wire.PartitionByID}, msgs)
		if err != nil {
			t.Fatal(err)
		}
		confs, err := wire.DecodeSendConfirmations(req(wire.OpSendMessages, 0, body))
		if err != nil || len(confs) != 1 || confs[0].BaseOffset != want || confs[0].Partition != 0 {
			t.Fatalf("send %d: %+v %v", i, confs, err)
		}
	}
	// A corrupted batch is answered with a status, not dropped (S11).
	bad, _ := wire.AppendSendMessages(nil, wire.NumericID(0), wire.NumericID(0), wire.Partitioning{Kind: wire.PartitionByID},
		[]wire.MessageIn{{Payload: []byte("x")}})
	bad[len(bad)-1] ^= 1
	if _, err := c.Request(ctx, wire.OpSendMessages, 0, bad); !errors.Is(err, &client.StatusError{Status: wire.StatusInvalidMessageChecksum}) {
		t.Fatalf("corrupt batch: %v", err)
	}
	// Partition 5 does not exist.
	nope, _ := wire.AppendSendMessages(nil, wire.NumericID(0), wire.NumericID(0), wire.Partitioning{Kind: wire.PartitionByID, Partition: 5},
		[]wire.MessageIn{{Payload: []byte("x")}})
	if _, err := c.Request(ctx, wire.OpSendMessages, 0, nope); !errors.Is(err, &client.StatusError{Status: wire.StatusPartitionNotFound}) {
		t.Fatalf("missing partition: %v", err)
	}

	poll := func(strategy wire.PollingStrategy, count uint32, commit bool) []string {
		t.Helper()
		p := wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(7)}, Stream: wire.NumericID(0),
			Topic: wire.NumericID(0), HasPartition: true, Strategy: strategy, Count: count, AutoCommit: commit}
		var got []string
		if _, err := wire.DecodePollReply(req(wire.OpNonReplicated, client.CodePollMessages, p.Append(nil)), func(h *wire.BatchHeader, m *wire.Message) error {
			got = append(got, fmt.Sprintf("%d:%s", h.BaseOffset+uint64(m.OffsetDelta), m.Payload))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := poll(wire.PollingStrategy{Kind: wire.PollOffset, Value: 0}, 12, false); len(got) != 12 || got[0] != "0:message 0" || got[11] != "11:message 11" {
		t.Fatalf("poll offset 0: %v", got)
	}
	if got := poll(wire.PollingStrategy{Kind: wire.PollLast}, 2, false); fmt.Sprint(got) != "[10:message 10 11:message 11]" {
		t.Fatalf("poll last: %v", got)
	}
	// Next with auto-commit continues from the stored offset.
	if got := poll(wire.PollingStrategy{Kind: wire.PollNext}, 5, true); len(got) != 5 || got[0] != "0:message 0" {
		t.Fatalf("poll next: %v", got)
	}
	if got := poll(wire.PollingStrategy{Kind: wire.PollNext}, 2, true); fmt.Sprint(got) != "[5:message 5 6:message 6]" {
		t.Fatalf("poll next again: %v", got)
	}

	// Consumer offsets: store at ack 1, read back, delete.
	off := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(0)}.Append(nil)
	off = wire.NumericID(0).Append(off)
	off = wire.NumericID(0).Append(off)
	off = append(off, 1, 0, 0, 0, 0)
	store := binary.LittleEndian.AppendUint64(append([]byte(nil), off...), 3)
	req(wire.OpStoreConsumerOffset, 0, append(store, 1))
	got := req(wire.OpNonReplicated, client.CodeConsumerOffset, off)
	if len(got) != 20 || binary.LittleEndian.Uint64(got[12:]) != 3 {
		t.Fatalf("consumer offset %x", got)
	}
	req(wire.OpDeleteConsumerOffset, 0, append(append([]byte(nil), off...), 1))
	if got := req(wire.OpNonReplicated, client.CodeConsumerOffset, off); len(got) != 0 {
		t.Fatalf("deleted offset still there: %x", got)
	}

	// Partitions: create 2 more, delete the 2 highest.
	parts := wire.NumericID(0).Append(nil)
	parts = wire.NumericID(0).Append(parts)
	req(wire.OpCreatePartitions, 0, binary.LittleEndian.AppendUint32(append([]byte(nil), parts...), 2))
	th := req(wire.OpNonReplicated, client.CodeTopic, parts)
	if n := binary.LittleEndian.Uint32(th[12:]); n != 4 {
		t.Fatalf("%d partitions after create, want 4", n)
	}
	req(wire.OpDeletePartitions, 0, binary.LittleEndian.AppendUint32(append([]byte(nil), parts...), 2))
	th = req(wire.OpNonReplicated, client.CodeTopic, parts)
	if n := binary.LittleEndian.Uint32(th[12:]); n != 2 {
		t.Fatalf("%d partitions after delete, want 2", n)
	}

	// Consumer group: create (reply carries the group), join, sync owns
	// every partition, poll as the group, leave.
	grp := append(append([]byte(nil), parts...), 1, 'g')
	if g := req(wire.OpCreateConsumerGroup, 0, grp); len(g) < 13 {
		t.Fatalf("group reply %x", g)
	}
	gid := wire.NumericID(0).Append(append([]byte(nil), parts...))
	req(wire.OpJoinConsumerGroup, 0, gid)
	sync := req(wire.OpNonReplicated, client.CodeSyncGroup, gid)
	if len(sync) != 8+4+8 || binary.LittleEndian.Uint32(sync[8:]) != 2 {
		t.Fatalf("sync %x", sync)
	}
	gp := wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NumericID(0)}, Stream: wire.NumericID(0),
		Topic: wire.NumericID(0), HasPartition: true, Partition: 0, Strategy: wire.PollingStrategy{Kind: wire.PollNext}, Count: 3, AutoCommit: true}
	r, err := wire.DecodePollReply(req(wire.OpNonReplicated, client.CodePollMessages, gp.Append(nil)), nil)
	if err != nil || r.PartitionID != 0 || r.MessagesCount != 3 {
		t.Fatalf("group poll %+v %v", r, err)
	}
	req(wire.OpLeaveConsumerGroup, 0, gid)
	r, err = wire.DecodePollReply(req(wire.OpNonReplicated, client.CodePollMessages, gp.Append(nil)), nil)
	if err != nil || r.PartitionID != wire.PollResyncPartition {
		t.Fatalf("poll after leaving: %+v %v", r, err)
	}

	// Delete the stream; its id is free again and reads find nothing.
	req(wire.OpDeleteStream, 0, wire.NumericID(0).Append(nil))
	if b := req(wire.OpNonReplicated, client.CodeStreams, nil); len(b) != 0 {
		t.Fatalf("streams after delete: %x", b)
	}
	if _, err := c.Request(ctx, wire.OpSendMessages, 0, nope); !errors.Is(err, &client.StatusError{Status: wire.StatusStreamIdNotFound}) {
		t.Fatalf("send to a deleted stream: %v", err)
	}
}

// Messages and offsets survive a restart; a deleted topic's files are gone.
func TestStreamsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	ctx := context.Background()
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	for _, name := range []string{"keep", "drop"} {
		if _, err := c.Request(ctx, wire.OpCreateStream, 0, append([]byte{byte(len(name))}, name...)); err != nil {
			t.Fatal(err)
		}
		topic := wire.NamedID(name).Append(nil)
		topic = binary.LittleEndian.AppendUint32(topic, 1)
		topic = append(topic, 1, 't')
		if _, err := c.Request(ctx, wire.OpCreateTopic, 0, topic); err != nil {
			t.Fatal(err)
		}
		body, _ := wire.AppendSendMessages(nil, wire.NamedID(name), wire.NamedID("t"), wire.Partitioning{Kind: wire.PartitionByID},
			[]wire.MessageIn{{Payload: []byte(name + " 0")}, {Payload: []byte(name + " 1")}})
		if _, err := c.Request(ctx, wire.OpSendMessages, 0, body); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Request(ctx, wire.OpDeleteStream, 0, wire.NamedID("drop").Append(nil)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ts.stop()

	ts2 := startServer(t, dir)
	c2 := ts2.dial(client.WithCredentials("iggy", "iggy"))
	p := wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)}, Stream: wire.NamedID("keep"),
		Topic: wire.NamedID("t"), HasPartition: true, Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 10}
	b, err := c2.Request(ctx, wire.OpNonReplicated, client.CodePollMessages, p.Append(nil))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := wire.DecodePollReply(b, func(_ *wire.BatchHeader, m *wire.Message) error {
		got = append(got, string(m.Payload))
		return nil
	}); err != nil || fmt.Sprint(got) != "[keep 0 keep 1]" {
		t.Fatalf("after restart: %v %v", got, err)
	}
	p.Stream = wire.NamedID("drop")
	if _, err := c2.Request(ctx, wire.OpNonReplicated, client.CodePollMessages, p.Append(nil)); !errors.Is(err, &client.StatusError{Status: wire.StatusStreamIdNotFound}) {
		t.Fatalf("deleted stream: %v", err)
	}
}
