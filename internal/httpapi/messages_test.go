package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

type polled struct {
	PartitionID   uint32 `json:"partition_id"`
	CurrentOffset uint64 `json:"current_offset"`
	Count         uint32 `json:"count"`
	Messages      []struct {
		Header struct {
			ID            json.Number `json:"id"`
			Offset        uint64      `json:"offset"`
			Timestamp     uint64      `json:"timestamp"`
			PayloadLength uint32      `json:"payload_length"`
		} `json:"header"`
		Payload     []byte `json:"payload"`
		UserHeaders []struct {
			Key   struct{ Kind, Value string } `json:"key"`
			Value struct{ Kind, Value string } `json:"value"`
		} `json:"user_headers"`
	} `json:"messages"`
}

func partitionValue(p uint32) string {
	return base64.StdEncoding.EncodeToString(binary.LittleEndian.AppendUint32(nil, p))
}

// sendJSON is an Iggy SendMessages body of payloads to partition p.
func sendJSON(p uint32, payloads ...string) map[string]any {
	msgs := make([]any, len(payloads))
	for i, pl := range payloads {
		msgs[i] = map[string]any{"id": i + 1, "payload": base64.StdEncoding.EncodeToString([]byte(pl))}
	}
	return map[string]any{"partitioning": map[string]any{"kind": "partition_id", "value": partitionValue(p)}, "messages": msgs}
}

func setupTopic(e *env) {
	e.must(http.StatusOK, "POST", "/streams", e.root, map[string]string{"name": "s"})
	e.must(http.StatusOK, "POST", "/streams/s/topics", e.root, map[string]any{"name": "t", "partitions_count": 2})
}

// TestMessagesAndOffsets: send, poll, flush and the consumer offset
// routes, with their refusals.
func TestMessagesAndOffsets(t *testing.T) {
	e := start(t)
	setupTopic(e)
	e.must(http.StatusCreated, "POST", "/streams/s/topics/t/messages", e.root, sendJSON(1, "a", "b", "c"))
	headers := []any{map[string]any{"key": map[string]string{"kind": "string", "value": base64.StdEncoding.EncodeToString([]byte("k"))},
		"value": map[string]string{"kind": "uint8", "value": base64.StdEncoding.EncodeToString([]byte{7})}}}
	e.must(http.StatusCreated, "POST", "/streams/s/topics/t/messages", e.root, map[string]any{
		"partitioning": map[string]any{"kind": "partition_id", "value": partitionValue(1)},
		"messages":     []any{map[string]any{"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "payload": "ZA==", "user_headers": headers}}})
	var p polled
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/messages?partition_id=1&kind=offset&value=1&count=10", e.root, nil).json(t, &p)
	if p.PartitionID != 1 || p.Count != 3 || p.CurrentOffset != 3 || len(p.Messages) != 3 {
		t.Fatalf("poll %+v", p)
	}
	if m := p.Messages[0]; string(m.Payload) != "b" || m.Header.Offset != 1 || m.Header.ID != "2" || m.Header.Timestamp == 0 {
		t.Fatalf("first polled %+v", m)
	}
	if m := p.Messages[2]; string(m.Payload) != "d" || m.Header.ID != "20684434521572431564404614332563363086" || len(m.UserHeaders) != 1 || m.UserHeaders[0].Key.Kind != "string" ||
		m.UserHeaders[0].Value.Kind != "uint8" {
		t.Fatalf("message with headers %+v", m)
	}
	// Defaults: consumer 1, partition 0, offset 0, count 10.
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/messages", e.root, nil).json(t, &p)
	if p.PartitionID != 0 || p.Count != 0 || p.Messages == nil {
		t.Fatalf("empty poll %+v", p)
	}
	// Refusals.
	e.refused(http.StatusNotFound, uint32(wire.StatusPartitionNotFound), "POST", "/streams/s/topics/t/messages", e.root, sendJSON(9, "x"))
	e.refused(http.StatusNotFound, uint32(wire.StatusTopicIdNotFound), "POST", "/streams/s/topics/nope/messages", e.root, sendJSON(0, "x"))
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidMessagesCount), "POST", "/streams/s/topics/t/messages", e.root, sendJSON(0))
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "POST", "/streams/s/topics/t/messages", e.root,
		`{"partitioning":{"kind":"balanced"},"messages":[{"payload":"not base64!"}]}`)
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidKeyValueLength), "POST", "/streams/s/topics/t/messages", e.root,
		map[string]any{"partitioning": map[string]any{"kind": "partition_id", "value": "AQ=="}, "messages": []any{map[string]any{"payload": "eA=="}}})
	e.refused(http.StatusNotFound, uint32(wire.StatusPartitionNotFound), "GET", "/streams/s/topics/t/messages?partition_id=5", e.root, nil)
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCommand), "GET", "/streams/s/topics/t/messages?kind=sideways", e.root, nil)
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "GET", "/streams/s/topics/t/messages?count=-1", e.root, nil)
	big := bytes.Repeat([]byte("x"), 3_000_000)
	r := e.do("POST", "/streams/s/topics/t/messages", e.root, sendJSON(0, string(big)))
	if r.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body above max_request_size: %d", r.code)
	}

	// Flush.
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/messages/flush/1/true", e.root, nil)
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/messages/flush/0/false", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusPartitionNotFound), "GET", "/streams/s/topics/t/messages/flush/7/true", e.root, nil)
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "GET", "/streams/s/topics/t/messages/flush/1/maybe", e.root, nil)

	// Consumer offsets: none stored, store, get, auto-commit, delete.
	e.refused(http.StatusNotFound, 404, "GET", "/streams/s/topics/t/consumer-offsets?consumer_id=7&partition_id=1", e.root, nil)
	e.must(http.StatusNoContent, "PUT", "/streams/s/topics/t/consumer-offsets", e.root, map[string]any{"consumer_id": 7, "partition_id": 1, "offset": 2})
	var off struct {
		PartitionID   uint32 `json:"partition_id"`
		CurrentOffset uint64 `json:"current_offset"`
		StoredOffset  uint64 `json:"stored_offset"`
	}
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/consumer-offsets?consumer_id=7&partition_id=1", e.root, nil).json(t, &off)
	if off.PartitionID != 1 || off.StoredOffset != 2 || off.CurrentOffset != 3 {
		t.Fatalf("offset %+v", off)
	}
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/messages?consumer_id=7&partition_id=1&kind=next&count=10", e.root, nil).json(t, &p)
	if len(p.Messages) != 1 || p.Messages[0].Header.Offset != 3 {
		t.Fatalf("next after the stored offset: %+v", p)
	}
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/messages?consumer_id=ann&partition_id=1&kind=first&count=2&auto_commit=true", e.root, nil)
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/consumer-offsets?consumer_id=ann&partition_id=1", e.root, nil).json(t, &off)
	if off.StoredOffset != 1 {
		t.Fatalf("auto-committed offset %+v", off)
	}
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidOffset), "PUT", "/streams/s/topics/t/consumer-offsets", e.root,
		map[string]any{"consumer_id": 7, "partition_id": 1, "offset": 99})
	e.refused(http.StatusNotFound, uint32(wire.StatusPartitionNotFound), "PUT", "/streams/s/topics/t/consumer-offsets", e.root,
		map[string]any{"consumer_id": 7, "partition_id": 4, "offset": 0})
	e.must(http.StatusNoContent, "DELETE", "/streams/s/topics/t/consumer-offsets/7?partition_id=1", e.root, nil)
	e.refused(http.StatusNotFound, 404, "GET", "/streams/s/topics/t/consumer-offsets?consumer_id=7&partition_id=1", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusConsumerOffsetNotFound), "DELETE",
		"/streams/s/topics/t/consumer-offsets/7?partition_id=1", e.root, nil)
	// Balanced and keyed sends: two messages land, on some partitions.
	e.must(http.StatusCreated, "POST", "/streams/s/topics/t/messages", e.root, map[string]any{"partitioning": map[string]any{"kind": "balanced"},
		"messages": []any{map[string]any{"payload": "eA=="}}})
	e.must(http.StatusCreated, "POST", "/streams/s/topics/t/messages", e.root, map[string]any{
		"partitioning": map[string]any{"kind": "messages_key", "value": base64.StdEncoding.EncodeToString([]byte("user-1"))},
		"messages":     []any{map[string]any{"payload": "eA=="}}})

	var td topicDetails
	e.must(http.StatusOK, "GET", "/streams/s/topics/t", e.root, nil).json(t, &td)
	if td.MessagesCount != 6 {
		t.Fatalf("messages after balanced and keyed sends: %d, want 6", td.MessagesCount)
	}
}

// TestHTTPAndTCP: a message sent over HTTP is polled over TCP and the
// other way round: both front ends run the same partition code.
func TestHTTPAndTCP(t *testing.T) {
	e := start(t)
	setupTopic(e)
	ctx := context.Background()
	c := e.tcp("admin", "s3cret")
	e.must(http.StatusCreated, "POST", "/streams/s/topics/t/messages", e.root, sendJSON(0, "from-http-1", "from-http-2"))
	got, err := c.PollMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.ConsumerID(wire.NumericID(1)), 0,
		client.PollFromOffset(0), 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 2 || string(got.Messages[0].Payload) != "from-http-1" || string(got.Messages[1].Payload) != "from-http-2" {
		t.Fatalf("TCP poll of HTTP sends: %+v", got)
	}
	var id [16]byte
	id[0] = 42
	msgs := []client.Message{{ID: id, Payload: []byte("from-tcp"),
		Headers: []client.Header{{Key: client.StringValue("trace"), Value: client.StringValue("abc")}}}}
	if _, err := c.SendMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.PartitionID(1), msgs); err != nil {
		t.Fatal(err)
	}
	var p polled
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/messages?partition_id=1", e.root, nil).json(t, &p)
	if len(p.Messages) != 1 || string(p.Messages[0].Payload) != "from-tcp" || p.Messages[0].Header.ID != "42" ||
		len(p.Messages[0].UserHeaders) != 1 || p.Messages[0].UserHeaders[0].Value.Value != base64.StdEncoding.EncodeToString([]byte("abc")) {
		t.Fatalf("HTTP poll of a TCP send: %+v", p)
	}
	// Offsets stored over one protocol are read over the other.
	if err := c.StoreConsumerOffset(ctx, client.ConsumerID(wire.NumericID(5)), client.NamedID("s"), client.NamedID("t"), 0, 1); err != nil {
		t.Fatal(err)
	}
	var off struct {
		StoredOffset uint64 `json:"stored_offset"`
	}
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/consumer-offsets?consumer_id=5&partition_id=0", e.root, nil).json(t, &off)
	if off.StoredOffset != 1 {
		t.Fatalf("offset stored over TCP, read over HTTP: %+v", off)
	}
	e.must(http.StatusNoContent, "PUT", "/streams/s/topics/t/consumer-offsets", e.root, map[string]any{"consumer_id": "9", "partition_id": 0, "offset": 0})
	o, ok, err := c.GetConsumerOffset(ctx, client.ConsumerID(wire.NumericID(9)), client.NamedID("s"), client.NamedID("t"), 0)
	if err != nil || !ok || o.StoredOffset != 0 {
		t.Fatalf("offset stored over HTTP, read over TCP: %+v %v %v", o, ok, err)
	}
}
