package shard

import (
	"context"
	"fmt"
	"net"
	"runtime"
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
	rt := newRuntime(b, 0, Handlers{OnRequest: echoOnOwner}) // GOMAXPROCS shards
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
