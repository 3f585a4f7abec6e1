package bench

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/chaos"
	"github.com/shoal-io/shoal/internal/config"
	"github.com/shoal-io/shoal/internal/server"
)

func TestParseFlagsCluster(t *testing.T) {
	cfg, err := ParseFlags([]string{"-cluster", "-server-binary", "/x/shoal-server", "-rounds", "2", "-compare", "nats",
		"-workload", "pinned-producer"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Cluster || cfg.ServerBinary != "/x/shoal-server" || cfg.Rounds != 2 {
		t.Fatalf("parsed %+v", cfg)
	}
	for _, bad := range [][]string{
		{"-cluster", "-server-address", "x:1"}, {"-cluster", "-transport", "quic"}, {"-cluster", "-rounds", "0"},
		{"-rounds", "2"}, {"-server-binary", "x"},
	} {
		if _, err := ParseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestShoalClusterConfigLoads reads the node config through
// internal/config and server.FromConfig, as shoal-server does, for each
// replica id: no unknown key, and each node gets its own ports and data
// directory.
func TestShoalClusterConfigLoads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node.toml")
	tcp, replica := []int{7001, 7002, 7003}, []int{7101, 7102, 7103}
	conf := shoalClusterConfig(filepath.Join(dir, "data"), strings.Repeat("k", 64), tcp, replica)
	if err := os.WriteFile(path, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for id := range clusterNodes {
		cfg, rep, err := config.Load(config.LoadOptions{Path: path, Environ: []string{}, ReplicaID: &id})
		if err != nil {
			t.Fatalf("replica %d: %v\n%s", id, err, conf)
		}
		if len(rep.Warnings) > 0 {
			t.Errorf("replica %d: warnings %q", id, rep.Warnings)
		}
		if !cfg.Cluster.Enabled || len(cfg.Cluster.Nodes) != clusterNodes {
			t.Fatalf("replica %d: cluster %+v", id, cfg.Cluster)
		}
		opts, err := server.FromConfig(cfg)
		if err != nil {
			t.Fatalf("replica %d: %v", id, err)
		}
		if want := ":" + strconv.Itoa(tcp[id]); !strings.HasSuffix(opts.TCP.Address, want) {
			t.Errorf("replica %d: tcp %q, want port %s", id, opts.TCP.Address, want)
		}
		if seen[opts.DataDir] {
			t.Errorf("replica %d shares data dir %s", id, opts.DataDir)
		}
		seen[opts.DataDir] = true
	}
}

func TestNATSClusterConfig(t *testing.T) {
	clientPorts, routePorts := []int{4001, 4002, 4003}, []int{5001, 5002, 5003}
	def := string(natsClusterConfig(1, clientPorts, routePorts, "/s/n1", false))
	always := string(natsClusterConfig(1, clientPorts, routePorts, "/s/n1", true))
	for _, want := range []string{"server_name: n1", `listen: "127.0.0.1:4002"`, `store_dir: "/s/n1"`, "name: bench",
		`listen: "127.0.0.1:5002"`, `routes: ["nats://127.0.0.1:5001", "nats://127.0.0.1:5003"]`} {
		if !strings.Contains(def, want) || !strings.Contains(always, want) {
			t.Errorf("config lacks %q:\n%s\n%s", want, def, always)
		}
	}
	if strings.Contains(def, "sync_interval") || !strings.Contains(always, "sync_interval: always") {
		t.Errorf("sync settings:\n%s\n%s", def, always)
	}
}

// TestSummaryClusterRatios checks that -cluster ratios divide by nats-r3
// of the same workload, role and round, and that the table and page name
// the base and the rounds.
func TestSummaryClusterRatios(t *testing.T) {
	row := func(target string, round int, msgs, p99 float64) Result {
		return Result{Target: target, Workload: PinnedProducer, Transport: "tcp", Role: "send", Round: round,
			MsgsPerS: msgs, Latency: Latency{P99: p99}}
	}
	rep := &Report{Base: TargetNATSR3, Results: []Result{
		row(TargetShoalCluster, 1, 500, 4000), row(TargetNATSR3, 1, 1000, 2000), row(TargetNATSR3Always, 1, 250, 8000),
		row(TargetShoalCluster, 2, 900, 1000), row(TargetNATSR3, 2, 300, 4000), row(TargetNATSR3Always, 2, 150, 9000),
	}}
	var out bytes.Buffer
	Summary(&out, rep)
	lines := strings.Split(out.String(), "\n")
	if !strings.Contains(lines[3], "round") || !strings.Contains(lines[3], "msgs/s ÷ nats-r3") {
		t.Fatalf("header %q", lines[3])
	}
	for i, want := range []string{"0.50×  2.00×", "", "0.25×  4.00×", "3.00×  0.25×", "", "0.50×  2.25×"} {
		f := strings.Fields(lines[4+i])
		got := strings.Join(f[len(f)-2:], "  ")
		if want == "" {
			if strings.Contains(lines[4+i], "×") {
				t.Errorf("base row has a ratio: %q", lines[4+i])
			}
		} else if got != want {
			t.Errorf("row %d: %q, want ratios %q", i, got, want)
		}
	}
	if !strings.Contains(out.String(), clusterPlacement) {
		t.Error("no cluster placement note")
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"÷ nats-r3", "shoal-cluster #2", "nats-r3-always #1"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// The shoal-server binary for the cluster test, built once (its dir is
// removed by TestMain).
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	binErr    error
)

func shoalServer(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "shoal-bench-test-bin-"); binErr == nil {
			binPath, binErr = chaos.BuildServer(context.Background(), binDir)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// TestClusterSmoke starts a three-node Shoal cluster and, when
// nats-server is on the PATH, the two R3 NATS clusters, and sends 400
// messages to each: every target must move exactly those, with a latency
// per batch, and the ratios divide by nats-r3.
func TestClusterSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds shoal-server and starts server processes")
	}
	cfg := DefaultConfig()
	cfg.Cluster, cfg.ServerBinary = true, shoalServer(t)
	cfg.Workloads, cfg.Producers, cfg.Messages, cfg.Batch, cfg.Size, cfg.Progress = []string{PinnedProducer}, 1, 400, 20, 64, false
	cfg.Compare = []string{"nats"}
	rep, err := Measure(context.Background(), cfg, "test", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{TargetShoalCluster, TargetNATSR3, TargetNATSR3Always}
	if _, err := exec.LookPath(cfg.NATSServer); err != nil {
		want = want[:1]
		if len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0], "nats-server") {
			t.Errorf("skipped %q", rep.Skipped)
		}
	}
	if len(rep.Results) != len(want) {
		t.Fatalf("%d results, want %v", len(rep.Results), want)
	}
	for i, r := range rep.Results {
		if r.Target != want[i] || r.Round != 1 || r.Messages != 400 || r.Latency.Count != 20 || r.Latency.P50 <= 0 {
			t.Errorf("result %d: %s round %d, %d messages, latency %+v", i, r.Target, r.Round, r.Messages, r.Latency)
		}
	}
	if len(rep.Warnings) > 0 {
		t.Errorf("warnings: %q", rep.Warnings)
	}
	if len(want) > 1 && rep.Base != TargetNATSR3 {
		t.Errorf("base %q", rep.Base)
	}
}
