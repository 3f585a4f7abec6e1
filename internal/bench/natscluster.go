package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shoal-io/shoal/internal/chaos"
)

// Targets of -cluster, and the one their ratios divide by when NATS runs.
const (
	TargetShoalCluster = "shoal-cluster"
	TargetNATSR3       = "nats-r3"        // JetStream R3, file storage, default sync_interval (2 min)
	TargetNATSR3Always = "nats-r3-always" // JetStream R3, file storage, sync_interval: always
)

// natsCluster is clusterNodes nats-server processes clustered over
// loopback routes, each with a config file, a log and a JetStream store
// under one temp dir.
type natsCluster struct {
	dir   string
	procs []*proc
	urls  []string // client URLs, by server; server i is named "n<i>"
	conns []*nats.Conn
}

// natsClusterConfig is server i's config file: its client and route
// listeners on 127.0.0.1, routes to every other server, JetStream in
// storeDir, and with always sync_interval: always (fsync after every
// write) instead of the default (every 2 minutes). The sync setting has no
// command-line flag, hence a file.
func natsClusterConfig(i int, clientPorts, routePorts []int, storeDir string, always bool) []byte {
	var routes []string
	for j, p := range routePorts {
		if j != i {
			routes = append(routes, fmt.Sprintf("%q", "nats://127.0.0.1:"+strconv.Itoa(p)))
		}
	}
	sync := ""
	if always {
		sync = "\n  sync_interval: always"
	}
	return fmt.Appendf(nil, `server_name: n%d
listen: "127.0.0.1:%d"
jetstream {
  store_dir: %q%s
}
cluster {
  name: bench
  listen: "127.0.0.1:%d"
  routes: [%s]
}
`, i, clientPorts[i], storeDir, sync, routePorts[i], strings.Join(routes, ", "))
}

// startNATSCluster starts the servers and creates the stream BENCH
// (subjects bench.>, file storage, Replicas: 3), retrying until the
// cluster has formed and elected its meta and stream leaders. A missing
// binary is errNoNATS.
func startNATSCluster(ctx context.Context, bin string, always bool) (*natsCluster, jetstream.Stream, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, nil, errNoNATS
	}
	dir, err := os.MkdirTemp("", "shoal-bench-nats-r3-")
	if err != nil {
		return nil, nil, err
	}
	nc := &natsCluster{dir: dir}
	s, err := nc.start(ctx, path, always)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("nats cluster: %w%s", err, tails(nc.procs, 5)), nc.stop())
	}
	return nc, s, nil
}

func (nc *natsCluster) start(ctx context.Context, bin string, always bool) (jetstream.Stream, error) {
	ports, err := chaos.FreePorts(2 * clusterNodes)
	if err != nil {
		return nil, err
	}
	clientPorts, routePorts := ports[:clusterNodes], ports[clusterNodes:]
	for i := range clusterNodes {
		conf := filepath.Join(nc.dir, fmt.Sprintf("n%d.conf", i))
		b := natsClusterConfig(i, clientPorts, routePorts, filepath.Join(nc.dir, fmt.Sprintf("n%d", i)), always)
		if err := os.WriteFile(conf, b, 0o600); err != nil {
			return nil, err
		}
		p, err := startProc(fmt.Sprintf("nats-server n%d", i), filepath.Join(nc.dir, fmt.Sprintf("n%d.log", i)), nil, bin, "-c", conf)
		if err != nil {
			return nil, err
		}
		nc.procs = append(nc.procs, p)
		nc.urls = append(nc.urls, "nats://127.0.0.1:"+strconv.Itoa(clientPorts[i]))
	}
	ctx, cancel := context.WithTimeout(ctx, leaderWait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if i := slices.IndexFunc(nc.procs, (*proc).exited); i >= 0 {
			return nil, fmt.Errorf("%s exited", nc.procs[i].name)
		}
		s, err := nc.createStream(ctx)
		if err == nil {
			return s, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no R3 stream after %v: %w", leaderWait, errors.Join(last, ctx.Err()))
		case <-tick.C:
		}
	}
}

// createStream connects to server 0 (once) and creates the R3 stream.
func (nc *natsCluster) createStream(ctx context.Context) (jetstream.Stream, error) {
	if len(nc.conns) == 0 {
		if _, err := nc.connect(nc.urls[0]); err != nil {
			return nil, err
		}
	}
	js, err := jetstream.New(nc.conns[0])
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return js.CreateStream(ctx, jetstream.StreamConfig{Name: "BENCH", Subjects: []string{"bench.>"},
		Storage: jetstream.FileStorage, Replicas: clusterNodes})
}

func (nc *natsCluster) connect(url string) (*nats.Conn, error) {
	c, err := nats.Connect(url, nats.MaxReconnects(0))
	if err != nil {
		return nil, err
	}
	nc.conns = append(nc.conns, c)
	return c, nil
}

// leaderURL returns the client URL of the server that leads stream s.
func (nc *natsCluster) leaderURL(ctx context.Context, s jetstream.Stream) (string, error) {
	info, err := s.Info(ctx)
	if err != nil {
		return "", err
	}
	if info.Cluster == nil {
		return "", errors.New("stream info names no cluster")
	}
	i, err := strconv.Atoi(strings.TrimPrefix(info.Cluster.Leader, "n"))
	if err != nil || i < 0 || i >= len(nc.urls) {
		return "", fmt.Errorf("stream leader %q is not one of the servers", info.Cluster.Leader)
	}
	return nc.urls[i], nil
}

// stop closes the connections, stops every server (SIGTERM, SIGKILL after
// stopGrace, reported) and removes the temp dir.
func (nc *natsCluster) stop() error {
	for _, c := range nc.conns {
		c.Close()
	}
	nc.conns = nil
	err := stopAll(nc.procs, stopGrace)
	if err != nil {
		err = fmt.Errorf("nats cluster: %w%s", err, tails(nc.procs, 5))
	}
	return errors.Join(err, os.RemoveAll(nc.dir))
}

// natsR3Once runs pinned-producer against a fresh R3 JetStream cluster,
// once with the default sync interval and once with sync_interval: always;
// other workloads are skipped. The producers connect to the server that
// leads the stream, as Shoal's clients connect to the leader, and publish
// a batch asynchronously, then wait for every ack (jsPubOp): JetStream
// acks a message once a quorum of the stream's peers stored it.
func natsR3Once(ctx context.Context, cfg *Config, w string, progress io.Writer) (res []Result, skipped []string, warn, err error) {
	if w != PinnedProducer {
		return nil, []string{"nats-r3 " + w + ": -cluster compares pinned-producer only"}, nil, nil
	}
	for _, always := range []bool{false, true} {
		r, rw, err := natsR3Run(ctx, cfg, always, progress)
		warn = errors.Join(warn, rw)
		if errors.Is(err, errNoNATS) {
			return nil, []string{"nats-r3 " + PinnedProducer + ": " + err.Error()}, warn, nil
		}
		if err != nil {
			return nil, nil, warn, err
		}
		res = append(res, r...)
	}
	return res, nil, warn, nil
}

func natsR3Run(ctx context.Context, cfg *Config, always bool, progress io.Writer) (res []Result, warn, err error) {
	nc, s, err := startNATSCluster(ctx, cfg.NATSServer, always)
	if err != nil {
		return nil, nil, err
	}
	defer func() { warn = nc.stop() }()
	url, err := nc.leaderURL(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	subs := cfg.subjects(cfg.Producers)
	bud, pc := &budget{total: cfg.Messages}, newPacer(cfg.Rate)
	ro := &role{name: "send", msgBytes: cfg.Size}
	for i := range cfg.Producers {
		c, err := nc.connect(url)
		if err != nil {
			return nil, nil, err
		}
		js, err := jetstream.New(c)
		if err != nil {
			return nil, nil, err
		}
		ro.ops = append(ro.ops, cfg.jsPubOp(js, subs[i], bud, pc))
	}
	r := &run{target: TargetNATSR3, workload: PinnedProducer, transport: "tcp", roles: []*role{ro},
		note: fmt.Sprintf("%d nats-server processes clustered over loopback routes, stream Replicas: 3, file storage, "+
			"producers on the stream leader; default sync_interval (fsync every 2 min): an ack means a quorum holds it in the page cache", clusterNodes)}
	if always {
		r.target = TargetNATSR3Always
		r.note = fmt.Sprintf("as %s but sync_interval: always: every server's file store fsyncs after each write (a write holds what arrived together, not one message), so a quorum fsynced a message before its ack", TargetNATSR3)
	}
	mctx, cancel := cfg.measured(ctx)
	defer cancel()
	res, err = drive(mctx, r, cfg.Tick, progress)
	return res, nil, err
}
