package bench

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// floorOnce runs a shape against a raw framed TCP server on a loopback
// port, with no bus, shard, queue or storage in between: the floor of what
// the machine can do for that shape.
//
//   - echo: each connection writes a 256-byte request frame (the size of
//     Shoal's Ping) and reads it back (transporttest.RawEcho);
//   - pinned-producer: each producer writes one frame the size of a
//     SendMessages batch (batch × (64 + size) bytes of messages) and reads
//     a 256-byte reply (transporttest.RawSink), as a producer waits for its ack.
func floorOnce(ctx context.Context, cfg *Config, w string, progress io.Writer) ([]Result, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	serve, name, perOp, bodyLen, actors := transporttest.RawEcho, "echo", 1, 0, cfg.Connections
	msgBytes := wire.HeaderSize
	if w == PinnedProducer {
		serve, name, perOp, actors, msgBytes = transporttest.RawSink, "send", cfg.Batch, cfg.Producers, cfg.Size
		bodyLen = cfg.Batch * (wire.MessageHeaderSize + cfg.Size)
	}
	wg.Go(func() { serve(l) })
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		l.Close()
		wg.Wait()
	}()
	bud := &budget{total: cfg.Messages}
	pc := newPacer(cfg.Rate)
	ro := &role{name: name, msgBytes: msgBytes}
	for range actors {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", l.Addr().String())
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		fr := transport.NewFrameReader(c, 0)
		req := transporttest.Frame(wire.CommandRequest, bodyLen, 1)
		ro.ops = append(ro.ops, func(ctx context.Context) (int, error) {
			n := bud.take(perOp)
			if n == 0 {
				return 0, errDone
			}
			if err := pc.wait(ctx, n); err != nil {
				return 0, err
			}
			if _, err := c.Write(req); err != nil {
				return 0, err
			}
			f, err := fr.ReadFrame()
			if err != nil {
				return 0, err
			}
			f.Release()
			return n, nil
		})
	}
	mctx, cancel := cfg.measured(ctx)
	defer cancel()
	// The floor's connections do not watch ctx: closing them ends a
	// blocked read when the run's time is up.
	stop := context.AfterFunc(mctx, func() {
		for _, c := range conns {
			c.Close()
		}
	})
	defer stop()
	return drive(mctx, &run{target: "floor", workload: w, transport: "tcp", roles: []*role{ro}}, cfg.Tick, progress)
}
