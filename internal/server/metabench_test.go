package server

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
)

// BenchmarkMetadataWrite measures one client's metadata writes on a
// standalone node: each op creates a stream and deletes it, two commits
// through the metadata log (journal and superblock fsyncs), with the
// latency of each pair.
func BenchmarkMetadataWrite(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		s, err := c.CreateStream(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := c.DeleteStream(ctx, client.NumericID(s.ID)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	percentiles(b, lat)
}

// BenchmarkTopicWrite measures a metadata write with partition effects:
// create a topic of one partition, then delete it (one client, one
// replica): a VSR round, the partition's creation or removal on its owner,
// and the effects record, each. Reports p50/p99 per create+delete pair.
func BenchmarkTopicWrite(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	s, err := c.CreateStream(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if _, err := c.CreateTopic(ctx, client.NumericID(s.ID), "t", 1, nil); err != nil {
			b.Fatal(err)
		}
		if err := c.DeleteTopic(ctx, client.NumericID(s.ID), client.NamedID("t")); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	percentiles(b, lat)
}
