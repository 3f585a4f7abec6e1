package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/chaos/proxy"
)

// BuildServer builds cmd/shoal-server into dir and returns the binary's
// path. It runs `go build` in the module the chaos package belongs to, so
// it works from any directory inside it.
func BuildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "shoal-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/shoal-io/shoal/cmd/shoal-server")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("chaos: go build shoal-server: %w\n%s", err, out)
	}
	return bin, nil
}

// Cluster timing of the nodes a cluster run starts ([cluster] keys): a
// backup that hears nothing from the primary for heartbeatTimeout starts a
// view change. Shorter than the defaults so faults lead to elections
// within a short run, at the configuration's minimum.
const (
	heartbeatTimeout = 2 * time.Second
	reconnectPeriod  = 100 * time.Millisecond
)

// cluster is three (or Nodes) shoal-server processes on loopback whose
// replica links all go through a proxy.Mesh. Clients reach the nodes'
// TCP listeners directly.
//
// The replica plane connects each pair once, and the lower replica id
// dials the higher (internal/replica Config.Peers), so node i's config
// lists every higher node j at the address of mesh proxy (i, j) and every
// other node at its real replica address (never dialed by i, but
// internal/config wants one per node). Only proxies (i, j) with i < j
// carry traffic; Mesh.Partition and Mesh.OneWay fault both proxies of a
// pair, so they act whichever side dialed.
type cluster struct {
	dir   string
	procs []*process
	tcp   []string // client addresses, by replica id
	http  []string // HTTP API addresses, by replica id (local views, localViewOf)
	mesh  *proxy.Mesh
}

// FreePorts reserves n loopback ports by binding and releasing them: the
// configs of a set of server processes need every port before any of
// them starts (internal/bench's clusters use it too).
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("chaos: reserve a port: %w", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// startCluster writes the configs, starts the proxies and every node, and
// waits until the cluster has a leader that accepts logins.
func startCluster(ctx context.Context, bin, dir string, nodes int, seed uint64) (*cluster, error) {
	ports, err := FreePorts(3 * nodes)
	if err != nil {
		return nil, err
	}
	tcp, rep, web := ports[:nodes], ports[nodes:2*nodes], ports[2*nodes:]
	c := &cluster{dir: dir}
	targets := make([]string, nodes)
	for i := range nodes {
		targets[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(rep[i]))
		c.tcp = append(c.tcp, net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp[i])))
		c.http = append(c.http, net.JoinHostPort("127.0.0.1", strconv.Itoa(web[i])))
	}
	if c.mesh, err = proxy.NewMesh(targets, seed, nil); err != nil {
		return nil, err
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, errors.Join(err, c.close())
	}
	for i := range nodes {
		p := &process{id: i, bin: bin, config: filepath.Join(dir, fmt.Sprintf("node-%d.toml", i)),
			log: filepath.Join(dir, fmt.Sprintf("node-%d.log", i))}
		replicaPort := func(j int) int {
			if j > i { // i dials j: through the proxy
				_, port, _ := net.SplitHostPort(c.mesh.Addr(i, j))
				n, _ := strconv.Atoi(port)
				return n
			}
			return rep[j]
		}
		if err := os.WriteFile(p.config, nodeConfig(dir, hex.EncodeToString(secret[:]), tcp, web, replicaPort, i), 0o600); err != nil {
			return nil, errors.Join(err, c.close())
		}
		c.procs = append(c.procs, p)
	}
	for _, p := range c.procs {
		if err := p.start(); err != nil {
			return nil, errors.Join(err, c.close())
		}
	}
	if _, err := c.waitLeader(ctx, 60*time.Second); err != nil {
		return nil, errors.Join(err, c.close())
	}
	return c, nil
}

// nodeConfig is one node's config file: TCP for clients (and HTTP, for
// the final checks' local views, localViewOf), small
// consensus timeouts, one shard, no heartbeat eviction or cleaner, data
// under dir/data/<node name>.
func nodeConfig(dir, secret string, tcp, web []int, replicaPort func(int) int, self int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `[system]
path = %q

[system.sharding]
cpu_allocation = "1"

[http]
enabled = true
address = %q

[quic]
enabled = false

[websocket]
enabled = false

[heartbeat]
enabled = false

[data_maintenance.messages]
cleaner_enabled = false

[message_bus]
reconnect_period = "%dms"
keepalive_idle = "2 s"
keepalive_interval = "1 s"

[cluster]
enabled = true
name = "shoal-chaos"
heartbeat_timeout = "%dms"
commit_broadcast_interval = "250 ms"
prepare_retransmit_interval = "100 ms"
view_change_retransmit_interval = "250 ms"
view_change_status_timeout = "1 s"
request_start_view_retransmit_interval = "250 ms"
repair_retry_interval = "250 ms"

[cluster.auth]
enabled = true
shared_secret = %q
`, filepath.Join(dir, "data"), net.JoinHostPort("127.0.0.1", strconv.Itoa(web[self])), reconnectPeriod.Milliseconds(), heartbeatTimeout.Milliseconds(), secret)
	for j := range tcp {
		fmt.Fprintf(&b, "\n[[cluster.nodes]]\nname = \"node-%d\"\nip = \"127.0.0.1\"\nreplica_id = %d\nports = { tcp = %d, http = %d, tcp_replica = %d }\n",
			j, j, tcp[j], web[j], replicaPort(j))
	}
	return []byte(b.String())
}

// addrs is every node's client address, comma-separated, as client.Dial
// takes a cluster.
func (c *cluster) addrs() string { return strings.Join(c.tcp, ",") }

// close kills every node and closes the proxies.
func (c *cluster) close() error {
	var errs []error
	for _, p := range c.procs {
		errs = append(errs, p.kill())
	}
	if c.mesh != nil {
		errs = append(errs, c.mesh.Close())
	}
	return errors.Join(errs...)
}

// logTail is the end of node i's log, for failure reports.
func (c *cluster) logTail(i, lines int) string {
	b, err := os.ReadFile(c.procs[i].log)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
