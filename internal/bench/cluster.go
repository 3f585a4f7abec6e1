package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/chaos"
)

// clusterNodes is the size of the clusters -cluster starts: Shoal's and
// NATS's, so a message is acknowledged once two of three hold it.
const clusterNodes = 3

// leaderWait bounds how long a fresh cluster may take to elect a leader
// that answers (a Shoal view change, a JetStream meta and stream leader).
const leaderWait = 60 * time.Second

// shoalCluster is clusterNodes shoal-server processes on loopback ports,
// each with its config file, log and data under one temp dir, as
// scripts/cluster.sh runs cluster.toml's nodes.
type shoalCluster struct {
	dir    string
	procs  []*proc
	addrs  []string // client TCP addresses, by replica id
	leader int      // the replica id that led when the cluster was ready
}

// serverBinary returns cfg's shoal-server binary, or builds one into a
// temp dir; done removes what it built.
func serverBinary(ctx context.Context, cfg *Config) (bin string, done func(), err error) {
	if cfg.ServerBinary != "" {
		return cfg.ServerBinary, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "shoal-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	if bin, err = chaos.BuildServer(ctx, dir); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("%w (run inside the repository, or pass -server-binary)", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// startShoalCluster writes a config per node, starts the nodes and waits
// until a majority of them name the same leader.
func startShoalCluster(ctx context.Context, cfg *Config, bin string) (*shoalCluster, error) {
	dir, err := os.MkdirTemp("", "shoal-bench-cluster-")
	if err != nil {
		return nil, err
	}
	c := &shoalCluster{dir: dir, leader: -1}
	if err := c.start(ctx, cfg, bin); err != nil {
		err = errors.Join(err, c.stop())
		return nil, err
	}
	return c, nil
}

func (c *shoalCluster) start(ctx context.Context, cfg *Config, bin string) error {
	ports, err := chaos.FreePorts(2 * clusterNodes)
	if err != nil {
		return err
	}
	tcp, replica := ports[:clusterNodes], ports[clusterNodes:]
	for _, p := range tcp {
		c.addrs = append(c.addrs, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return err
	}
	conf := shoalClusterConfig(filepath.Join(c.dir, "data"), hex.EncodeToString(secret[:]), tcp, replica)
	env := append(chaos.ServerEnv(), "IGGY_ROOT_USERNAME="+cfg.Username, "IGGY_ROOT_PASSWORD="+cfg.Password)
	for i := range clusterNodes {
		path := filepath.Join(c.dir, fmt.Sprintf("node-%d.toml", i))
		if err := os.WriteFile(path, conf, 0o600); err != nil {
			return err
		}
		p, err := startProc(fmt.Sprintf("shoal node %d", i), filepath.Join(c.dir, fmt.Sprintf("node-%d.log", i)), env,
			bin, "--config", path, "--replica-id", strconv.Itoa(i))
		if err != nil {
			return err
		}
		c.procs = append(c.procs, p)
	}
	if c.leader, err = c.waitLeader(ctx, cfg, leaderWait); err != nil {
		return fmt.Errorf("shoal cluster: %w%s", err, tails(c.procs, 5))
	}
	return nil
}

// shoalClusterConfig is the config file every node reads (each is told
// apart by --replica-id, as with cluster.toml): TCP only for clients, no
// HTTP, QUIC or WebSocket listener, no heartbeat eviction, cluster
// authentication with a fresh secret, and the default consensus timings
// and sharding; data under dataDir/<node name>.
func shoalClusterConfig(dataDir, secret string, tcp, replica []int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `[system]
path = %q

[http]
enabled = false

[quic]
enabled = false

[websocket]
enabled = false

[heartbeat]
enabled = false

[cluster]
enabled = true
name = "shoal-bench"

[cluster.auth]
enabled = true
shared_secret = %q
`, dataDir, secret)
	for i := range tcp {
		fmt.Fprintf(&b, "\n[[cluster.nodes]]\nname = \"shoal-node-%d\"\nip = \"127.0.0.1\"\nreplica_id = %d\nports = { tcp = %d, tcp_replica = %d }\n",
			i, i, tcp[i], replica[i])
	}
	return []byte(b.String())
}

// waitLeader asks every node for the cluster metadata (GetClusterMetadata)
// until a majority name the same healthy leader, and returns its replica
// id. A node that exits is an error at once.
func (c *shoalCluster) waitLeader(ctx context.Context, cfg *Config, within time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		votes := map[int]int{}
		for i, p := range c.procs {
			if p.exited() {
				return -1, fmt.Errorf("%s exited", p.name)
			}
			if l := c.leaderOf(ctx, cfg, i); l >= 0 {
				votes[l]++
			}
		}
		for l, n := range votes {
			if 2*n > len(c.procs) {
				return l, nil
			}
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("no leader after %v (votes %v): %w", within, votes, ctx.Err())
		case <-tick.C:
		}
	}
}

// leaderOf logs in to node i and returns the replica id of the healthy
// leader it reports, or -1. (A node answers GetClusterMetadata only to a
// logged-in client; the login may move the client to the leader, which
// then answers.)
func (c *shoalCluster) leaderOf(ctx context.Context, cfg *Config, i int) int {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, c.addrs[i], client.WithHeartbeat(0), client.WithReconnect(false),
		client.WithCredentials(cfg.Username, cfg.Password))
	if err != nil {
		return -1
	}
	defer cl.Close()
	md, err := cl.ClusterMetadata(ctx)
	if err != nil {
		return -1
	}
	for _, n := range md.Nodes {
		if n.Role == client.RoleLeader && n.Status == client.NodeHealthy {
			for j, a := range c.addrs {
				if n.Addr(client.TCP) == a {
					return j
				}
			}
		}
	}
	return -1
}

// stop stops every node (SIGTERM, SIGKILL after stopGrace, reported) and
// removes the temp dir.
func (c *shoalCluster) stop() error {
	err := stopAll(c.procs, stopGrace)
	if err != nil {
		err = fmt.Errorf("shoal cluster: %w%s", err, tails(c.procs, 5))
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// shoalClusterOnce runs workload w against a fresh three-node cluster.
// The clients are given every node's address and follow the leader
// (client package doc), so every request goes to the leader.
func shoalClusterOnce(ctx context.Context, cfg *Config, bin, w string, progress io.Writer) (res []Result, warn error, err error) {
	c, err := startShoalCluster(ctx, cfg, bin)
	if err != nil {
		return nil, nil, err
	}
	defer func() { warn = c.stop() }()
	st := &shoalTarget{addr: strings.Join(c.addrs, ","), cfg: cfg, tr: "tcp", stop: func() {},
		prefix: fmt.Sprintf("bench-%d-", time.Now().UnixNano())}
	r, cleanup, err := shoalRun(ctx, cfg, st, w)
	if err != nil {
		return nil, nil, fmt.Errorf("shoal cluster %s: %w", w, err)
	}
	defer cleanup()
	r.target = "shoal-cluster"
	r.note = fmt.Sprintf("%d shoal-server processes on loopback, clients on the leader (node %d at the start); "+
		"a send is acknowledged once a quorum of its partition's group fsynced it to its journal and applied it", clusterNodes, c.leader)
	mctx, cancel := cfg.measured(ctx)
	defer cancel()
	res, err = drive(mctx, r, cfg.Tick, progress)
	return res, nil, err
}

// measureCluster is Measure for -cluster: for each round and workload, a
// fresh Shoal cluster, then (with -compare nats) fresh R3 NATS clusters,
// then (with -compare floor) the floor, each run's results marked with
// its round. Ratios divide by nats-r3 when NATS ran, else by the Shoal
// cluster.
func measureCluster(ctx context.Context, cfg *Config, rep *Report, progress io.Writer) error {
	bin, done, err := serverBinary(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	rep.Base = TargetShoalCluster
	warn := func(err error) {
		if err != nil {
			rep.Warnings = append(rep.Warnings, err.Error())
		}
	}
	for round := 1; round <= cfg.Rounds; round++ {
		for _, w := range cfg.Workloads {
			var res []Result
			r, wr, err := shoalClusterOnce(ctx, cfg, bin, w, progress)
			warn(wr)
			if err != nil {
				return err
			}
			res = append(res, r...)
			if slices.Contains(cfg.Compare, "nats") {
				r, skipped, wr, err := natsR3Once(ctx, cfg, w, progress)
				warn(wr)
				if err != nil {
					return err
				}
				if len(r) > 0 {
					rep.Base = TargetNATSR3
				}
				res = append(res, r...)
				if round == 1 {
					rep.Skipped = append(rep.Skipped, skipped...)
				}
			}
			if slices.Contains(cfg.Compare, "floor") && (w == Echo || w == PinnedProducer) {
				r, err := floorOnce(ctx, cfg, w, progress)
				if err != nil {
					return err
				}
				res = append(res, r...)
			}
			for i := range res {
				res[i].Round = round
			}
			rep.Results = append(rep.Results, res...)
		}
	}
	return nil
}
