package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const secret32 = "0123456789abcdef0123456789abcdef" // exactly MinSharedSecretLen

// threeNodes is a valid cluster: three nodes on one host, auth on.
const threeNodes = `
[cluster]
enabled = true
replica_id = 1

[cluster.auth]
enabled = true
shared_secret = "` + secret32 + `"

[[cluster.nodes]]
name = "n0"
ip = "127.0.0.1"
replica_id = 0
ports = { tcp = 7000, quic = 7010, http = 7020, websocket = 7030, tcp_replica = 7040 }

[[cluster.nodes]]
name = "n1"
ip = "127.0.0.1"
replica_id = 1
ports = { tcp = 7001, quic = 7011, http = 7021, websocket = 7031, tcp_replica = 7041 }

[[cluster.nodes]]
name = "n2"
ip = "127.0.0.1"
replica_id = 2
ports = { tcp = 7002, quic = 7012, http = 7022, websocket = 7032, tcp_replica = 7042 }
`

// loadCluster loads threeNodes with extra appended (TOML allows keys of a
// section only in its table, so extra adds whole tables or env).
func loadCluster(t *testing.T, extra string, env ...string) (*Config, error) {
	t.Helper()
	t.Chdir(t.TempDir())
	path := writeFile(t, t.TempDir(), "cluster.toml", threeNodes+extra)
	c, _, err := Load(LoadOptions{Path: path, Environ: append(env, "X=1")})
	return c, err
}

func TestClusterDefaults(t *testing.T) {
	cl := Default().Cluster
	for _, ck := range []struct {
		key       string
		got, want any
	}{
		{"heartbeat_timeout", cl.HeartbeatTimeout.Std(), 5 * time.Second},
		{"commit_broadcast_interval", cl.CommitBroadcastInterval.Std(), 500 * time.Millisecond},
		{"prepare_retransmit_interval", cl.PrepareRetransmitInterval.Std(), 250 * time.Millisecond},
		{"view_change_retransmit_interval", cl.ViewChangeRetransmitInterval.Std(), 500 * time.Millisecond},
		{"view_change_status_timeout", cl.ViewChangeStatusTimeout.Std(), 5 * time.Second},
		{"request_start_view_retransmit_interval", cl.RequestStartViewRetransmitInterval.Std(), time.Second},
		{"view_probe_attempts_max", cl.ViewProbeAttemptsMax, 5},
		{"metadata_checkpoint_interval", cl.MetadataCheckpointInterval, 4096},
		{"partition_checkpoint_interval", cl.PartitionCheckpointInterval, 64},
		{"repair_retry_interval", cl.RepairRetryInterval.Std(), time.Second},
		{"auth.enabled", cl.Auth.Enabled, false},
		{"auth.shared_secret", cl.Auth.SharedSecret, Secret("")},
		{"tls.enabled", cl.TLS.Enabled, false},
		{"tls.self_signed", cl.TLS.SelfSigned, false},
	} {
		if ck.got != ck.want {
			t.Errorf("cluster.%s = %v, want %v", ck.key, ck.got, ck.want)
		}
	}
	if n := Ticks(cl.HeartbeatTimeout); n != 500 {
		t.Errorf("Ticks(5 s) = %d", n)
	}
}

func TestTicks(t *testing.T) {
	for d, want := range map[time.Duration]int{
		0: 1, time.Millisecond: 1, 10 * time.Millisecond: 1, 19 * time.Millisecond: 1, 20 * time.Millisecond: 2,
		255 * time.Millisecond: 25, time.Second: 100,
	} {
		if got := Ticks(Duration(d)); got != want {
			t.Errorf("Ticks(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestClusterValid(t *testing.T) {
	c, err := loadCluster(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Cluster.Enabled || len(c.Cluster.Nodes) != 3 || c.Cluster.ReplicaID != 1 || string(c.Cluster.Auth.SharedSecret) != secret32 {
		t.Fatalf("cluster %+v", c.Cluster)
	}
}

// Each rule of validateCluster, one broken setting at a time; the error
// names the key.
func TestClusterValidationErrors(t *testing.T) {
	tlsOn := "[cluster.tls]\nenabled = true\nself_signed = true\n"
	for _, tc := range []struct {
		name  string
		extra string   // appended tables
		env   []string // or environment overrides
		key   string   // the key the error must name
		want  string   // and a substring of its message
	}{
		{"empty name", "", []string{"IGGY_CLUSTER_NAME= "}, "cluster.name", "empty"},
		{"short heartbeat", "", []string{"IGGY_CLUSTER_HEARTBEAT_TIMEOUT=1 s"}, "cluster.heartbeat_timeout", "at least 2s"},
		{"heartbeat under 4 broadcasts", "", []string{"IGGY_CLUSTER_HEARTBEAT_TIMEOUT=3 s", "IGGY_CLUSTER_COMMIT_BROADCAST_INTERVAL=1 s"},
			"cluster.heartbeat_timeout", "4 × cluster.commit_broadcast_interval"},
		{"zero broadcast", "", []string{"IGGY_CLUSTER_COMMIT_BROADCAST_INTERVAL=0"}, "cluster.commit_broadcast_interval", "positive"},
		{"zero prepare", "", []string{"IGGY_CLUSTER_PREPARE_RETRANSMIT_INTERVAL=0"}, "cluster.prepare_retransmit_interval", "positive"},
		{"zero view change resend", "", []string{"IGGY_CLUSTER_VIEW_CHANGE_RETRANSMIT_INTERVAL=0"}, "cluster.view_change_retransmit_interval", "positive"},
		{"status under 4 resends", "", []string{"IGGY_CLUSTER_VIEW_CHANGE_STATUS_TIMEOUT=1 s"},
			"cluster.view_change_status_timeout", "4 × cluster.view_change_retransmit_interval"},
		{"zero start view", "", []string{"IGGY_CLUSTER_REQUEST_START_VIEW_RETRANSMIT_INTERVAL=0"}, "cluster.request_start_view_retransmit_interval", "positive"},
		{"zero repair", "", []string{"IGGY_CLUSTER_REPAIR_RETRY_INTERVAL=0"}, "cluster.repair_retry_interval", "positive"},
		{"no probes", "", []string{"IGGY_CLUSTER_VIEW_PROBE_ATTEMPTS_MAX=0"}, "cluster.view_probe_attempts_max", "1..100"},
		{"many probes", "", []string{"IGGY_CLUSTER_VIEW_PROBE_ATTEMPTS_MAX=101"}, "cluster.view_probe_attempts_max", "1..100"},
		{"tiny checkpoints", "", []string{"IGGY_CLUSTER_PARTITION_CHECKPOINT_INTERVAL=2"}, "cluster.partition_checkpoint_interval", "4..1048576"},
		{"huge checkpoints", "", []string{"IGGY_CLUSTER_METADATA_CHECKPOINT_INTERVAL=2000000"}, "cluster.metadata_checkpoint_interval", "4..1048576"},
		{"auth without secret", "", []string{"IGGY_CLUSTER_AUTH_SHARED_SECRET="}, "cluster.auth.shared_secret", "required"},
		{"short secret", "", []string{"IGGY_CLUSTER_AUTH_SHARED_SECRET=" + secret32[1:]}, "cluster.auth.shared_secret", "at least 32 bytes, got 31"},
		{"short secret with auth off", "", []string{"IGGY_CLUSTER_AUTH_ENABLED=false", "IGGY_CLUSTER_AUTH_SHARED_SECRET=short"},
			"cluster.auth.shared_secret", "at least 32"},
		{"short previous secret", "", []string{"IGGY_CLUSTER_AUTH_PREVIOUS_SHARED_SECRET=short"}, "cluster.auth.previous_shared_secret", "at least 32"},
		{"previous equals current", "", []string{"IGGY_CLUSTER_AUTH_PREVIOUS_SHARED_SECRET=" + secret32}, "cluster.auth.previous_shared_secret", "rotation"},
		{"tls without auth", tlsOn, []string{"IGGY_CLUSTER_AUTH_ENABLED=false", "IGGY_CLUSTER_AUTH_SHARED_SECRET="},
			"cluster.tls.enabled", "requires cluster.auth.enabled"},
		{"tls cert files", tlsOn, []string{"IGGY_CLUSTER_TLS_SELF_SIGNED=false", "IGGY_CLUSTER_TLS_CERT_FILE=c.pem", "IGGY_CLUSTER_TLS_KEY_FILE=k.pem"},
			"cluster.tls.ca_file", "required"},
		{"replica id beyond nodes", "", []string{"IGGY_CLUSTER_REPLICA_ID=3"}, "cluster.replica_id", "one of the 3 nodes"},
		{"too many nodes", strings.Repeat("[[cluster.nodes]]\n", MaxReplicas), nil, "cluster.nodes", "1..16"},
		{"duplicate replica id", "[[cluster.nodes]]\nname = \"n3\"\nip = \"127.0.0.2\"\nreplica_id = 2\nports = { tcp = 1, quic = 2, http = 3, websocket = 4, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].replica_id", "used by two nodes"},
		{"replica id out of range", "[[cluster.nodes]]\nname = \"n3\"\nip = \"127.0.0.2\"\nreplica_id = 4\nports = { tcp = 1, quic = 2, http = 3, websocket = 4, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].replica_id", "0..3"},
		{"duplicate name", "[[cluster.nodes]]\nname = \"n1\"\nip = \"127.0.0.2\"\nreplica_id = 3\nports = { tcp = 1, quic = 2, http = 3, websocket = 4, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].name", "used by two nodes"},
		{"name with a slash", "[[cluster.nodes]]\nname = \"../x\"\nip = \"127.0.0.2\"\nreplica_id = 3\nports = { tcp = 1, quic = 2, http = 3, websocket = 4, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].name", "directory"},
		{"no name", "[[cluster.nodes]]\nip = \"127.0.0.2\"\nreplica_id = 3\nports = { tcp = 1, quic = 2, http = 3, websocket = 4, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].name", "empty"},
		{"bad ip", "[[cluster.nodes]]\nname = \"n3\"\nip = \"node3.example\"\nreplica_id = 3\nports = { tcp = 1, quic = 2, http = 3, websocket = 4, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].ip", "not an IP address"},
		{"port out of range", "[[cluster.nodes]]\nname = \"n3\"\nip = \"127.0.0.2\"\nreplica_id = 3\nports = { tcp = 70000, quic = 2, http = 3, websocket = 4, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].ports.tcp", "out of range"},
		{"no replica port", "[[cluster.nodes]]\nname = \"n3\"\nip = \"127.0.0.2\"\nreplica_id = 3\nports = { tcp = 1, quic = 2, http = 3, websocket = 4 }\n",
			nil, "cluster.nodes[3].ports.tcp_replica", "required"},
		{"no port for an enabled listener", "[[cluster.nodes]]\nname = \"n3\"\nip = \"127.0.0.2\"\nreplica_id = 3\nports = { tcp = 1, quic = 2, http = 3, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].ports.websocket", "required"},
		{"address shared by two nodes", "[[cluster.nodes]]\nname = \"n3\"\nip = \"127.0.0.1\"\nreplica_id = 3\nports = { tcp = 1, quic = 2, http = 3, websocket = 4, tcp_replica = 7041 }\n",
			nil, "cluster.nodes[3].ports.tcp_replica", "127.0.0.1:7041 is also cluster.nodes[1].ports.tcp_replica"},
		{"address shared within a node", "[[cluster.nodes]]\nname = \"n3\"\nip = \"::1\"\nreplica_id = 3\nports = { tcp = 1, quic = 1, http = 3, websocket = 4, tcp_replica = 5 }\n",
			nil, "cluster.nodes[3].ports.quic", "[::1]:1 is also cluster.nodes[3].ports.tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadCluster(t, tc.extra, tc.env...)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			found := false
			for _, e := range unjoin(err) {
				var fe *FieldError
				if errors.As(e, &fe) && fe.Key == tc.key && strings.Contains(fe.Err.Error(), tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no error for %s mentioning %q in:\n%v", tc.key, tc.want, err)
			}
		})
	}
}

// unjoin lists the errors errors.Join combined.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// A disabled listener needs no port, and a disabled cluster checks nothing
// but replica_id.
func TestClusterPortsFollowListeners(t *testing.T) {
	noWS := "[[cluster.nodes]]\nname = \"n3\"\nip = \"127.0.0.2\"\nreplica_id = 3\nports = { tcp = 1, quic = 2, http = 3, tcp_replica = 5 }\n"
	if _, err := loadCluster(t, noWS, "IGGY_WEBSOCKET_ENABLED=false"); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCluster(t, noWS, "IGGY_CLUSTER_ENABLED=false", "IGGY_CLUSTER_REPLICA_ID=0", "IGGY_CLUSTER_HEARTBEAT_TIMEOUT=0"); err != nil {
		t.Fatalf("disabled cluster: %v", err)
	}
}

// The flag (LoadOptions.ReplicaID) beats the environment, which beats the
// file; a standalone node accepts --replica-id 0 only.
func TestReplicaIDOverrides(t *testing.T) {
	t.Chdir(t.TempDir())
	path := writeFile(t, t.TempDir(), "c.toml", threeNodes)
	load := func(flag *int, env ...string) (int, error) {
		c, _, err := Load(LoadOptions{Path: path, Environ: env, ReplicaID: flag})
		if err != nil {
			return -1, err
		}
		return c.Cluster.ReplicaID, nil
	}
	two, zero, five := 2, 0, 5
	for _, tc := range []struct {
		flag *int
		env  []string
		want int
	}{
		{nil, nil, 1},
		{nil, []string{"IGGY_CLUSTER_REPLICA_ID=0"}, 0},
		{&two, []string{"IGGY_CLUSTER_REPLICA_ID=0"}, 2},
		{&zero, nil, 0},
	} {
		if got, err := load(tc.flag, tc.env...); err != nil || got != tc.want {
			t.Errorf("flag %v env %q: replica %d, %v; want %d", tc.flag, tc.env, got, err, tc.want)
		}
	}
	if _, err := load(&five); err == nil || !strings.Contains(err.Error(), "cluster.replica_id") {
		t.Errorf("--replica-id 5 of 3: %v", err)
	}
	standalone := []string{"IGGY_CLUSTER_ENABLED=false"}
	if got, err := load(&zero, standalone...); err != nil || got != 0 {
		t.Errorf("standalone --replica-id 0: %d, %v", got, err)
	}
	if _, err := load(&two, standalone...); err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("standalone --replica-id 2: %v", err)
	}
}

// Secrets reach the program but never its output.
func TestSecretIsRedacted(t *testing.T) {
	c, err := loadCluster(t, "", "IGGY_CLUSTER_AUTH_PREVIOUS_SHARED_SECRET="+strings.Repeat("p", 40))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Cluster.Auth
	if string(a.SharedSecret) != secret32 || string(a.PreviousSharedSecret) != strings.Repeat("p", 40) {
		t.Fatalf("secrets not loaded: %d and %d bytes", len(a.SharedSecret), len(a.PreviousSharedSecret))
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", a), fmt.Sprintf("%s %q %x", a.SharedSecret, a.SharedSecret, a.SharedSecret), string(j)} {
		if strings.Contains(out, secret32) || strings.Contains(out, "pppp") || strings.Contains(out, fmt.Sprintf("%x", secret32[:8])) {
			t.Errorf("secret printed: %s", out)
		}
		if !strings.Contains(out, "[redacted]") && !strings.Contains(out, "5b72656461637465645d") { // %x of "[redacted]"
			t.Errorf("no [redacted] in %s", out)
		}
	}
	if s := Secret("").String(); s != "" {
		t.Errorf("empty secret prints %q", s)
	}
}

func TestForReplica(t *testing.T) {
	c, err := loadCluster(t, "")
	if err != nil {
		t.Fatal(err)
	}
	c.System.Path = filepath.Join("data", "shoal")
	before := fmt.Sprintf("%+v", c)
	r, err := c.ForReplica(2)
	if err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprintf("%+v", c); after != before {
		t.Fatalf("ForReplica changed its receiver:\n%s\n%s", before, after)
	}
	e := r.Config
	for _, ck := range []struct{ what, got, want string }{
		{"name", r.Name, "n2"},
		{"tcp.address", e.TCP.Address, "127.0.0.1:7002"},
		{"quic.address", e.QUIC.Address, "127.0.0.1:7012"},
		{"http.address", e.HTTP.Address, "127.0.0.1:7022"},
		{"websocket.address", e.WebSocket.Address, "127.0.0.1:7032"},
		{"system.path", e.System.Path, filepath.Join("data", "shoal", "n2")},
		{"replica address", r.ReplicaAddress, "127.0.0.1:7042"},
	} {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.what, ck.got, ck.want)
		}
	}
	if r.ID != 2 || e.Cluster.ReplicaID != 2 || len(r.Warnings) != 0 {
		t.Errorf("id %d, cluster.replica_id %d, warnings %q", r.ID, e.Cluster.ReplicaID, r.Warnings)
	}
	want := []Peer{{0, "n0", "127.0.0.1:7040"}, {1, "n1", "127.0.0.1:7041"}}
	if !slices.Equal(r.Peers, want) {
		t.Errorf("peers %+v, want %+v", r.Peers, want)
	}
	if err := e.Validate(); err != nil {
		t.Errorf("the effective config is invalid: %v", err)
	}
	// Its nodes are a copy.
	e.Cluster.Nodes[0].Name = "changed"
	if c.Cluster.Nodes[0].Name != "n0" {
		t.Error("ForReplica shares the nodes slice")
	}
}

// The bind interface comes from each listener's own address; one that is
// neither the node's ip nor unspecified is warned about.
func TestForReplicaBindInterface(t *testing.T) {
	c, err := loadCluster(t, "", "IGGY_TCP_ADDRESS=0.0.0.0:1", "IGGY_HTTP_ADDRESS=127.0.0.2:1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.ForReplica(0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Config.TCP.Address != "0.0.0.0:7000" || r.Config.HTTP.Address != "127.0.0.2:7020" {
		t.Errorf("tcp %s http %s", r.Config.TCP.Address, r.Config.HTTP.Address)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "http listener binds 127.0.0.2:7020") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func TestForReplicaErrors(t *testing.T) {
	c, err := loadCluster(t, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int{-1, 3} {
		if _, err := c.ForReplica(id); err == nil || !strings.Contains(err.Error(), "cluster.replica_id") {
			t.Errorf("ForReplica(%d) = %v", id, err)
		}
	}
	c.Cluster.Enabled = false
	var fe *FieldError
	if _, err := c.ForReplica(0); !errors.As(err, &fe) || fe.Key != "cluster.enabled" {
		t.Errorf("disabled: %v", err)
	}
}

// The repository's cluster.toml (make cluster) stays valid: three nodes on
// one host, each with its own listeners, replica port and directory.
func TestRepositoryClusterFile(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("..", "..", "cluster.toml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	c, rep, err := Load(LoadOptions{Path: path, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) > 0 {
		t.Fatalf("warnings: %q", rep.Warnings)
	}
	if !c.Cluster.Enabled || !c.Cluster.Auth.Enabled || len(c.Cluster.Nodes) != 3 {
		t.Fatalf("cluster %+v", c.Cluster)
	}
	seen := map[string]int{}
	for id := range 3 {
		r, err := c.ForReplica(id)
		if err != nil {
			t.Fatalf("ForReplica(%d): %v", id, err)
		}
		if len(r.Warnings) > 0 || len(r.Peers) != 2 {
			t.Errorf("replica %d: warnings %q, peers %+v", id, r.Warnings, r.Peers)
		}
		e := r.Config
		if want := filepath.Join(c.System.Path, fmt.Sprintf("shoal-node-%d", id)); e.System.Path != want {
			t.Errorf("replica %d: system.path %q, want %q", id, e.System.Path, want)
		}
		for _, a := range []string{e.TCP.Address, e.QUIC.Address, e.HTTP.Address, e.WebSocket.Address, r.ReplicaAddress} {
			if !strings.HasPrefix(a, "127.0.0.1:") {
				t.Errorf("replica %d listens on %s", id, a)
			}
			if other, dup := seen[a]; dup {
				t.Errorf("replica %d listens on %s, as replica %d does", id, a, other)
			}
			seen[a] = id
		}
	}
}

// Iggy's IGGY_CLUSTER_NODES_<i>_<KEY> variables (its docker-compose
// cluster sets the whole roster this way): they build nodes the file does
// not have and override keys of those it has.
func TestClusterNodesFromEnv(t *testing.T) {
	t.Chdir(t.TempDir())
	env := []string{"IGGY_CLUSTER_ENABLED=true", "IGGY_WEBSOCKET_ENABLED=false", "IGGY_QUIC_ENABLED=false", "IGGY_HTTP_ENABLED=false"}
	for i, ip := range []string{"172.28.0.101", "172.28.0.102"} {
		n := fmt.Sprintf("IGGY_CLUSTER_NODES_%d_", i)
		env = append(env, n+"NAME=node-"+fmt.Sprint(i), n+"IP="+ip, n+"REPLICA_ID="+fmt.Sprint(i),
			n+"PORTS_TCP=8091", n+"PORTS_TCP_REPLICA=8191")
	}
	c, rep, err := Load(LoadOptions{Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	want := []Node{
		{Name: "node-0", IP: "172.28.0.101", ReplicaID: 0, Ports: NodePorts{TCP: 8091, TCPReplica: 8191}},
		{Name: "node-1", IP: "172.28.0.102", ReplicaID: 1, Ports: NodePorts{TCP: 8091, TCPReplica: 8191}},
	}
	if !slices.Equal(c.Cluster.Nodes, want) || len(rep.Warnings) != 0 {
		t.Fatalf("nodes %+v, warnings %q", c.Cluster.Nodes, rep.Warnings)
	}

	// Over a file: one key of one node changes, the rest stays.
	path := writeFile(t, t.TempDir(), "c.toml", threeNodes)
	c, _, err = Load(LoadOptions{Path: path, Environ: []string{"IGGY_CLUSTER_NODES_2_PORTS_TCP=7100", "IGGY_CLUSTER_NODES_2_NAME=renamed"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Cluster.Nodes[2]; n.Ports.TCP != 7100 || n.Name != "renamed" || n.Ports.QUIC != 7012 || len(c.Cluster.Nodes) != 3 {
		t.Fatalf("node 2 %+v", n)
	}

	// A bad value names the node's key and the variable; a malformed name
	// is an unknown variable.
	_, _, err = Load(LoadOptions{Path: path, Environ: []string{"IGGY_CLUSTER_NODES_1_PORTS_TCP=many"}})
	if err == nil || !strings.Contains(err.Error(), "cluster.nodes[1].ports.tcp (from env IGGY_CLUSTER_NODES_1_PORTS_TCP)") {
		t.Fatalf("bad port: %v", err)
	}
	_, rep, err = Load(LoadOptions{Path: path, Environ: []string{"IGGY_CLUSTER_NODES_0_GRPC=1", "IGGY_CLUSTER_NODES_01_NAME=x",
		"IGGY_CLUSTER_NODES_16_NAME=x", "IGGY_CLUSTER_NODES_X_NAME=x"}})
	if err != nil || len(rep.Warnings) != 4 {
		t.Fatalf("malformed names: %v, warnings %q", err, rep.Warnings)
	}
	for _, w := range rep.Warnings {
		if !strings.Contains(w, "unknown environment variable") {
			t.Errorf("warning %q", w)
		}
	}
}
