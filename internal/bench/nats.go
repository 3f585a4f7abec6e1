package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shoal-io/shoal/internal/wire"
)

// natsServer is a nats-server process on a loopback port with JetStream
// storing to a temp dir.
type natsServer struct {
	url   string
	cmd   *exec.Cmd
	dir   string
	conns []*nats.Conn
}

// startNATS starts bin; a missing binary is errNoNATS.
func startNATS(ctx context.Context, bin string) (*natsServer, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, errNoNATS
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "shoal-bench-nats-")
	if err != nil {
		return nil, err
	}
	ns := &natsServer{url: "nats://127.0.0.1:" + strconv.Itoa(port), dir: dir,
		cmd: exec.Command(path, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir)}
	if err := ns.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Wait for the port: nats-server has no readiness signal on stdout
	// that is stable across versions.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", l.Addr().String(), time.Second)
		if err == nil {
			c.Close()
			return ns, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			ns.stop()
			return nil, fmt.Errorf("nats-server did not listen on %d: %w", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errNoNATS = errors.New("nats-server is not on PATH (go install github.com/nats-io/nats-server/v2@v2.15.2)")

func (ns *natsServer) connect() (*nats.Conn, error) {
	nc, err := nats.Connect(ns.url, nats.MaxReconnects(0))
	if err != nil {
		return nil, err
	}
	ns.conns = append(ns.conns, nc)
	return nc, nil
}

func (ns *natsServer) connectN(n int) ([]*nats.Conn, error) {
	out := make([]*nats.Conn, n)
	for i := range out {
		nc, err := ns.connect()
		if err != nil {
			return nil, err
		}
		out[i] = nc
	}
	return out, nil
}

func (ns *natsServer) closeConns() {
	for _, nc := range ns.conns {
		nc.Close()
	}
	ns.conns = nil
}

func (ns *natsServer) stop() {
	ns.closeConns()
	ns.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { ns.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		ns.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(ns.dir)
}

// subjects returns the subject of each of n pinned actors, the NATS
// counterpart of setup's places.
func (cfg *Config) subjects(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("bench.%d.%d", i%cfg.Streams, (i/cfg.Streams)%cfg.Partitions)
	}
	return out
}

// natsOnce runs workload w against a fresh nats-server: core request/reply
// for echo, core publish (flushed per batch) and JetStream file-storage
// publish for pinned-producer, JetStream pull for pinned-consumer, core
// pub/sub for pinned-producer-and-consumer and a queue group for
// balanced-consumer-group.
func natsOnce(ctx context.Context, cfg *Config, w string, progress io.Writer) ([]Result, []string, error) {
	ns, err := startNATS(ctx, cfg.NATSServer)
	if errors.Is(err, errNoNATS) {
		return nil, []string{"nats " + w + ": " + err.Error()}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer ns.stop()
	var runs []*run
	switch w {
	case Echo:
		r, err := natsEcho(cfg, ns)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, r)
	case PinnedProducer:
		r, err := natsPublish(cfg, ns)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, r)
		runs = append(runs, nil) // JetStream is built after the core run
	case PinnedConsumer:
		r, err := natsFetch(ctx, cfg, ns)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, r)
	case PinnedProducerAndConsumer, BalancedConsumerGroup:
		r, err := natsPubSub(cfg, ns, w == BalancedConsumerGroup)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, r)
	}
	var out []Result
	for _, r := range runs {
		if r == nil {
			ns.closeConns()
			if r, err = natsJSPublish(ctx, cfg, ns); err != nil {
				return nil, nil, err
			}
		}
		mctx, cancel := cfg.measured(ctx)
		res, err := drive(mctx, r, cfg.Tick, progress)
		cancel()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, res...)
	}
	return out, nil, nil
}

func natsEcho(cfg *Config, ns *natsServer) (*run, error) {
	srv, err := ns.connect()
	if err != nil {
		return nil, err
	}
	if _, err := srv.Subscribe("bench.echo", func(m *nats.Msg) { m.Respond(m.Data) }); err != nil {
		return nil, err
	}
	if err := srv.Flush(); err != nil {
		return nil, err
	}
	cs, err := ns.connectN(cfg.Connections)
	if err != nil {
		return nil, err
	}
	bud, pc := &budget{total: cfg.Messages}, newPacer(cfg.Rate)
	ro := &role{name: "echo", msgBytes: wire.HeaderSize}
	payload := make([]byte, wire.HeaderSize) // Shoal's Ping is a 256-byte header
	for _, nc := range cs {
		ro.ops = append(ro.ops, func(ctx context.Context) (int, error) {
			if bud.take(1) == 0 {
				return 0, errDone
			}
			if err := pc.wait(ctx, 1); err != nil {
				return 0, err
			}
			_, err := nc.RequestWithContext(ctx, "bench.echo", payload)
			return 1, err
		})
	}
	return &run{target: "nats", workload: Echo, transport: "tcp", roles: []*role{ro},
		note: "core request/reply, a 256-byte payload (the size of Shoal's Ping frame)"}, nil
}

// pubOp publishes batches to subj and flushes after each, so one op is
// a batch acknowledged by the server's PONG.
func (cfg *Config) pubOp(nc *nats.Conn, subj func() string, bud *budget, pc *pacer) op {
	payload := make([]byte, cfg.Size)
	return func(ctx context.Context) (int, error) {
		n := bud.take(cfg.Batch)
		if n == 0 {
			return 0, errDone
		}
		if err := pc.wait(ctx, n); err != nil {
			return 0, err
		}
		for range n {
			if err := nc.Publish(subj(), payload); err != nil {
				return 0, err
			}
		}
		if _, ok := ctx.Deadline(); !ok { // FlushWithContext needs one
			return n, nc.FlushTimeout(30 * time.Second)
		}
		return n, nc.FlushWithContext(ctx)
	}
}

func fixed(s string) func() string { return func() string { return s } }

func natsPublish(cfg *Config, ns *natsServer) (*run, error) {
	cs, err := ns.connectN(cfg.Producers)
	if err != nil {
		return nil, err
	}
	subs := cfg.subjects(cfg.Producers)
	bud, pc := &budget{total: cfg.Messages}, newPacer(cfg.Rate)
	ro := &role{name: "send", msgBytes: cfg.Size}
	for i, nc := range cs {
		ro.ops = append(ro.ops, cfg.pubOp(nc, fixed(subs[i]), bud, pc))
	}
	return &run{target: "nats", workload: PinnedProducer, transport: "tcp", roles: []*role{ro},
		note: "core publish with no subscriber, one flush (PING/PONG) per batch; nothing is stored"}, nil
}

func natsStream(ctx context.Context, nc *nats.Conn) (jetstream.JetStream, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "BENCH", Subjects: []string{"bench.>"}, Storage: jetstream.FileStorage})
	return js, err
}

// jsPubOp publishes a batch asynchronously and waits for every ack.
func (cfg *Config) jsPubOp(js jetstream.JetStream, subj string, bud *budget, pc *pacer) op {
	payload := make([]byte, cfg.Size)
	futs := make([]jetstream.PubAckFuture, 0, cfg.Batch)
	return func(ctx context.Context) (int, error) {
		n := bud.take(cfg.Batch)
		if n == 0 {
			return 0, errDone
		}
		if err := pc.wait(ctx, n); err != nil {
			return 0, err
		}
		futs = futs[:0]
		for range n {
			f, err := js.PublishAsync(subj, payload)
			if err != nil {
				return 0, err
			}
			futs = append(futs, f)
		}
		for _, f := range futs {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return 0, err
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		return n, nil
	}
}

func natsJSPublish(ctx context.Context, cfg *Config, ns *natsServer) (*run, error) {
	cs, err := ns.connectN(cfg.Producers)
	if err != nil {
		return nil, err
	}
	subs := cfg.subjects(cfg.Producers)
	bud, pc := &budget{total: cfg.Messages}, newPacer(cfg.Rate)
	ro := &role{name: "send", msgBytes: cfg.Size}
	for i, nc := range cs {
		js, err := natsStream(ctx, nc)
		if err != nil {
			return nil, fmt.Errorf("jetstream: %w", err)
		}
		ro.ops = append(ro.ops, cfg.jsPubOp(js, subs[i], bud, pc))
	}
	return &run{target: "nats-js", workload: PinnedProducer, transport: "tcp", roles: []*role{ro},
		note: "JetStream file storage, async publish of a batch then wait for every ack"}, nil
}

// natsFetch fills each consumer's subject in a file-storage stream (not
// measured) and pulls it back with an ordered consumer, batch by batch,
// starting over when the subject is exhausted.
func natsFetch(ctx context.Context, cfg *Config, ns *natsServer) (*run, error) {
	filler, err := ns.connect()
	if err != nil {
		return nil, err
	}
	fjs, err := natsStream(ctx, filler)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	per := int64(cfg.Batch * 200)
	if cfg.Messages > 0 {
		per = (cfg.Messages + int64(cfg.Consumers) - 1) / int64(cfg.Consumers)
	}
	subs := cfg.subjects(cfg.Consumers)
	filled := map[string]int64{}
	for _, s := range subs {
		if filled[s] > 0 {
			continue
		}
		var total int64
		for _, t := range subs {
			if t == s {
				total += per
			}
		}
		fill := cfg.jsPubOp(fjs, s, &budget{total: total}, nil)
		for {
			n, err := fill(ctx)
			if err == errDone {
				break
			} else if err != nil {
				return nil, err
			}
			filled[s] += int64(n)
		}
	}
	cs, err := ns.connectN(cfg.Consumers)
	if err != nil {
		return nil, err
	}
	bud := &budget{total: cfg.Messages}
	ro := &role{name: "poll", msgBytes: cfg.Size}
	for i, nc := range cs {
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, err
		}
		subj, size := subs[i], filled[subs[i]]
		var cons jetstream.Consumer
		var read int64
		ro.ops = append(ro.ops, func(ctx context.Context) (int, error) {
			if cons == nil || read == size {
				c, err := js.OrderedConsumer(ctx, "BENCH", jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
				if err != nil {
					return 0, err
				}
				cons, read = c, 0
			}
			n := bud.take(int(min(int64(cfg.Batch), size-read)))
			if n == 0 {
				return 0, errDone
			}
			mb, err := cons.Fetch(n, jetstream.FetchContext(ctx))
			if err != nil {
				return 0, err
			}
			got := 0
			for range mb.Messages() {
				got++
			}
			if err := mb.Error(); err != nil {
				return 0, err
			}
			read += int64(got)
			return got, nil
		})
	}
	return &run{target: "nats-js", workload: PinnedConsumer, transport: "tcp", roles: []*role{ro},
		note: "JetStream file storage, ordered pull consumer fetching a batch at a time"}, nil
}

// natsPubSub runs core publishers and subscribers at once: pinned pairs
// share a subject; the group shape spreads publishes over one subject per
// partition and the subscribers form one queue group. A poll takes up to a
// batch of the messages the subscription holds, waiting for the first.
func natsPubSub(cfg *Config, ns *natsServer, group bool) (*run, error) {
	w := PinnedProducerAndConsumer
	n := max(cfg.Producers, cfg.Consumers)
	subs := cfg.subjects(n)
	if group {
		w = BalancedConsumerGroup
		subs = make([]string, max(cfg.Partitions, cfg.Consumers))
		for i := range subs {
			subs[i] = fmt.Sprintf("bench.g.%d", i)
		}
	}
	cons, err := ns.connectN(cfg.Consumers)
	if err != nil {
		return nil, err
	}
	prods, err := ns.connectN(cfg.Producers)
	if err != nil {
		return nil, err
	}
	var producersDone atomic.Bool
	bud, pc := &budget{total: cfg.Messages}, newPacer(cfg.Rate)
	send := &role{name: "send", msgBytes: cfg.Size, done: func() { producersDone.Store(true) }}
	var k atomic.Uint64
	for i, nc := range prods {
		subj := fixed(subs[i])
		if group {
			subj = func() string { return subs[k.Add(1)%uint64(len(subs))] }
		}
		send.ops = append(send.ops, cfg.pubOp(nc, subj, bud, pc))
	}
	poll := &role{name: "poll", msgBytes: cfg.Size}
	for i, nc := range cons {
		var sub *nats.Subscription
		var err error
		if group {
			sub, err = nc.QueueSubscribeSync("bench.g.*", "bench-group")
		} else {
			sub, err = nc.SubscribeSync(subs[i])
		}
		if err != nil {
			return nil, err
		}
		if err := sub.SetPendingLimits(-1, -1); err != nil {
			return nil, err
		}
		if err := nc.Flush(); err != nil {
			return nil, err
		}
		poll.ops = append(poll.ops, func(ctx context.Context) (int, error) {
			// Once the producers' last flush is answered the server has
			// every message; a quiet 200 ms after that means all arrived.
			done := producersDone.Load()
			wait := 50 * time.Millisecond
			if done {
				wait = 200 * time.Millisecond
			}
			if _, err := sub.NextMsg(wait); errors.Is(err, nats.ErrTimeout) {
				if done {
					return 0, errDone
				}
				return 0, ctx.Err()
			} else if err != nil {
				return 0, err
			}
			got := 1
			for got < cfg.Batch {
				if p, _, _ := sub.Pending(); p == 0 {
					break
				}
				if _, err := sub.NextMsg(time.Second); err != nil {
					return got, err
				}
				got++
			}
			return got, nil
		})
	}
	return &run{target: "nats", workload: w, transport: "tcp", roles: []*role{send, poll},
		note: "core pub/sub (queue group for the balanced shape), nothing stored; a poll takes up to a batch already delivered"}, nil
}
