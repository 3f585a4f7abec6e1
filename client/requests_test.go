package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// The request bodies the typed API sends, byte for byte (wire.md §3.2),
// checked at a scripted peer; the server's answers are tested against the
// real server in server_test.go.
func TestRequestBodies(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		if h.Code == wire.CodeClusterMetadata {
			return server(n, h, body) // the leader check after the login
		}
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
		switch {
		case h.Operation == wire.OpRegister:
			return [][]byte{reply(h, 0, loginOK(5))}
		case h.Operation == wire.OpCreateStream:
			return [][]byte{reply(h, 0, appendTestStream(wire.AppendResultOK(nil), testStream))}
		case h.Operation == wire.OpCreateTopic:
			return [][]byte{reply(h, 0, append(wire.AppendResultOK(nil), testBodies()["GetTopic"]...))}
		case h.Operation == wire.OpSendMessages:
			return [][]byte{reply(h, 0, wire.AppendSendConfirmations(nil, wire.SendConfirmation{Stream: 1, Topic: 3, Partition: 2, BaseOffset: 40}))}
		case h.Operation == wire.OpNonReplicated && h.Code == wire.CodePollMessages:
			return [][]byte{reply(h, 0, testPollBody())}
		case h.Operation == wire.OpNonReplicated && h.Code == wire.CodeGetConsumerOffset:
			return [][]byte{reply(h, 0, testBodies()["GetConsumerOffset"])}
		}
		return server(n, h, body)
	})
	c := dial(t, p, WithCredentials("iggy", "iggy"))
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.CreateStream(ctx, "orders")
	must(err)
	if s.Name != "orders" || s.ID != 1 {
		t.Fatalf("stream %+v", s)
	}
	tp, err := c.CreateTopic(ctx, NumericID(1), "ev", 2, map[string]string{"segment_size": "16MiB", "enforce_fsync": "true"})
	must(err)
	if len(tp.Partitions) != 2 {
		t.Fatalf("topic %+v", tp)
	}
	must(c.CreatePartitions(ctx, NamedID("orders"), NumericID(3), 4))
	must(c.DeletePartitions(ctx, NamedID("orders"), NumericID(3), 1))
	r, err := c.SendMessages(ctx, NumericID(1), NumericID(3), MessagesKey([]byte("k")), []Message{{ID: [16]byte{9}, Payload: []byte("hi")}})
	must(err)
	if r != (SendResult{Stream: 1, Topic: 3, Partition: 2, BaseOffset: 40}) {
		t.Fatalf("send %+v", r)
	}
	pl, err := c.PollMessages(ctx, NumericID(1), NumericID(3), ConsumerID(NamedID("c")), 2, PollFromOffset(7), 5, true)
	must(err)
	if len(pl.Messages) != 3 {
		t.Fatalf("poll %+v", pl)
	}
	must(c.StoreConsumerOffset(ctx, GroupConsumer(NumericID(4)), NumericID(1), NumericID(3), 2, 9))
	off, ok, err := c.GetConsumerOffset(ctx, DefaultConsumer(), NumericID(1), NumericID(3), 1)
	must(err)
	if !ok || off.StoredOffset != 4 {
		t.Fatalf("offset %+v %v", off, ok)
	}

	h := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	u32 := func(v uint32) string { return hex.EncodeToString(binary.LittleEndian.AppendUint32(nil, v)) }
	u64 := func(v uint64) string { return hex.EncodeToString(binary.LittleEndian.AppendUint64(nil, v)) }
	tlv := func(kind byte, v string) string {
		return hex.EncodeToString(appendTLV(nil, ValueKind(kind), []byte(v)))
	}
	num := func(v uint32) string { return "0104" + u32(v) }
	want := map[int][]byte{
		1: h("06" + hex.EncodeToString([]byte("orders"))),
		// Options sorted by key, every value a String.
		2: h(num(1) + u32(2) + "02" + hex.EncodeToString([]byte("ev")) +
			tlv(2, "enforce_fsync") + tlv(2, "true") + tlv(2, "segment_size") + tlv(2, "16MiB")),
		3: h("0206" + hex.EncodeToString([]byte("orders")) + num(3) + u32(4)),
		4: h("0206" + hex.EncodeToString([]byte("orders")) + num(3) + u32(1)),
		// Poll: consumer kind 1 named "c", partition given, Offset 7, count 5, auto-commit.
		6: h("01" + "0201" + hex.EncodeToString([]byte("c")) + num(1) + num(3) + "01" + u32(2) + "01" + u64(7) + u32(5) + "01"),
		// Store: group 4, partition 2, offset 9, ack Quorum.
		7: h("02" + num(4) + num(1) + num(3) + "01" + u32(2) + u64(9) + "01"),
		8: h("01" + num(0) + num(1) + num(3) + "01" + u32(1)),
	}
	mu.Lock()
	defer mu.Unlock()
	for i, w := range want {
		if !bytes.Equal(bodies[i], w) {
			t.Errorf("request %d body\n got %x\nwant %x", i, bodies[i], w)
		}
	}
	// The send is a valid SendMessages body partitioned by key.
	var sm wire.SendMessages
	if err := sm.Decode(bodies[5]); err != nil || sm.Partitioning.Kind != wire.PartitionByMessageID || string(sm.Partitioning.Key) != "k" {
		t.Fatalf("send body: %v %+v", err, sm.Partitioning)
	}
	m, _, err := wire.ParseMessage(sm.Batch[wire.BatchHeaderSize:], 0)
	if err != nil || m.ID[0] != 9 || string(m.Payload) != "hi" {
		t.Fatalf("sent message %+v %v", m, err)
	}
	ops := []wire.Operation{wire.OpRegister, wire.OpCreateStream, wire.OpCreateTopic, wire.OpCreatePartitions, wire.OpDeletePartitions,
		wire.OpSendMessages, wire.OpNonReplicated, wire.OpStoreConsumerOffset, wire.OpNonReplicated}
	reqs := p.requests()
	if len(reqs) != len(ops)+1 || reqs[1].Code != wire.CodeClusterMetadata {
		t.Fatalf("%d requests, want %d and the leader check after the login", len(reqs), len(ops)+1)
	}
	reqs = slices.Delete(reqs, 1, 2)
	for i, rh := range reqs {
		if rh.Operation != ops[i] {
			t.Errorf("request %d: %v, want %v", i, rh.Operation, ops[i])
		}
	}
}

// Bad arguments are refused before anything is sent.
func TestArgumentChecks(t *testing.T) {
	p := newPeer(t, server)
	c := dial(t, p, WithCredentials("iggy", "iggy"))
	ctx := context.Background()
	long := string(bytes.Repeat([]byte{'x'}, 256))
	for name, err := range map[string]error{
		"empty stream name": func() error { _, err := c.CreateStream(ctx, ""); return err }(),
		"long stream name":  func() error { _, err := c.CreateStream(ctx, long); return err }(),
		"empty identifier":  c.DeleteStream(ctx, NamedID("")),
		"long topic name":   func() error { _, err := c.CreateTopic(ctx, NumericID(0), long, 1, nil); return err }(),
		"empty option value": func() error {
			_, err := c.CreateTopic(ctx, NumericID(0), "t", 1, map[string]string{"k": ""})
			return err
		}(),
		"no messages": func() error {
			_, err := c.SendMessages(ctx, NumericID(0), NumericID(0), PartitionID(0), nil)
			return err
		}(),
		"empty key": func() error {
			_, err := c.SendMessages(ctx, NumericID(0), NumericID(0), MessagesKey(nil), []Message{{}})
			return err
		}(),
		"header without kind": func() error {
			_, err := c.SendMessages(ctx, NumericID(0), NumericID(0), PartitionID(0), []Message{{Headers: []Header{{Key: Value{Raw: []byte("k")}, Value: StringValue("v")}}}})
			return err
		}(),
		"bad consumer": func() error {
			_, _, err := c.GetConsumerOffset(ctx, ConsumerID(NamedID("")), NumericID(0), NumericID(0), 0)
			return err
		}(),
	} {
		if err == nil {
			t.Errorf("%s accepted", name)
		} else if errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(p.requests()); n != 2 { // the login and the leader check
		t.Fatalf("%d requests sent", n)
	}
}
