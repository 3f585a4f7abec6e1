package server

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// DeleteSegments removes a partition's oldest sealed segments, stops at a
// consumer's stored offset, keeps the active segment, and survives a
// restart.
func TestDeleteSegments(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	ctx := context.Background()
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	must := mustFunc(t)
	s, tp := client.NamedID("s"), client.NamedID("t")
	segments := segmentedTopic(t, c, nil, 5, 1000) // ~1 MiB a batch: a segment each
	first := func() uint64 {
		t.Helper()
		p, err := c.PollMessages(ctx, s, tp, wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(9)}, 0,
			wire.PollingStrategy{Kind: wire.PollOffset}, 1, false)
		must(err)
		return p.Messages[0].Offset
	}
	before := segments(c)
	if before < 5 {
		t.Fatalf("%d segments", before)
	}
	must(c.DeleteSegments(ctx, s, tp, 0, 2))
	if got := segments(c); got != before-2 {
		t.Fatalf("%d segments after deleting 2 of %d", got, before)
	}
	kept := first()
	if kept == 0 {
		t.Fatal("offset 0 still served")
	}

	// A consumer at the first kept offset holds back everything after it.
	must(c.StoreConsumerOffset(ctx, wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)}, s, tp, 0, kept))
	must(c.DeleteSegments(ctx, s, tp, 0, 10))
	if got := segments(c); got != before-2 {
		t.Fatalf("deleted past a consumer: %d segments", got)
	}
	if err := c.DeleteSegments(ctx, s, tp, 3, 1); err == nil || !strings.Contains(err.Error(), "PartitionNotFound") && !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing partition: %v", err)
	}

	c.Close()
	ts.stop()
	ts2 := startServer(t, dir)
	c = ts2.dial(client.WithCredentials("iggy", "iggy"))
	if got := segments(c); got != before-2 {
		t.Fatalf("%d segments after restart", got)
	}
	if got := first(); got != kept {
		t.Fatalf("first offset %d after restart, want %d", got, kept)
	}
}

// segmentedTopic creates stream s with topic t of one partition (options
// added to a 1 MiB segment size), sends batches batches of 1000 messages
// of size bytes to it, and returns a function reading its segment count
// through a client.
func segmentedTopic(t *testing.T, c *client.Client, options map[string]string, batches, size int) func(*client.Client) uint32 {
	t.Helper()
	ctx := context.Background()
	must := mustFunc(t)
	s, tp := client.NamedID("s"), client.NamedID("t")
	_, err := c.CreateStream(ctx, "s")
	must(err)
	opts := map[string]string{"segment_size": "1 MiB"}
	maps.Copy(opts, options)
	_, err = c.CreateTopic(ctx, s, "t", 1, opts)
	must(err)
	payload := []byte(strings.Repeat("x", size))
	for range batches {
		msgs := make([]client.Message, 1000)
		for i := range msgs {
			msgs[i].Payload = payload
		}
		_, err := c.SendMessages(ctx, s, tp, client.PartitionID(0), msgs)
		must(err)
	}
	return func(c *client.Client) uint32 {
		t.Helper()
		topic, err := c.GetTopic(ctx, s, tp)
		must(err)
		return topic.Partitions[0].SegmentsCount
	}
}
