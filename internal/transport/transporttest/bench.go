package transporttest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// BenchBodySize is the body length of the echo benchmarks' frames.
const BenchBodySize = 256

// RawEcho is the baseline the bus is measured against: a plain framed echo
// over TCP with no bus, shard or queue. Each connection gets one goroutine
// that reads a frame through a 64 KiB bufio.Reader into a reused buffer,
// turns the Request into a Reply and writes it back with one Write. RawEcho
// returns when l is closed and every connection has ended.
func RawEcho(l net.Listener) {
	serveRaw(l, func(c net.Conn) {
		r := bufio.NewReaderSize(c, 64<<10)
		buf := make([]byte, 0, 64<<10)
		for {
			buf = buf[:wire.HeaderSize]
			if _, err := io.ReadFull(r, buf); err != nil {
				return
			}
			if wire.CheckHeader(buf, wire.DefaultMaxMessageSize) != nil {
				return
			}
			n := int(wire.PeekSize(buf))
			if n > cap(buf) {
				buf = append(buf, make([]byte, n-len(buf))...)
			}
			buf = buf[:n]
			if _, err := io.ReadFull(r, buf[wire.HeaderSize:]); err != nil {
				return
			}
			buf[60] = byte(wire.CommandReply)
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	})
}

// RawSink is the produce baseline: a broker that stores nothing. It reads
// each request frame whole and answers it with a 256-byte Reply. It
// returns when l is closed and every connection has ended.
func RawSink(l net.Listener) {
	serveRaw(l, func(c net.Conn) {
		fr := transport.NewFrameReader(c, 0)
		reply := Frame(wire.CommandReply, 0, 0)
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			f.Release()
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	})
}

// serveRaw accepts connections on l until it is closed, serves each with
// serve on a goroutine of its own, closes it after, and waits for all.
func serveRaw(l net.Listener, serve func(net.Conn)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		wg.Go(func() {
			defer c.Close()
			serve(c)
		})
	}
}

func benchDial(b *testing.B, addr string) (net.Conn, *transport.FrameReader, []byte) {
	b.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	return c, transport.NewFrameReader(c, 0), Frame(wire.CommandRequest, BenchBodySize, 1)
}

// RoundTrip measures b.N request→reply round trips on one connection to an
// echo server at addr.
func RoundTrip(b *testing.B, addr string) {
	c, fr, req := benchDial(b, addr)
	defer c.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		f, err := fr.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
}

// Pipelined measures b.N frames echoed on one connection with up to
// inflight requests outstanding, and reports frames/s.
func Pipelined(b *testing.B, addr string, inflight int) {
	c, fr, req := benchDial(b, addr)
	defer c.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	b.ResetTimer()
	credits := make(chan struct{}, inflight)
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		for range b.N {
			credits <- struct{}{}
			if _, err := c.Write(req); err != nil {
				werr = err
				return
			}
		}
	})
	var rerr error
	for range b.N {
		f, err := fr.ReadFrame()
		if err != nil {
			rerr = err
			break
		}
		f.Release()
		<-credits
	}
	b.StopTimer()
	if rerr != nil {
		c.Close()
	}
	wg.Wait()
	if err := errors.Join(werr, rerr); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// CompareRoundTrip alternates round trips to a baseline server (base) and a
// server under test (sut) on one connection each, so both see the same
// machine load, and reports each one's mean latency and their ratio
// (sut ÷ base; lower is better).
func CompareRoundTrip(b *testing.B, base, sut string) {
	bc, bfr, req := benchDial(b, base)
	defer bc.Close()
	sc, sfr, _ := benchDial(b, sut)
	defer sc.Close()
	var tb, ts time.Duration
	one := func(c net.Conn, fr *transport.FrameReader) time.Duration {
		start := time.Now()
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		f, err := fr.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
		return time.Since(start)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			tb += one(bc, bfr)
			ts += one(sc, sfr)
		} else {
			ts += one(sc, sfr)
			tb += one(bc, bfr)
		}
	}
	b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "base-ns/rt")
	b.ReportMetric(float64(ts.Nanoseconds())/float64(b.N), "sut-ns/rt")
	b.ReportMetric(float64(ts)/float64(tb), "sut/base")
}

// ComparePipelined alternates blocks of 2,000 pipelined frames (inflight
// outstanding) between base and sut and reports each one's frames/s and
// their ratio (sut ÷ base; higher is better). b.N counts frames per side.
func ComparePipelined(b *testing.B, base, sut string, inflight int) {
	const block = 2000
	bc, bfr, req := benchDial(b, base)
	defer bc.Close()
	sc, sfr, _ := benchDial(b, sut)
	defer sc.Close()
	run := func(c net.Conn, fr *transport.FrameReader, n int) time.Duration {
		start := time.Now()
		credits := make(chan struct{}, inflight)
		var wg sync.WaitGroup
		var werr error
		wg.Go(func() {
			for range n {
				credits <- struct{}{}
				if _, err := c.Write(req); err != nil {
					werr = err
					return
				}
			}
		})
		for range n {
			f, err := fr.ReadFrame()
			if err != nil {
				b.Error(err)
				c.Close()
				break
			}
			f.Release()
			<-credits
		}
		wg.Wait()
		if werr != nil {
			b.Fatal(werr)
		}
		return time.Since(start)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var tb, ts time.Duration
	for done := 0; done < b.N; done += block {
		n := min(block, b.N-done)
		tb += run(bc, bfr, n)
		ts += run(sc, sfr, n)
	}
	b.StopTimer()
	fb := float64(b.N) / tb.Seconds()
	fs := float64(b.N) / ts.Seconds()
	b.ReportMetric(fb, "base-frames/s")
	b.ReportMetric(fs, "sut-frames/s")
	b.ReportMetric(fs/fb, "sut/base")
}

// Gather models the bus's writer taking what its queue holds: it appends
// to frames, after first, every frame q already holds, without blocking,
// until frames has max of them or q is empty (or closed), and returns
// frames and batch, the frames' bytes for one SendBatch. Both slices are
// reused from the caller's.
func Gather(q <-chan *wire.Frame, first *wire.Frame, frames []*wire.Frame, batch [][]byte, max int) ([]*wire.Frame, [][]byte) {
	frames = append(frames[:0], first)
	for len(frames) < max {
		select {
		case f, ok := <-q:
			if !ok {
				return frames, batchOf(frames, batch)
			}
			frames = append(frames, f)
		default:
			return frames, batchOf(frames, batch)
		}
	}
	return frames, batchOf(frames, batch)
}

func batchOf(frames []*wire.Frame, batch [][]byte) [][]byte {
	batch = batch[:0]
	for _, f := range frames {
		batch = append(batch, f.Bytes())
	}
	return batch
}
