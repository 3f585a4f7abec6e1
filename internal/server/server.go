package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/consensus"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/metagroup"
	"github.com/shoal-io/shoal/internal/metrics"
	"github.com/shoal-io/shoal/internal/partgroup"
	"github.com/shoal-io/shoal/internal/partset"
	"github.com/shoal-io/shoal/internal/replica"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/webui"
	"github.com/shoal-io/shoal/internal/wire"
)

// ErrServerClosed is returned by Start after Shutdown, and by Serve once
// the server has shut down.
var ErrServerClosed = errors.New("server: closed")

// Server is one Shoal node. Create it with New, start it with Start, stop
// it with Shutdown.
type Server struct {
	opts    Options
	log     *slog.Logger
	fs      vfs.FS           // Options.FS or vfs.Default
	now     func() time.Time // Options.Now or time.Now
	started time.Time

	rt      *shard.Runtime
	shards  []*shardState                   // indexed by shard id; each touched only by its shard (S5)
	store   *metadata.Store                 // the metadata; its committed state is read lock-free
	group   atomic.Pointer[metagroup.Group] // commits the metadata; set once in New
	router  consensus.Router                // the replica plane's consensus frames, by group
	plane   *replica.Plane                  // the replica plane of a clustered node; nil standalone
	svc     *service.Service
	limiter *auth.Limiter // failed logins per address and username
	dir     *directory
	metrics *metrics.Metrics
	pstats  sync.Map // partKey → *partCounters, written by partition owners

	pgMu    sync.Mutex                   // guards pgroups
	pgroups map[partKey]*partgroup.Group // a cluster's partition groups (partgroups.go)

	mu sync.Mutex // guards the fields below
	// +checklocks:mu
	addrs map[string]net.Addr
	// +checklocks:mu
	httpSrv *http.Server
	// +checklocks:mu
	closed bool
	// +checklocks:mu
	running bool // Start has bound the listeners

	httpDone sync.WaitGroup
	done     chan struct{} // closed when Shutdown has finished
}

// New opens the data directory (starting the metadata group, which replays
// its log) and starts the shards. It binds nothing; Start does.
func New(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &Server{opts: opts, log: log, fs: opts.FS, now: opts.Now, dir: newDirectory(), addrs: map[string]net.Addr{},
		done: make(chan struct{})}
	if srv.fs == nil {
		srv.fs = vfs.Default
	}
	if srv.now == nil {
		srv.now = time.Now
	}
	srv.started = srv.now()
	srv.metrics = metrics.New(partitionSource{srv})
	creds, err := srv.rootCredentials()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
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
		OnRequest:         srv.onRequest,
		OnReplicaMessage:  srv.onReplicaMessage,
		OnClientInstalled: srv.onClientInstalled,
		OnClientLost:      srv.onClientLost,
	})
	if err != nil {
		return nil, err
	}
	srv.rt = rt
	srv.shards = make([]*shardState, rt.Shards())
	for i := range srv.shards {
		set := partset.New(srv.fs, srv.opts.DataDir)
		set.OnOpen = srv.logOpen
		srv.shards[i] = &shardState{conns: map[wire.ClientID]*session{}, set: set, rr: map[partKey]uint32{}}
	}
	srv.pgroups = map[partKey]*partgroup.Group{}
	fail := func(err error) (*Server, error) {
		if g := srv.group.Load(); g != nil {
			g.Stop()
		}
		srv.stopAllGroups()
		rt.Shutdown(context.Background())
		rt.Wait()
		srv.closePartitions()
		return nil, err
	}
	// The metadata group re-applies what this replica committed before a
	// restart; the partitions of that state are then swept of deleted
	// ones and opened, and only then may newly committed operations carry
	// out their effects (metagroup: Opened).
	if err := srv.openMetadata(); err != nil {
		return fail(err)
	}
	// Directories of deleted streams and topics are swept only when the
	// replayed state is final (partset.SweepAllowed); then every partition
	// of the state is opened on its owner.
	st := srv.group.Load().Status()
	swept, err := partset.Boot(srv.fs, srv.opts.DataDir, srv.state(), uint64(st.CommitMin), uint64(st.Op), func(tasks []partset.Task) {
		srv.openPartitions(tasks)
		srv.startGroups(tasks)
	})
	if err != nil {
		return fail(fmt.Errorf("server: removing deleted partitions: %w", err))
	}
	if !swept {
		log.Info("orphan sweep skipped: the metadata log or the partition effects are ahead of the replayed commit point", "commit", st.CommitMin, "op", st.Op)
	}
	srv.group.Load().Opened()
	srv.limiter = auth.NewLimiter(auth.LimiterConfig{Log: log, Now: srv.now})
	srv.svc = service.New(service.Config{Store: srv.store, Log: srv.group.Load(), Storage: storage{srv}, Shards: uint32(rt.Shards()),
		Now: srv.now, Logger: log})
	if opts.Cluster.Enabled {
		if err := srv.startPlane(); err != nil {
			srv.svc.Close()
			return fail(err)
		}
		if err := rt.Shard(0).Bus().Go(func(ctx context.Context) { srv.bootstrapLoop(ctx, creds) }); err != nil {
			srv.svc.Close()
			return fail(err)
		}
	} else if err := srv.bootstrapStandalone(creds); err != nil {
		srv.svc.Close()
		return fail(err)
	}
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
	addrs, err := srv.rt.Shard(0).Serve(specs...)
	if err != nil {
		return err
	}
	srv.mu.Lock()
	for i, a := range addrs {
		srv.addrs[specs[i].Name] = a
	}
	srv.running = true
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
	api, err := srv.newAPI()
	if err != nil {
		l.Close()
		return err
	}
	if srv.opts.HTTP.TLS != nil {
		l = tls.NewListener(l, srv.opts.HTTP.TLS)
	}
	var h http.Handler = api
	if srv.opts.API.WebUI {
		h = webui.Handler(api) // /ui/ beside the API, as Iggy mounts its Web UI
		srv.log.Info("web UI enabled", "path", webui.Prefix+"/")
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(srv.log.Handler(), slog.LevelWarn)}
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
		case <-t.C:
			now := srv.now()
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

// Serve starts the server (Start) unless it has started already, and
// blocks until Shutdown or Close has finished; it then returns
// ErrServerClosed (net/http's contract). A failed start is returned at
// once.
func (srv *Server) Serve(ctx context.Context) error {
	srv.mu.Lock()
	started := srv.running
	srv.mu.Unlock()
	if !started {
		if err := srv.Start(ctx); err != nil {
			return err
		}
	}
	<-srv.done
	return ErrServerClosed
}

// Shutdown stops the server in the S9 order, all under ctx: the HTTP
// listener stops accepting and its requests drain (their partition work
// runs on the shards, so before those stop); the metadata
// service takes nothing new and finishes what it holds, so every write it
// took is answered while the shards still run; then the shard runtime
// stops accepting, drains clients, replicas and background work, and
// stops the shard loops; last the partitions and the metadata log close.
// It returns the drain outcome. Calls after the first return at once.
func (srv *Server) Shutdown(ctx context.Context) (bus.DrainOutcome, error) {
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		return bus.DrainOutcome{}, nil
	}
	srv.closed = true
	hs := srv.httpSrv
	srv.mu.Unlock()
	defer close(srv.done)
	// HTTP requests drain first: their partition work needs the shards.
	var httpErr error
	if hs != nil {
		if httpErr = hs.Shutdown(ctx); httpErr != nil {
			hs.Close()
		}
	}
	// A cluster node answers the writes its service holds now rather than
	// after peers that may be gone (metagroup: Abandon; they may still
	// commit). A standalone node's commit waits only for its own disk.
	if srv.opts.Cluster.Enabled {
		srv.group.Load().Abandon()
	}
	srv.svc.Close()
	if srv.plane != nil {
		srv.plane.Close()
	}
	if err := srv.group.Load().Stop(); err != nil {
		srv.log.Error("metadata group stopped with an error", "err", err)
	}
	// The partition groups apply on the shards: they stop first.
	srv.stopAllGroups()
	out := srv.rt.Shutdown(ctx)
	if out.Forced > 0 || out.BackgroundForced > 0 {
		srv.rt.Wait()
	}
	// The shard loops have exited: their partitions can be closed here.
	srv.closePartitions()
	srv.httpDone.Wait()
	var errs []error
	switch {
	case httpErr != nil && ctx.Err() != nil:
		srv.log.Info("http requests forced closed at the shutdown deadline")
	case httpErr != nil:
		errs = append(errs, fmt.Errorf("server: http shutdown: %w", httpErr))
	}
	if err := srv.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("server: metadata: %w", err))
	}
	return out, errors.Join(errs...)
}

// Close stops the server at once: Shutdown with no time to drain, so every
// connection is forced closed. Acknowledged data is already durable (S12).
func (srv *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := srv.Shutdown(ctx)
	return err
}

// busy answers a parked connection's request that the service did not
// take (err: its queue is full, or it is closing) with
// TransientNotAccepted, which clients replay (S11: answered, not dropped).
func (srv *Server) busy(s *shard.Shard, c *session, h *wire.RequestHeader, err error) {
	c.parked = false
	// Answered, and counted under its status: at debug, so a flood of
	// refused requests cannot flood the log too.
	srv.log.Debug("request refused", "client", c.id, "operation", h.Operation, "err", err)
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
