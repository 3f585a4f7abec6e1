package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// The segment cleaner enforces max_topic_size (a partition keeps its
// share, at least one segment plus one frame) and message_expiry (sealed
// segments whose newest message is older go), never the active segment.
func TestRetention(t *testing.T) {
	ts := startServer(t, "", func(o *Options) { o.Bus.MaxMessageSize = 2 << 20 })
	ctx := context.Background()
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	must := mustFunc(t)
	s, tp := client.NamedID("s"), client.NamedID("t")
	_, err := c.CreateStream(ctx, "s")
	must(err)
	_, err = c.CreateTopic(ctx, s, "t", 1, map[string]string{"segment_size": "1 MiB", "max_topic_size": "1 MiB"})
	must(err)
	payload := []byte(strings.Repeat("x", 1100))
	for range 5 { // ~1.15 MB a batch: a segment each
		msgs := make([]client.Message, 1000)
		for i := range msgs {
			msgs[i].Payload = payload
		}
		_, err := c.SendMessages(ctx, s, tp, client.PartitionID(0), msgs)
		must(err)
	}
	segments := func() uint32 {
		t.Helper()
		topic, err := c.GetTopic(ctx, s, tp)
		must(err)
		return topic.Partitions[0].SegmentsCount
	}
	if n := segments(); n != 5 {
		t.Fatalf("%d segments before the cleaner", n)
	}
	// The share is max(1 MiB / 1, 1 MiB + 2 MiB) = 3 MiB: of 4 sealed
	// segments of ~1.15 MB, 2 fit.
	ts.retain(ctx, time.Now())
	if n := segments(); n != 3 {
		t.Fatalf("%d segments after size retention, want 3", n)
	}
	ts.retain(ctx, time.Now()) // nothing more to do
	if n := segments(); n != 3 {
		t.Fatalf("%d segments after a second pass", n)
	}
	must(c.UpdateTopic(ctx, s, tp, "t", map[string]string{"message_expiry": "1h"}))
	ts.retain(ctx, time.Now())
	if n := segments(); n != 3 {
		t.Fatalf("%d segments: nothing is an hour old yet", n)
	}
	ts.retain(ctx, time.Now().Add(2*time.Hour))
	if n := segments(); n != 1 {
		t.Fatalf("%d segments after expiry, want the active one", n)
	}
	p, err := c.PollMessages(ctx, s, tp, client.DefaultConsumer(), 0, client.PollingStrategy{Kind: wire.PollFirst}, 10, false)
	must(err)
	if len(p.Messages) == 0 || p.Messages[0].Offset != 4000 {
		t.Fatalf("after retention the first message is %+v, want offset 4000", p.Messages)
	}
}
