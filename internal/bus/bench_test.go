package bus

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// startBusEcho serves an echo on one bus: the tcp listener's connections
// are installed with AcceptClient, OnRequest turns each Request into a Reply
// and sends it with SendToClient.
func startBusEcho(b *testing.B) (addr string, stop func()) {
	return startBusEchoWith(b, func(*Bus) {})
}

// startBusEchoWith is startBusEcho with tweak applied to the bus before
// any connection is installed.
func startBusEchoWith(b *testing.B, tweak func(*Bus)) (addr string, stop func()) {
	var bus *Bus
	cfg := DefaultConfig()
	cfg.LoginTimeout = time.Hour // the benchmark clients never log in
	bus = New(0, cfg, Hooks{OnRequest: echo(&bus)})
	tweak(bus)
	l, err := tcp.Listen(context.Background(), "127.0.0.1:0", tcp.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	bus.Go(func(ctx context.Context) {
		stop := context.AfterFunc(ctx, func() { l.Close() })
		defer stop()
		for seq := uint64(1); ; seq++ {
			p, err := l.Accept()
			if err != nil {
				return
			}
			bus.AcceptClient(wire.NewClientID(0, seq), p)
		}
	})
	return l.Addr().String(), func() {
		l.Close()
		bus.Shutdown(context.Background())
		bus.Wait()
	}
}

func startRawEcho(b *testing.B) (addr string, stop func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		transporttest.RawEcho(l)
	}()
	return l.Addr().String(), func() {
		l.Close()
		<-done
	}
}

// BenchmarkEcho compares the bus (reader → OnRequest → SendToClient →
// batching writer) with a raw framed TCP echo, in the same run: one
// connection, round trip and 64 frames in flight, 512-byte frames.
func BenchmarkEcho(b *testing.B) {
	servers := []struct {
		name  string
		start func(*testing.B) (string, func())
	}{{"raw", startRawEcho}, {"bus", startBusEcho}}
	for _, s := range servers {
		b.Run("roundtrip/"+s.name, func(b *testing.B) {
			addr, stop := s.start(b)
			defer stop()
			transporttest.RoundTrip(b, addr)
		})
	}
	for _, s := range servers {
		b.Run("pipelined64/"+s.name, func(b *testing.B) {
			addr, stop := s.start(b)
			defer stop()
			transporttest.Pipelined(b, addr, 64)
		})
	}
}

// discardConn swallows every batch, counting its frames; ReadFrame blocks
// until Close.
type discardConn struct {
	closed  chan struct{}
	once    sync.Once
	written atomic.Int64
	wrote   chan struct{} // capacity 1: a batch was written
}

func newDiscardConn() *discardConn {
	return &discardConn{closed: make(chan struct{}), wrote: make(chan struct{}, 1)}
}

func (d *discardConn) ReadFrame() (*wire.Frame, error) { <-d.closed; return nil, io.EOF }
func (d *discardConn) Close() error                    { d.once.Do(func() { close(d.closed) }); return nil }
func (d *discardConn) Kind() transport.Kind            { return transport.KindMem }
func (d *discardConn) RemoteAddr() net.Addr            { return nil }

func (d *discardConn) SendBatch(frames [][]byte) error {
	d.written.Add(int64(len(frames)))
	select {
	case d.wrote <- struct{}{}:
	default:
	}
	return nil
}

// BenchmarkSendToClient is the send fast path (S1): registry lookup and a
// non-blocking enqueue, with the writer draining into a discarding
// connection. A frame that found the queue full would close the
// connection (S11), so the sender never runs more than half a queue ahead
// of the writer; the wait for it is part of the measured time.
func BenchmarkSendToClient(b *testing.B) {
	cfg := DefaultConfig()
	cfg.PeerQueueCapacity = 8192
	bus := New(0, cfg, Hooks{})
	d := newDiscardConn()
	if err := bus.InstallClient(client1, d); err != nil {
		b.Fatal(err)
	}
	ahead := int64(cfg.PeerQueueCapacity / 2)
	sent := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		for sent-d.written.Load() >= ahead {
			<-d.wrote
		}
		if err := bus.SendToClient(client1, wire.NewFrame(wire.HeaderSize)); err != nil {
			b.Fatal(err)
		}
		sent++
	}
	bus.Shutdown(context.Background())
	bus.Wait()
}

// BenchmarkEchoVsRaw interleaves the bus echo and the raw echo so both run
// under the same load; sut/base is the bus ÷ raw ratio (round trip: time,
// lower is better; pipelined: frames/s, higher is better). allocs/op
// counts both servers and both clients per iteration.
func BenchmarkEchoVsRaw(b *testing.B) {
	b.Run("roundtrip", func(b *testing.B) {
		raw, stopRaw := startRawEcho(b)
		defer stopRaw()
		bus, stopBus := startBusEcho(b)
		defer stopBus()
		transporttest.CompareRoundTrip(b, raw, bus)
	})
	b.Run("pipelined64", func(b *testing.B) {
		raw, stopRaw := startRawEcho(b)
		defer stopRaw()
		bus, stopBus := startBusEcho(b)
		defer stopBus()
		transporttest.ComparePipelined(b, raw, bus, 64)
	})
}

// BenchmarkFrameDeadline prices the frame deadline (issue #15 item 3a):
// the bus echo with Config.FrameTimeout (sut) against the same bus with no
// frame deadline (base), interleaved in one run; sut/base is the ratio.
func BenchmarkFrameDeadline(b *testing.B) {
	noDeadline := func(bus *Bus) { bus.cfg.FrameTimeout = 0 }
	b.Run("roundtrip", func(b *testing.B) {
		base, stopBase := startBusEchoWith(b, noDeadline)
		defer stopBase()
		sut, stop := startBusEcho(b)
		defer stop()
		transporttest.CompareRoundTrip(b, base, sut)
	})
	b.Run("pipelined64", func(b *testing.B) {
		base, stopBase := startBusEchoWith(b, noDeadline)
		defer stopBase()
		sut, stop := startBusEcho(b)
		defer stop()
		transporttest.ComparePipelined(b, base, sut, 64)
	})
}
