package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// The HTTP API against the binary protocol in the same run, on the same
// server: produce and poll of 1 KiB messages in batches of 1,000 on one
// partition. SetBytes counts payload bytes, so MB/s compare directly.
//
//	go test -run '^$' -bench . -benchtime 3s ./internal/httpapi
const (
	benchBatch   = 1000
	benchPayload = 1024
	benchFill    = 20 // batches stored before the poll benchmarks
)

func benchEnv(b *testing.B) (*env, *client.Client) {
	e := start(b)
	setupTopic(e)
	return e, e.tcp("admin", "s3cret")
}

// benchSendBody is an Iggy SendMessages JSON body of benchBatch messages
// of benchPayload bytes to partition 0, encoded once (the client's work).
func benchSendBody(b *testing.B) []byte {
	msgs := make([]map[string]any, benchBatch)
	payload := bytes.Repeat([]byte{'x'}, benchPayload)
	for i := range msgs {
		msgs[i] = map[string]any{"id": i + 1, "payload": payload}
	}
	body, err := json.Marshal(map[string]any{"partitioning": map[string]any{"kind": "partition_id", "value": partitionValue(0)},
		"messages": msgs})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func benchMessages() []client.Message {
	msgs := make([]client.Message, benchBatch)
	for i := range msgs {
		msgs[i] = client.Message{Payload: bytes.Repeat([]byte{'x'}, benchPayload)}
	}
	return msgs
}

// post sends body and drains the answer, failing unless it is code.
func (e *env) post(b *testing.B, method, path string, body []byte, code int) {
	req, err := http.NewRequest(method, e.base+path, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.root)
	resp, err := e.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != code {
		b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

func BenchmarkProduce(b *testing.B) {
	b.Run("http", func(b *testing.B) {
		e, _ := benchEnv(b)
		body := benchSendBody(b)
		b.SetBytes(benchBatch * benchPayload)
		b.ReportAllocs()
		for b.Loop() {
			e.post(b, "POST", "/streams/s/topics/t/messages", body, http.StatusCreated)
		}
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("tcp", func(b *testing.B) {
		_, c := benchEnv(b)
		msgs := benchMessages()
		ctx := context.Background()
		b.SetBytes(benchBatch * benchPayload)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.SendMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.PartitionID(0), msgs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "msgs/s")
	})
}

func BenchmarkPoll(b *testing.B) {
	fill := func(b *testing.B, c *client.Client) {
		msgs := benchMessages()
		for range benchFill {
			if _, err := c.SendMessages(context.Background(), client.NamedID("s"), client.NamedID("t"), client.PartitionID(0), msgs); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("http", func(b *testing.B) {
		e, c := benchEnv(b)
		fill(b, c)
		b.SetBytes(benchBatch * benchPayload)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			path := fmt.Sprintf("/streams/s/topics/t/messages?partition_id=0&kind=offset&value=%d&count=%d", (i%benchFill)*benchBatch, benchBatch)
			e.post(b, "GET", path, nil, http.StatusOK)
			i++
		}
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("tcp", func(b *testing.B) {
		_, c := benchEnv(b)
		fill(b, c)
		ctx := context.Background()
		b.SetBytes(benchBatch * benchPayload)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			p, err := c.PollMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.ConsumerID(wire.NumericID(1)), 0,
				client.PollFromOffset(uint64((i%benchFill)*benchBatch)), benchBatch, false)
			if err != nil || len(p.Messages) != benchBatch {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "msgs/s")
	})
}
