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

// floorOnce runs the echo shape against transporttest.RawEcho on a
// loopback port: each connection writes a 256-byte request frame (the size
// of Shoal's Ping) and reads the reply, with no bus, shard or queue in
// between. It is the floor of request/reply latency on this machine.
func floorOnce(ctx context.Context, cfg *Config, progress io.Writer) ([]Result, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Go(func() { transporttest.RawEcho(l) })
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
	ro := &role{name: "echo", msgBytes: wire.HeaderSize}
	for range cfg.Connections {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", l.Addr().String())
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		fr := transport.NewFrameReader(c, 0)
		req := transporttest.Frame(wire.CommandRequest, 0, 1)
		ro.ops = append(ro.ops, func(ctx context.Context) (int, error) {
			if bud.take(1) == 0 {
				return 0, errDone
			}
			if err := pc.wait(ctx, 1); err != nil {
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
			return 1, nil
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
	return drive(mctx, &run{target: "floor", workload: Echo, transport: "tcp", roles: []*role{ro}}, cfg.Tick, progress)
}
