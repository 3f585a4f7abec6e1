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
