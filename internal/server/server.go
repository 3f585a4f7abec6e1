package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/metrics"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// ErrServerClosed is returned by Start after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// Server is one Shoal node. Create it with New, start it with Start, stop
// it with Shutdown.
type Server struct {
	opts    Options
	log     *slog.Logger
	started time.Time

	rt      *shard.Runtime
	shards  []*shardState   // indexed by shard id; each touched only by its shard (S5)
	store   *metadata.Store // the metadata; its committed state is read lock-free
	svc     *service.Service
	dir     *directory
	metrics *metrics.Metrics
	pstats  sync.Map // partKey → *partCounters, written by partition owners

	mu sync.Mutex // guards the fields below
	// +checklocks:mu
	addrs map[string]net.Addr
	// +checklocks:mu
	httpSrv *http.Server
	// +checklocks:mu
	closed bool

	httpDone sync.WaitGroup
}

// New opens the data directory (replaying the metadata log) and starts the
// shards. It binds nothing; Start does.
func New(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &Server{opts: opts, log: log, started: time.Now(), dir: newDirectory(), addrs: map[string]net.Addr{}}
	srv.metrics = metrics.New(partitionSource{srv})
	store, err := openStore(srv)
	if err != nil {
		return nil, err
	}
	srv.store = store
	if err := srv.sweepOrphans(); err != nil {
		store.Close()
		return nil, fmt.Errorf("server: removing deleted partitions: %w", err)
	}
	cfg := shard.DefaultConfig()
	cfg.Shards = opts.Shards
	// Answers of the metadata service and of partition owners come back
	// to the connection's shard through its reply lane (resume, partAnswer).
	// Each parked connection has at most one answer pending, so the lane
	// needs room for one per connection a shard may hold; a full lane closes
	// the connection (S11), so size it for many connections.
	cfg.ReplyLane = max(cfg.ReplyLane, 16384)
	cfg.Bus = opts.Bus
	cfg.Logger = log
	rt, err := shard.New(cfg, shard.Handlers{
		OnRequest:    srv.onRequest,
		OnClientLost: srv.onClientLost,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	srv.rt = rt
	srv.shards = make([]*shardState, rt.Shards())
	for i := range srv.shards {
		srv.shards[i] = &shardState{conns: map[wire.ClientID]*session{}, parts: map[partKey]*partition.Partition{},
			rr: map[partKey]uint32{}}
	}
	srv.svc = service.New(service.Config{Store: store, Storage: storage{srv}, Shards: uint32(rt.Shards()), Logger: log})
	return srv, nil
}

// Start binds the enabled listeners on shard 0 (S6), the HTTP endpoint, and
// the idle-session sweep.
func (srv *Server) Start(ctx context.Context) error {
	srv.mu.Lock()
	closed := srv.closed
	srv.mu.Unlock()
	if closed {
		return ErrServerClosed
	}
	var specs []shard.ListenerSpec
	o := &srv.opts
	tcpCfg := tcp.DefaultConfig()
	tcpCfg.MaxFrameSize = o.Bus.MaxMessageSize
	tcpCfg.KeepAlive = o.Bus.KeepAlive()
	if o.TCP.Enabled {
		if o.TCP.TLS != nil {
			specs = append(specs, shard.ListenerSpec{Name: "tcp", Bind: func() (transport.Listener, error) {
				return tlsconn.Listen(ctx, o.TCP.Address, tlsconn.Config{TCP: tcpCfg, TLS: o.TCP.TLS})
			}})
		} else {
			specs = append(specs, shard.ListenerSpec{Name: "tcp", Bind: func() (transport.Listener, error) {
				return tcp.Listen(ctx, o.TCP.Address, tcpCfg)
			}})
		}
	}
	specs = append(specs, srv.extraListeners(ctx, tcpCfg)...)
	srv.openPartitions()
	addrs, err := srv.rt.Shard(0).Serve(specs...)
	if err != nil {
		return err
	}
	srv.mu.Lock()
	for i, a := range addrs {
		srv.addrs[specs[i].Name] = a
	}
	srv.mu.Unlock()
	if o.HTTP.Enabled {
		if err := srv.startHTTP(); err != nil {
			return err
		}
	}
	if o.Heartbeat > 0 {
		for i := range srv.rt.Shards() {
			s := srv.rt.Shard(i)
			if err := s.Bus().Go(func(ctx context.Context) { srv.sweepLoop(ctx, s) }); err != nil {
				return err
			}
		}
	}
	if o.Cleaner > 0 {
		if err := srv.rt.Shard(0).Bus().Go(srv.cleanLoop); err != nil {
			return err
		}
	}
	attrs := []any{"version", Version, "shards", srv.rt.Shards(), "data", o.DataDir}
	for _, name := range []string{"tcp", "quic", "websocket", "http"} {
		if a := srv.Addr(name); a != nil {
			attrs = append(attrs, name, a.String())
		}
	}
	srv.log.Info("shoal started", attrs...)
	return nil
}

// Addr returns the bound address of a listener ("tcp", "quic", "websocket",
// "http"), or nil.
func (srv *Server) Addr(name string) net.Addr {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.addrs[name]
}

// Addrs returns every bound listener address by name.
func (srv *Server) Addrs() map[string]string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	out := make(map[string]string, len(srv.addrs))
	for k, v := range srv.addrs {
		out[k] = v.String()
	}
	return out
}

func (srv *Server) startHTTP() error {
	l, err := net.Listen("tcp", srv.opts.HTTP.Address)
	if err != nil {
		return fmt.Errorf("server: http listen %s: %w", srv.opts.HTTP.Address, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.metrics.Handler())
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"healthy","version":%q}`+"\n", Version)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(srv.log.Handler(), slog.LevelWarn)}
	srv.mu.Lock()
	srv.httpSrv = hs
	srv.addrs["http"] = l.Addr()
	srv.mu.Unlock()
	srv.httpDone.Add(1)
	go func() {
		defer srv.httpDone.Done()
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.log.Error("http server failed", "err", err)
		}
	}()
	return nil
}

// sweepLoop evicts connections silent for longer than 1.2 × Heartbeat
// (wire.md §2.9), on shard s.
func (srv *Server) sweepLoop(ctx context.Context, s *shard.Shard) {
	window := srv.opts.Heartbeat * 6 / 5
	t := time.NewTicker(srv.opts.Heartbeat / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			_ = s.Post(func(s *shard.Shard) {
				for _, c := range srv.shards[s.ID()].conns {
					if now.Sub(c.lastSeen) > window && !c.parked {
						srv.evict(s, c, c.client, wire.EvictStaleClient)
						srv.closeClient(s, c, fmt.Errorf("silent for %v", now.Sub(c.lastSeen).Round(time.Second)))
					}
				}
			})
		}
	}
}

// Shutdown stops the server in the S9 order: stop accepting, cancel
// background work, drain clients, then replicas and background work, all
// under ctx; then it stops HTTP and closes the metadata log. It returns the
// drain outcome.
func (srv *Server) Shutdown(ctx context.Context) (bus.DrainOutcome, error) {
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		return bus.DrainOutcome{}, nil
	}
	srv.closed = true
	hs := srv.httpSrv
	srv.mu.Unlock()
	out := srv.rt.Shutdown(ctx)
	if out.Forced > 0 || out.BackgroundForced > 0 {
		srv.rt.Wait()
	}
	// The clients are gone: the metadata writer finishes what it holds
	// (its partition work reaches the shard inboxes, which drain below).
	srv.svc.Close()
	// The shard loops have exited: their partitions can be closed here.
	srv.closePartitions()
	var errs []error
	if hs != nil {
		if err := hs.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("server: http shutdown: %w", err))
			hs.Close()
		}
		srv.httpDone.Wait()
	}
	if err := srv.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("server: metadata: %w", err))
	}
	return out, errors.Join(errs...)
}

// busy answers a parked connection's request that the service did not
// take (err: its queue is full, or it is closing) with
// TransientNotAccepted, which clients replay (S11: answered, not dropped).
func (srv *Server) busy(s *shard.Shard, c *session, h *wire.RequestHeader, err error) {
	c.parked = false
	srv.log.Warn("request refused", "client", c.id, "operation", h.Operation, "err", err)
	srv.metrics.Status(wire.StatusTransientNotAccepted)
	srv.reply(s, c, h, wire.StatusTransientNotAccepted, nil)
}

// partitionSource gives the metrics package the committed metadata and
// the partitions' counters.
type partitionSource struct{ srv *Server }

func (p partitionSource) State() *metadata.State { return p.srv.state() }

func (p partitionSource) Stats(stream, topic, part uint32) metadata.PartitionStats {
	return p.srv.stats(stream, topic, part)
}
