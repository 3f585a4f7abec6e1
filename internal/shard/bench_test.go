package shard

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

func startRawEcho(b *testing.B) (string, func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		transporttest.RawEcho(l)
	}()
	return l.Addr().String(), func() { l.Close(); <-done }
}

// startShardEcho serves the echo through the whole runtime: shard 0
// accepts, the owner installs, the reader posts to the owner's client lane,
// the shard goroutine answers with SendToClient.
func startShardEcho(b *testing.B, shards int) (string, func()) {
	rt := newRuntime(b, shards, Handlers{OnRequest: echoOnOwner})
	addr := serveTCP(b, rt)
	return addr, func() {
		rt.Shutdown(context.Background())
		rt.Wait()
	}
}

// BenchmarkShardEchoVsRaw measures the full request path (accept on shard
// 0, owner install, reader → client lane → shard goroutine → SendToClient
// → writer) against the raw framed echo, interleaved in one run; sut/base
// is shard ÷ raw.
func BenchmarkShardEchoVsRaw(b *testing.B) {
	b.Run("roundtrip", func(b *testing.B) {
		raw, stopRaw := startRawEcho(b)
		defer stopRaw()
		sut, stop := startShardEcho(b, 1)
		defer stop()
		transporttest.CompareRoundTrip(b, raw, sut)
	})
	b.Run("pipelined64", func(b *testing.B) {
		raw, stopRaw := startRawEcho(b)
		defer stopRaw()
		sut, stop := startShardEcho(b, 1)
		defer stop()
		transporttest.ComparePipelined(b, raw, sut, 64)
	})
}

// BenchmarkIdleConnections opens 5,000 client connections across the
// shards, answers one request on each (so every reader has run and gone
// back to idle), and reports the heap, goroutine-stack and goroutine cost
// per connection. The client ends are raw sockets in the same process, so
// the figures include their net.Conn as well. Run it with -benchtime=1x.
func BenchmarkIdleConnections(b *testing.B) {
	const n = 5000
	raiseFDLimit(b, 2*n+1000)
	for b.Loop() {
		idleConnections(b, n)
	}
}

func raiseFDLimit(b *testing.B, want uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	if lim.Cur >= want {
		return
	}
	if lim.Max < want {
		b.Skipf("fd limit %d below the %d this benchmark needs", lim.Max, want)
	}
	lim.Cur = want
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
}

func idleConnections(b *testing.B, n int) {
	cfg := DefaultConfig() // GOMAXPROCS shards
	// The clients never log in and all come from 127.0.0.1.
	cfg.Bus.MaxUnauthenticated, cfg.Bus.MaxUnauthenticatedPerAddr = n, n
	cfg.Bus.LoginTimeout = time.Hour
	rt, err := New(cfg, Handlers{OnRequest: echoOnOwner})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		rt.Shutdown(context.Background())
		rt.Wait()
	}()
	addr := serveTCP(b, rt)
	before := measure()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	req := transporttest.Frame(wire.CommandRequest, 0, 0)
	rep := make([]byte, len(req))
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := readFull(c, rep); err != nil {
			b.Fatal(err)
		}
	}
	after := measure()
	heap := float64(after.heap-before.heap) / float64(n)
	stack := float64(after.stack-before.stack) / float64(n)
	b.ReportMetric(heap, "heap-B/conn")
	b.ReportMetric(stack, "stack-B/conn")
	b.ReportMetric(heap+stack, "B/conn")
	b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(n), "goroutines/conn")
	total := 0
	for i := range rt.Shards() {
		total += rt.Shard(i).Bus().Clients()
	}
	if total != n {
		b.Fatalf("%d clients installed, want %d", total, n)
	}
	b.Logf("%d shards, %d idle connections: %s", rt.Shards(), n, fmt.Sprintf("heap %.0f B, stack %.0f B per connection", heap, stack))
}

type memSample struct {
	heap, stack uint64
	goroutines  int
}

func measure() memSample {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{heap: ms.HeapAlloc, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// BenchmarkFairness (issue #15 item 5) measures one client's round trip on
// a shard while another connection to the same shard floods requests and
// never reads its replies. It reports the measured client's p50 and p99.
// The flood is bounded by the flooder's credits (Config.MaxInFlight) and
// by its socket buffers, so it cannot keep the shard busy.
func BenchmarkFairness(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Shards = 1
	cfg.Bus.LoginTimeout = time.Hour // neither client logs in
	rt, err := New(cfg, Handlers{OnRequest: echoOnOwner})
	if err != nil {
		b.Fatal(err)
	}
	addr := serveTCP(b, rt)
	flooder, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	var burst []byte
	for i := range uint64(64) {
		burst = append(burst, transporttest.Frame(wire.CommandRequest, 32, i)...)
	}
	flooded := make(chan struct{})
	var written atomic.Int64
	go func() {
		defer close(flooded)
		for {
			n, err := flooder.Write(burst)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	time.Sleep(500 * time.Millisecond) // let the flood start (timing is what is measured here)
	c := dial(b, addr)
	lat := make([]time.Duration, 0, 1<<16)
	seq := uint64(0)
	for b.Loop() {
		t0 := time.Now()
		roundTrip(b, c, seq)
		lat = append(lat, time.Since(t0))
		seq++
	}
	b.StopTimer()
	flooder.Close()
	<-flooded
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(written.Load())/float64(len(burst)/64), "flood-requests")
	rt.Shutdown(context.Background())
	rt.Wait()
}
