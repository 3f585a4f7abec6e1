package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/server"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// shoalTarget is a Shoal server to dial: in-process or external.
type shoalTarget struct {
	addr   string
	tls    *tls.Config
	cfg    *Config
	tr     string
	stop   func()
	prefix string // stream name prefix, unique per run
}

// startShoal starts an in-process server on loopback ports in a temp dir
// with tr's listener (TLS on TCP for tls, on WebSocket for wss), or
// returns the external one of cfg.ServerAddress.
func startShoal(ctx context.Context, cfg *Config, tr string) (*shoalTarget, error) {
	prefix := fmt.Sprintf("bench-%d-", time.Now().UnixNano())
	if cfg.ServerAddress != "" {
		// A benchmark of an external server trusts its certificate.
		tc := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
		return &shoalTarget{addr: cfg.ServerAddress, tls: tc, cfg: cfg, tr: tr, stop: func() {}, prefix: prefix}, nil
	}
	dir, err := os.MkdirTemp("", "shoal-bench-")
	if err != nil {
		return nil, err
	}
	cert, err := tlsconn.SelfSigned()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := server.DefaultOptions()
	opts.DataDir = dir
	opts.TCP.Address = "127.0.0.1:0"
	opts.WS.Address = "127.0.0.1:0"
	opts.QUIC.Address = "127.0.0.1:0"
	opts.QUIC.TLS = tlsconn.NewServerConfig(cert)
	opts.HTTP.Enabled = false
	opts.Heartbeat = 0
	opts.HashParams = metadata.TestHashParams // logins are not measured
	opts.Root = server.RootCredentials{Username: cfg.Username, Password: cfg.Password}
	switch tr {
	case "tls":
		opts.TCP.TLS = tlsconn.NewServerConfig(cert)
	case "wss":
		opts.WS.TLS = tlsconn.NewServerConfig(cert)
	}
	srv, err := server.New(opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := srv.Start(ctx); err != nil {
		srv.Shutdown(context.Background())
		os.RemoveAll(dir)
		return nil, err
	}
	name := map[string]string{"tcp": "tcp", "tls": "tcp", "ws": "websocket", "wss": "websocket", "quic": "quic"}[tr]
	st := &shoalTarget{addr: srv.Addr(name).String(), tls: tlsconn.ClientConfig(cert), cfg: cfg, tr: tr, prefix: prefix}
	st.stop = func() {
		srv.Shutdown(context.Background())
		os.RemoveAll(dir)
	}
	return st, nil
}

func (st *shoalTarget) dial(ctx context.Context) (*client.Client, error) {
	return client.Dial(ctx, st.addr, client.WithTransport(client.Transport(st.tr)), client.WithTLSConfig(st.tls),
		client.WithHeartbeat(0), client.WithReconnect(false), client.WithCredentials(st.cfg.Username, st.cfg.Password))
}

// dialN opens n logged-in clients; closeAll closes them.
func (st *shoalTarget) dialN(ctx context.Context, n int, conns *[]*client.Client) ([]*client.Client, error) {
	out := make([]*client.Client, n)
	for i := range out {
		c, err := st.dial(ctx)
		if err != nil {
			return nil, err
		}
		out[i] = c
		*conns = append(*conns, c)
	}
	return out, nil
}

// place is one stream's topic and partition.
type place struct {
	stream, topic client.Identifier
	partition     uint32
	key           [2]int // stream index, partition
}

// setup creates cfg.Streams streams of one topic with partitions
// partitions each and returns the pinned place of each of n actors:
// actor i writes or reads stream i mod streams, partition (i / streams)
// mod partitions.
func (st *shoalTarget) setup(ctx context.Context, c *client.Client, streams, partitions, n int) ([]place, error) {
	ids := make([][2]client.Identifier, streams)
	for s := range streams {
		sm, err := c.CreateStream(ctx, fmt.Sprintf("%s%d", st.prefix, s))
		if err != nil {
			return nil, err
		}
		sid := client.NumericID(sm.ID)
		tp, err := c.CreateTopic(ctx, sid, "t", uint32(partitions), nil)
		if err != nil {
			return nil, err
		}
		ids[s] = [2]client.Identifier{sid, client.NumericID(tp.ID)}
	}
	out := make([]place, n)
	for i := range out {
		s := ids[i%streams]
		part := (i / streams) % partitions
		out[i] = place{stream: s[0], topic: s[1], partition: uint32(part), key: [2]int{i % streams, part}}
	}
	return out, nil
}

func (cfg *Config) batchOf() []client.Message {
	msgs := make([]client.Message, cfg.Batch)
	for i := range msgs {
		msgs[i] = client.Message{Payload: make([]byte, cfg.Size)}
	}
	return msgs
}

// sendOp sends batches to p until b runs out.
func (cfg *Config) sendOp(c *client.Client, p place, part client.Partitioning, b *budget, pc *pacer) op {
	msgs := cfg.batchOf()
	return func(ctx context.Context) (int, error) {
		n := b.take(len(msgs))
		if n == 0 {
			return 0, errDone
		}
		if err := pc.wait(ctx, n); err != nil {
			return 0, err
		}
		if _, err := c.SendMessages(ctx, p.stream, p.topic, part, msgs[:n]); err != nil {
			return 0, err
		}
		return n, nil
	}
}

// shoalRun builds the roles of workload w against st. The returned
// cleanup closes the clients.
func shoalRun(ctx context.Context, cfg *Config, st *shoalTarget, w string) (*run, func(), error) {
	var conns []*client.Client
	cleanup := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	r := &run{target: "shoal", workload: w, transport: st.tr}
	err := func() error {
		admin, err := st.dialN(ctx, 1, &conns)
		if err != nil {
			return err
		}
		pc := newPacer(cfg.Rate)
		bud := &budget{total: cfg.Messages}
		switch w {
		case Echo:
			cs, err := st.dialN(ctx, cfg.Connections, &conns)
			if err != nil {
				return err
			}
			ro := &role{name: "echo", msgBytes: wire.HeaderSize}
			for _, c := range cs {
				ro.ops = append(ro.ops, func(ctx context.Context) (int, error) {
					if bud.take(1) == 0 {
						return 0, errDone
					}
					if err := pc.wait(ctx, 1); err != nil {
						return 0, err
					}
					return 1, c.Ping(ctx)
				})
			}
			r.roles = []*role{ro}
		case PinnedProducer:
			places, err := st.setup(ctx, admin[0], cfg.Streams, cfg.Partitions, cfg.Producers)
			if err != nil {
				return err
			}
			cs, err := st.dialN(ctx, cfg.Producers, &conns)
			if err != nil {
				return err
			}
			ro := &role{name: "send", msgBytes: cfg.Size}
			for i, c := range cs {
				ro.ops = append(ro.ops, cfg.sendOp(c, places[i], client.PartitionID(places[i].partition), bud, pc))
			}
			r.roles = []*role{ro}
		case PinnedConsumer:
			places, err := st.setup(ctx, admin[0], cfg.Streams, cfg.Partitions, cfg.Consumers)
			if err != nil {
				return err
			}
			// Fill each consumer's partition first (not measured): its share
			// of -messages, or 200 batches read cyclically for -duration.
			per := int64(cfg.Batch * 200)
			if cfg.Messages > 0 {
				per = (cfg.Messages + int64(cfg.Consumers) - 1) / int64(cfg.Consumers)
			}
			filled := map[[2]int]int64{}
			for _, p := range places {
				if filled[p.key] > 0 {
					continue
				}
				fill := cfg.sendOp(admin[0], p, client.PartitionID(p.partition), &budget{total: per * int64(countOf(places, p))}, nil)
				for {
					n, err := fill(ctx)
					if err == errDone {
						break
					} else if err != nil {
						return err
					}
					filled[p.key] += int64(n)
				}
			}
			cs, err := st.dialN(ctx, cfg.Consumers, &conns)
			if err != nil {
				return err
			}
			ro := &role{name: "poll", msgBytes: cfg.Size}
			for i, c := range cs {
				p, size, off := places[i], filled[places[i].key], uint64(0)
				ro.ops = append(ro.ops, func(ctx context.Context) (int, error) {
					n := bud.take(cfg.Batch)
					if n == 0 {
						return 0, errDone
					}
					got, err := c.PollMessages(ctx, p.stream, p.topic, client.ConsumerID(client.NumericID(uint32(i+1))), p.partition,
						client.PollFromOffset(off), uint32(n), false)
					if err != nil {
						return 0, err
					}
					off = (off + uint64(len(got.Messages))) % uint64(size)
					return len(got.Messages), nil
				})
			}
			r.roles = []*role{ro}
		case PinnedProducerAndConsumer, BalancedConsumerGroup:
			return st.produceConsume(ctx, cfg, r, admin[0], &conns, bud, pc, w == BalancedConsumerGroup)
		default:
			return fmt.Errorf("unknown workload %q", w)
		}
		return nil
	}()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return r, cleanup, nil
}

func countOf(ps []place, p place) int {
	n := 0
	for _, q := range ps {
		if q.key == p.key {
			n++
		}
	}
	return n
}

// produceConsume builds producers and consumers running at once. Pinned:
// producer and consumer i share place i. Group: one stream whose topic has
// max(partitions, consumers) partitions; producers send balanced and the
// consumers, one group, poll the partitions the server assigned them.
// Consumers stop once the producers are done and a poll comes back empty.
func (st *shoalTarget) produceConsume(ctx context.Context, cfg *Config, r *run, admin *client.Client, conns *[]*client.Client,
	bud *budget, pc *pacer, group bool) error {
	var places []place
	var err error
	if group {
		places, err = st.setup(ctx, admin, 1, max(cfg.Partitions, cfg.Consumers), max(cfg.Producers, cfg.Consumers))
	} else {
		places, err = st.setup(ctx, admin, cfg.Streams, cfg.Partitions, max(cfg.Producers, cfg.Consumers))
	}
	if err != nil {
		return err
	}
	prods, err := st.dialN(ctx, cfg.Producers, conns)
	if err != nil {
		return err
	}
	cons, err := st.dialN(ctx, cfg.Consumers, conns)
	if err != nil {
		return err
	}
	var producersDone atomic.Bool
	send := &role{name: "send", msgBytes: cfg.Size, done: func() { producersDone.Store(true) }}
	for i, c := range prods {
		part := client.PartitionID(places[i].partition)
		if group {
			part = client.Balanced()
		}
		send.ops = append(send.ops, cfg.sendOp(c, places[i], part, bud, pc))
	}
	poll := &role{name: "poll", msgBytes: cfg.Size}
	gid := client.NamedID("bench-group")
	if group {
		create := wire.CreateGroup{Stream: places[0].stream, Topic: places[0].topic, Name: "bench-group"}
		if _, err := admin.Request(ctx, client.OpCreateConsumerGroup, 0, create.Append(nil)); err != nil {
			return fmt.Errorf("create consumer group: %w", err)
		}
		join := wire.GroupRequest{Stream: create.Stream, Topic: create.Topic, Group: gid}
		for _, c := range cons {
			if _, err := c.Request(ctx, client.OpJoinConsumerGroup, 0, join.Append(nil)); err != nil {
				return fmt.Errorf("join consumer group: %w", err)
			}
		}
	}
	for i, c := range cons {
		p := places[i]
		owned := []uint32{p.partition}
		consumer := client.ConsumerID(client.NumericID(uint32(i + 1)))
		if group {
			consumer = client.GroupConsumer(gid)
			owned = nil
			for part := range uint32(max(cfg.Partitions, cfg.Consumers)) {
				got, err := c.PollMessages(ctx, p.stream, p.topic, consumer, part, client.PollNext(), 1, false)
				if err != nil {
					return err
				}
				if got.Partition != wire.PollResyncPartition {
					owned = append(owned, part)
				}
			}
			if len(owned) == 0 {
				return fmt.Errorf("group consumer %d owns no partition", i)
			}
		}
		next := make([]uint64, len(owned))
		// drained counts consecutive empty polls sent after the producers
		// were seen done: one per owned partition means all is read.
		k, empty, drained := 0, 0, 0
		poll.ops = append(poll.ops, func(ctx context.Context) (int, error) {
			for {
				j := k % len(owned)
				k++
				strategy := client.PollFromOffset(next[j])
				if group {
					strategy = client.PollNext()
				}
				done := producersDone.Load()
				got, err := c.PollMessages(ctx, p.stream, p.topic, consumer, owned[j], strategy, uint32(cfg.Batch), group)
				if err != nil {
					return 0, err
				}
				if n := len(got.Messages); n > 0 {
					next[j] = got.Messages[n-1].Offset + 1
					empty, drained = 0, 0
					return n, nil
				}
				empty++
				if done {
					if drained++; drained >= len(owned) {
						return 0, errDone
					}
					continue
				}
				if empty%len(owned) == 0 {
					// Caught up with every partition: wait a little for
					// the producers rather than spin on the server.
					t := time.NewTimer(100 * time.Microsecond)
					select {
					case <-t.C:
					case <-ctx.Done():
						t.Stop()
						return 0, ctx.Err()
					}
				}
			}
		})
	}
	r.roles = []*role{send, poll}
	return nil
}
