package server

import (
	"context"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestManyPartitions creates a topic with the most partitions a request
// may ask for, far more than an owner's lifecycle lane holds, sends to the
// last one, restarts (every partition opened again), deletes it: no
// partition may be refused as "owner busy" on the way.
func TestManyPartitions(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	ctx := context.Background()
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	must := mustFunc(t)
	_, err := c.CreateStream(ctx, "s")
	must(err)
	n := uint32(wire.MaxPartitionsPerRequest)
	tp, err := c.CreateTopic(ctx, client.NamedID("s"), "t", n, nil)
	must(err)
	if tp.PartitionsCount != n {
		t.Fatalf("topic has %d partitions, want %d", tp.PartitionsCount, n)
	}
	_, err = c.SendMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.PartitionID(n-1), []client.Message{{Payload: []byte("x")}})
	must(err)
	c.Close()
	ts.stop()

	ts = startServer(t, dir)
	c = ts.dial(client.WithCredentials("iggy", "iggy"))
	got, err := c.PollMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.DefaultConsumer(), n-1,
		client.PollingStrategy{Kind: wire.PollFirst}, 10, false)
	must(err)
	if len(got.Messages) != 1 {
		t.Fatalf("after restart, partition %d holds %d messages, want 1", n-1, len(got.Messages))
	}
	must(c.DeleteTopic(ctx, client.NamedID("s"), client.NamedID("t")))
}
