package server

import (
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// benchServer starts a server for b and a logged-in client with a topic of
// one partition, fsync enforced or not.
func benchServer(b *testing.B, fsync bool) *client.Client {
	b.Helper()
	c := benchClient(b)
	ctx := context.Background()
	if _, err := c.Request(ctx, wire.OpCreateStream, 0, append([]byte{1}, 's')); err != nil {
		b.Fatal(err)
	}
	topic := wire.NumericID(0).Append(nil)
	topic = binary.LittleEndian.AppendUint32(topic, 1)
	topic = append(topic, 1, 't')
	if fsync {
		key, val := "enforce_fsync", "true"
		topic = append(topic, 2)
		topic = binary.LittleEndian.AppendUint32(topic, uint32(len(key)))
		topic = append(append(topic, key...), 2)
		topic = binary.LittleEndian.AppendUint32(topic, uint32(len(val)))
		topic = append(topic, val...)
	}
	if _, err := c.Request(ctx, wire.OpCreateTopic, 0, topic); err != nil {
		b.Fatal(err)
	}
	return c
}

// benchClient starts a server for b and returns a logged-in client.
func benchClient(b *testing.B) *client.Client {
	b.Helper()
	ts := startServer(b, b.TempDir())
	c, err := client.Dial(context.Background(), ts.Addr("tcp").String(), client.WithHeartbeat(0), client.WithCredentials("iggy", "iggy"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func percentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(p(0.5), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
}

// BenchmarkProduceConsume measures one producer sending batches of 1000 ×
// 1 KiB messages over TCP to one partition, then one consumer polling them
// back 1000 at a time, with fsync off and on. Each op is one batch.
func BenchmarkProduceConsume(b *testing.B) {
	const batch, size = 1000, 1024
	for _, fsync := range []bool{false, true} {
		name := "fsync=off"
		if fsync {
			name = "fsync=on"
		}
		b.Run(name+"/produce", func(b *testing.B) {
			c := benchServer(b, fsync)
			msgs := make([]wire.MessageIn, batch)
			for i := range msgs {
				msgs[i] = wire.MessageIn{ID: [16]byte{byte(i), byte(i >> 8), 1}, Payload: make([]byte, size)}
			}
			body, err := wire.AppendSendMessages(nil, wire.NumericID(0), wire.NumericID(0), wire.Partitioning{Kind: wire.PartitionByID}, msgs)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.SetBytes(batch * size)
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				if _, err := c.Request(ctx, wire.OpSendMessages, 0, body); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "msgs/s")
			percentiles(b, lat)
		})
		b.Run(name+"/consume", func(b *testing.B) {
			c := benchServer(b, fsync)
			msgs := make([]wire.MessageIn, batch)
			for i := range msgs {
				msgs[i] = wire.MessageIn{Payload: make([]byte, size)}
			}
			body, _ := wire.AppendSendMessages(nil, wire.NumericID(0), wire.NumericID(0), wire.Partitioning{Kind: wire.PartitionByID}, msgs)
			ctx := context.Background()
			const stored = 50 // batches to read back, cyclically
			for range stored {
				if _, err := c.Request(ctx, wire.OpSendMessages, 0, body); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.SetBytes(batch * size)
			b.ResetTimer()
			i := 0
			for b.Loop() {
				p := wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)}, Stream: wire.NumericID(0),
					Topic: wire.NumericID(0), HasPartition: true, Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: uint64(i%stored) * batch}, Count: batch}
				start := time.Now()
				out, err := c.Request(ctx, wire.OpNonReplicated, client.CodePollMessages, p.Append(nil))
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				if binary.LittleEndian.Uint32(out[12:]) != batch {
					b.Fatalf("polled %d messages", binary.LittleEndian.Uint32(out[12:]))
				}
				i++
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "msgs/s")
			percentiles(b, lat)
		})
	}
}
