package server

import (
	"context"
	"io"
	"net/http"
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
	segments := segmentedTopic(t, c, map[string]string{"max_topic_size": "1 MiB"}, 5, 1100) // ~1.15 MB a batch: a segment each
	if n := segments(c); n != 5 {
		t.Fatalf("%d segments before the cleaner", n)
	}
	// The share is max(1 MiB / 1, 1 MiB + 2 MiB) = 3 MiB: of 4 sealed
	// segments of ~1.15 MB, 2 fit.
	ts.retain(ctx, time.Now())
	if n := segments(c); n != 3 {
		t.Fatalf("%d segments after size retention, want 3", n)
	}
	ts.retain(ctx, time.Now()) // nothing more to do
	if n := segments(c); n != 3 {
		t.Fatalf("%d segments after a second pass", n)
	}
	must(c.UpdateTopic(ctx, s, tp, "t", map[string]string{"message_expiry": "1h"}))
	ts.retain(ctx, time.Now())
	if n := segments(c); n != 3 {
		t.Fatalf("%d segments: nothing is an hour old yet", n)
	}
	ts.retain(ctx, time.Now().Add(2*time.Hour))
	if n := segments(c); n != 1 {
		t.Fatalf("%d segments after expiry, want the active one", n)
	}
	resp, err := http.Get("http://" + ts.Addr("http").String() + "/metrics")
	must(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	for _, want := range []string{`shoal_segments_removed_total{cause="retention"} 4`,
		`shoal_partition_segments{partition="0",stream="0",topic="0"} 1`,
		`shoal_partition_messages{partition="0",stream="0",topic="0"} 1000`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("/metrics lacks %s", want)
		}
	}
	p, err := c.PollMessages(ctx, s, tp, client.DefaultConsumer(), 0, client.PollingStrategy{Kind: wire.PollFirst}, 10, false)
	must(err)
	if len(p.Messages) == 0 || p.Messages[0].Offset != 4000 {
		t.Fatalf("after retention the first message is %+v, want offset 4000", p.Messages)
	}
}
