package server

import (
	"context"
	"errors"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// UpdateStream and UpdateTopic rename, patch only the updatable topic
// options, keep the messages (partitions are kept by id) and survive a
// restart.
func TestUpdateStreamAndTopic(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	ctx := context.Background()
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	must := mustFunc(t)
	_, err := c.CreateStream(ctx, "orders")
	must(err)
	_, err = c.CreateStream(ctx, "other")
	must(err)
	_, err = c.CreateTopic(ctx, client.NamedID("orders"), "eu", 1, map[string]string{"segment_size": "2 MiB", "enforce_fsync": "true"})
	must(err)
	_, err = c.SendMessages(ctx, client.NamedID("orders"), client.NamedID("eu"), client.PartitionID(0),
		[]client.Message{{Payload: []byte("kept")}})
	must(err)

	wantStatus(t, "taken name", c.UpdateStream(ctx, client.NamedID("orders"), "other"), wire.StatusStreamNameAlreadyExists)
	must(c.UpdateStream(ctx, client.NamedID("orders"), "orders-v2"))
	wantStatus(t, "create-time key", c.UpdateTopic(ctx, client.NamedID("orders-v2"), client.NamedID("eu"), "eu",
		map[string]string{"segment_size": "4 MiB"}), wire.StatusUnsupportedOptionKey)
	wantStatus(t, "below one segment", c.UpdateTopic(ctx, client.NamedID("orders-v2"), client.NamedID("eu"), "eu",
		map[string]string{"max_topic_size": "1 MiB"}), wire.StatusInvalidTopicSize)
	must(c.UpdateTopic(ctx, client.NamedID("orders-v2"), client.NamedID("eu"), "europe",
		map[string]string{"compression_algorithm": "gzip", "message_expiry": "1h"}))

	check := func(c *client.Client) {
		t.Helper()
		tp, err := c.GetTopic(ctx, client.NamedID("orders-v2"), client.NamedID("europe"))
		must(err)
		if tp.Name != "europe" || tp.Compression != "gzip" || tp.MessageExpiry != 3600e6 {
			t.Fatalf("topic after update: %+v", tp)
		}
		keys := map[string]bool{}
		for _, o := range tp.Options {
			keys[o.Key] = true
		}
		if !keys["segment_size"] || !keys["enforce_fsync"] || !keys["compression_algorithm"] || !keys["message_expiry"] {
			t.Fatalf("options after update: %+v", tp.Options)
		}
		if _, err := c.GetStream(ctx, client.NamedID("orders")); !errors.As(err, new(*client.NotFoundError)) {
			t.Fatalf("old stream name: %v", err)
		}
		p, err := c.PollMessages(ctx, client.NamedID("orders-v2"), client.NamedID("europe"),
			wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)}, 0, wire.PollingStrategy{Kind: wire.PollFirst}, 10, false)
		must(err)
		if len(p.Messages) != 1 || string(p.Messages[0].Payload) != "kept" {
			t.Fatalf("messages after rename: %+v", p.Messages)
		}
	}
	check(c)
	c.Close()
	ts.stop()
	ts2 := startServer(t, dir)
	check(ts2.dial(client.WithCredentials("iggy", "iggy")))
}
