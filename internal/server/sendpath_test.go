package server

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// shardOf returns the shard that holds rc's connection, asking each
// shard's goroutine (S5).
func (ts *testServer) shardOf(t testing.TB, rc *rawConn) int {
	t.Helper()
	for i := range ts.rt.Shards() {
		found := make(chan bool, 1)
		if err := ts.rt.Shard(i).Post(func(s *shard.Shard) {
			for _, c := range ts.shards[s.ID()].conns {
				if c.client == rc.id {
					found <- true
					return
				}
			}
			found <- false
		}); err != nil {
			t.Fatal(err)
		}
		if <-found {
			return i
		}
	}
	t.Fatal("connection on no shard")
	return -1
}

// sendFrame builds a SendMessages request of n messages of size bytes to
// stream 0, topic, partition 0.
func sendFrame(t testing.TB, topic uint32, n, size int) []byte {
	t.Helper()
	msgs := make([]wire.MessageIn, n)
	for i := range msgs {
		msgs[i] = wire.MessageIn{ID: [16]byte{byte(i), byte(i >> 8), 1}, Payload: make([]byte, size)}
	}
	body, err := wire.AppendSendMessages(nil, wire.NumericID(0), wire.NumericID(topic), wire.Partitioning{Kind: wire.PartitionByID}, msgs)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// BenchmarkSendPath measures one producer's SendMessages round trips
// (1,000 × 1 KiB per batch, fsync off) over raw TCP, on a connection owned
// by the partition's shard (owner) and by the other shard (non-owner).
// allocs/op counts the whole process per batch: the server's send path
// plus the raw client's frame reads.
func BenchmarkSendPath(b *testing.B) {
	ts := startServer(b, b.TempDir())
	setup := ts.raw()
	epoch := setup.login("iggy", "iggy")
	setup.send(wire.RequestHeader{Operation: wire.OpCreateStream, Request: 1, Session: uint64(epoch)}, streamBody("s"))
	if h, _ := setup.reply(); h.Status != wire.StatusOK {
		b.Fatal(h.Status)
	}
	type producer struct {
		rc    *rawConn
		epoch wire.Epoch
		shard int
	}
	var prods []producer
	for i := range 2 { // round robin: one connection on each shard
		rc := ts.raw()
		rc.id = wire.ClientID{Lo: uint64(i + 10), Hi: 0x99}
		prods = append(prods, producer{rc, rc.login("iggy", "iggy"), 0})
		prods[i].shard = ts.shardOf(b, rc)
	}
	for i, name := range []string{"owner", "non-owner"} {
		// A fresh topic of one partition for each case, so neither
		// appends to what the other wrote.
		topic := binary.LittleEndian.AppendUint32(wire.NumericID(0).Append(nil), 1)
		setup.send(wire.RequestHeader{Operation: wire.OpCreateTopic, Request: uint64(2 + i), Session: uint64(epoch)}, append(topic, 1, byte('a'+i)))
		h, _ := setup.reply()
		if h.Status != wire.StatusOK {
			b.Fatal(h.Status)
		}
		t, _ := ts.state().ResolveTopic(wire.NumericID(0), wire.NamedID(string(rune('a'+i))))
		owner := int(t.Partitions[0].Shard) % ts.rt.Shards()
		p := prods[0]
		if (p.shard == owner) != (name == "owner") {
			p = prods[1]
		}
		body := sendFrame(b, t.ID, 1000, 1024)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			// One request frame, reused: only its request id changes.
			frame := make([]byte, wire.HeaderSize+len(body))
			copy(frame[wire.HeaderSize:], body)
			h := wire.RequestHeader{Client: p.rc.id, Operation: wire.OpSendMessages, Session: uint64(p.epoch)}
			h.Size = uint32(len(frame))
			for b.Loop() {
				h.Request++
				h.Put(frame)
				if _, err := p.rc.c.Write(frame); err != nil {
					b.Fatal(err)
				}
				if h, _ := p.rc.reply(); h.Status != wire.StatusOK {
					b.Fatal(h.Status)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkProducerUnderLogins measures one producer's round trips (100 ×
// 1 KiB per batch, fsync off) alone; while another connection creates and
// deletes a stream and reads the stats back to back (metadata writes,
// fsynced by the service's writer); and while other clients log in and out
// in a loop (argon2id at the production cost) and read the stats. The p99
// of the runs compared is what admin operations and logins in flight cost
// a producer.
func BenchmarkProducerUnderLogins(b *testing.B) {
	ts := startServer(b, b.TempDir(), func(o *Options) { o.HashParams = metadata.DefaultHashParams })
	setup := ts.raw()
	epoch := setup.login("iggy", "iggy")
	setup.send(wire.RequestHeader{Operation: wire.OpCreateStream, Request: 1, Session: uint64(epoch)}, streamBody("s"))
	if h, _ := setup.reply(); h.Status != wire.StatusOK {
		b.Fatal(h.Status)
	}
	topic := binary.LittleEndian.AppendUint32(wire.NumericID(0).Append(nil), 1)
	setup.send(wire.RequestHeader{Operation: wire.OpCreateTopic, Request: 2, Session: uint64(epoch)}, append(topic, 1, 't'))
	if h, _ := setup.reply(); h.Status != wire.StatusOK {
		b.Fatal(h.Status)
	}
	body := sendFrame(b, 0, 100, 1024)
	frame := make([]byte, wire.HeaderSize+len(body))
	copy(frame[wire.HeaderSize:], body)
	h := wire.RequestHeader{Client: setup.id, Operation: wire.OpSendMessages, Session: uint64(epoch), Request: 2}
	h.Size = uint32(len(frame))
	produce := func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			h.Request++
			h.Put(frame)
			start := time.Now()
			if _, err := setup.c.Write(frame); err != nil {
				b.Fatal(err)
			}
			if r, _ := setup.reply(); r.Status != wire.StatusOK {
				b.Fatal(r.Status)
			}
			lat = append(lat, time.Since(start))
		}
		percentiles(b, lat)
	}
	b.Run("alone", produce)
	b.Run("with-admin", func(b *testing.B) {
		// Metadata writes (fsynced by the service's writer) and stats reads
		// on another connection, back to back: no argon2.
		admin := ts.raw()
		admin.id = wire.ClientID{Lo: 999, Hi: 0x56}
		e := admin.login("iggy", "iggy")
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			req := uint64(0)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, op := range []struct {
					h    wire.RequestHeader
					body []byte
				}{
					{wire.RequestHeader{Operation: wire.OpCreateStream}, streamBody("tmp")},
					{wire.RequestHeader{Operation: wire.OpNonReplicated, Code: wire.CodeStats}, nil},
					{wire.RequestHeader{Operation: wire.OpDeleteStream}, wire.NamedID("tmp").Append(nil)},
				} {
					req++
					op.h.Request, op.h.Session = req, uint64(e)
					if op.h.Operation == wire.OpNonReplicated {
						op.h.Request = 0
					}
					admin.send(op.h, op.body)
					admin.reply()
				}
			}
		})
		produce(b)
		close(stop)
		wg.Wait()
	})
	b.Run("with-logins", func(b *testing.B) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rc := ts.raw()
				rc.id = wire.ClientID{Lo: uint64(1000 + i), Hi: 0x55}
				e := rc.login("iggy", "iggy")
				rc.send(wire.RequestHeader{Operation: wire.OpNonReplicated, Code: wire.CodeStats, Request: 1, Session: uint64(e)}, nil)
				rc.reply()
				rc.send(wire.RequestHeader{Operation: wire.OpLogout, Request: 2, Session: uint64(e)}, nil)
				rc.reply()
				rc.c.Close()
			}
		})
		produce(b)
		close(stop)
		wg.Wait()
	})
}
