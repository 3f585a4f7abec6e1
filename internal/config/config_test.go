package config

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

func TestDefaults(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"tcp.enabled", c.TCP.Enabled, true},
		{"tcp.address", c.TCP.Address, "127.0.0.1:8090"},
		{"tcp.tls.enabled", c.TCP.TLS.Enabled, false},
		{"tcp.tls.self_signed", c.TCP.TLS.SelfSigned, true},
		{"quic.enabled", c.QUIC.Enabled, true},
		{"quic.address", c.QUIC.Address, "127.0.0.1:8080"},
		{"websocket.enabled", c.WebSocket.Enabled, true},
		{"websocket.address", c.WebSocket.Address, "127.0.0.1:8092"},
		{"websocket.tls.enabled", c.WebSocket.TLS.Enabled, false},
		{"http.enabled", c.HTTP.Enabled, true},
		{"http.address", c.HTTP.Address, "127.0.0.1:3000"},
		{"system.path", c.System.Path, "local_data"},
		{"heartbeat.enabled", c.Heartbeat.Enabled, true},
		{"heartbeat.interval", c.Heartbeat.Interval.Std(), 30 * time.Second},
		{"data_maintenance.messages.cleaner_enabled", c.DataMaintenance.Messages.CleanerEnabled, true},
		{"data_maintenance.messages.interval", c.DataMaintenance.Messages.Interval.Std(), time.Minute},
		{"message_bus.max_message_size", c.MessageBus.MaxMessageSize, Size(64 << 20)},
		{"message_bus.max_batch", c.MessageBus.MaxBatch, 256},
		{"message_bus.peer_queue_capacity", c.MessageBus.PeerQueueCapacity, 256},
		{"message_bus.reconnect_period", c.MessageBus.ReconnectPeriod.Std(), 5 * time.Second},
		{"message_bus.keepalive_idle", c.MessageBus.KeepaliveIdle.Std(), 10 * time.Second},
		{"message_bus.keepalive_interval", c.MessageBus.KeepaliveInterval.Std(), 5 * time.Second},
		{"message_bus.keepalive_retries", c.MessageBus.KeepaliveRetries, 3},
		{"message_bus.close_peer_timeout", c.MessageBus.ClosePeerTimeout.Std(), 2 * time.Second},
		{"message_bus.handshake_grace", c.MessageBus.HandshakeGrace.Std(), 10 * time.Second},
		{"message_bus.max_in_flight", c.MessageBus.MaxInFlight, 64},
		{"message_bus.slow_consumer_timeout", c.MessageBus.SlowConsumerTimeout.Std(), 30 * time.Second},
		{"message_bus.frame_timeout", c.MessageBus.FrameTimeout.Std(), 30 * time.Second},
		{"message_bus.login_timeout", c.MessageBus.LoginTimeout.Std(), 10 * time.Second},
		{"message_bus.max_unauthenticated", c.MessageBus.MaxUnauthenticated, 1000},
		{"message_bus.max_unauthenticated_per_address", c.MessageBus.MaxUnauthenticatedPerAddress, 100},
		{"message_bus.max_unauthenticated_message_size", c.MessageBus.MaxUnauthenticatedFrame, Size(64 << 10)},
		{"cluster.enabled", c.Cluster.Enabled, false},
		{"cluster.replica_id", c.Cluster.ReplicaID, 0},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.key, ck.got, ck.want)
		}
	}
	if n, err := c.System.Sharding.Shards(); err != nil || n != runtime.GOMAXPROCS(0) {
		t.Errorf("Shards = %d, %v; want GOMAXPROCS %d", n, err, runtime.GOMAXPROCS(0))
	}
}

// TestDefaultsDocumentEveryKey: every key of Config appears in the embedded
// config.toml with a comment above it, so the file is the documentation.
func TestDefaultsDocumentEveryKey(t *testing.T) {
	var tree map[string]any
	if err := toml.Unmarshal(defaultTOML, &tree); err != nil {
		t.Fatal(err)
	}
	for _, key := range Keys() {
		if key == "cluster.nodes" {
			if !bytes.Contains(defaultTOML, []byte("# [[cluster.nodes]]")) {
				t.Error("cluster.nodes has no example in config.toml")
			}
			continue
		}
		m, parts := tree, strings.Split(key, ".")
		for _, p := range parts[:len(parts)-1] {
			m, _ = m[p].(map[string]any)
		}
		if _, ok := m[parts[len(parts)-1]]; !ok {
			t.Errorf("key %s is missing from config.toml", key)
		}
	}
	// Every key line is documented by a comment in the lines above it
	// (directly, or for grouped keys, above the group).
	lines := strings.Split(string(defaultTOML), "\n")
	for i, l := range lines {
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "[") {
			continue
		}
		j := i - 1
		for j >= 0 && lines[j] != "" && !strings.HasPrefix(lines[j], "#") && !strings.HasPrefix(lines[j], "[") {
			j--
		}
		if j < 0 || !strings.HasPrefix(lines[j], "#") {
			t.Errorf("config.toml line %d %q has no comment", i+1, l)
		}
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadWithoutFile(t *testing.T) {
	t.Chdir(t.TempDir())
	c, rep, err := Load(LoadOptions{Environ: []string{"HOME=/x", "PATH=/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.File != "" || len(rep.Warnings) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if c.TCP.Address != "127.0.0.1:8090" {
		t.Fatalf("tcp.address = %q", c.TCP.Address)
	}
}

const overrideFile = `
[tcp]
address = "0.0.0.0:9000"
nodelay = true

[tcp.tls]
enabled = true
self_signed = false
cert_file = "c.pem"
key_file = "k.pem"

[heartbeat]
interval = "1m 30s"

[message_bus]
max_message_size = 1048576

[telemetry]
enabled = false

[cluster]
enabled = true
replica_id = 1

[[cluster.nodes]]
name = "a"
ip = "127.0.0.1"
replica_id = 0
ports = { tcp = 8090, quic = 8080, http = 3000, websocket = 8092, tcp_replica = 9090 }

[[cluster.nodes]]
name = "b"
ip = "127.0.0.1"
replica_id = 1
ports = { tcp = 8091, quic = 8081, http = 3001, websocket = 8093, tcp_replica = 9091, grpc = 1 }
`

func TestFileOverride(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "shoal.toml", overrideFile)
	check := func(c *Config, rep Report, file string) {
		t.Helper()
		if rep.File != file {
			t.Errorf("File = %q, want %q", rep.File, file)
		}
		if c.TCP.Address != "0.0.0.0:9000" || !c.TCP.TLS.Enabled || c.TCP.TLS.CertFile != "c.pem" {
			t.Errorf("tcp = %+v", c.TCP)
		}
		if c.Heartbeat.Interval.Std() != 90*time.Second || c.MessageBus.MaxMessageSize != 1<<20 {
			t.Errorf("heartbeat %v, max_message_size %v", c.Heartbeat.Interval, c.MessageBus.MaxMessageSize)
		}
		// Keys the file does not mention keep their defaults.
		if c.QUIC.Address != "127.0.0.1:8080" || c.MessageBus.MaxBatch != 256 || !c.TCP.Enabled {
			t.Errorf("defaults lost: quic %q, max_batch %d", c.QUIC.Address, c.MessageBus.MaxBatch)
		}
		if len(c.Cluster.Nodes) != 2 || c.Cluster.Nodes[1].Ports.TCPReplica != 9091 || c.Cluster.ReplicaID != 1 {
			t.Errorf("cluster = %+v", c.Cluster)
		}
		want := []string{`"cluster.nodes[1].ports.grpc"`, `"tcp.nodelay"`, `"telemetry"`}
		if len(rep.Warnings) != len(want) {
			t.Fatalf("warnings %q, want %d", rep.Warnings, len(want))
		}
		for _, w := range want {
			if !strings.Contains(strings.Join(rep.Warnings, "\n"), w) {
				t.Errorf("no warning for %s in %q", w, rep.Warnings)
			}
		}
	}
	// Named by IGGY_CONFIG_PATH.
	c, rep, err := Load(LoadOptions{Environ: []string{"IGGY_CONFIG_PATH=" + path}})
	if err != nil {
		t.Fatal(err)
	}
	check(c, rep, path)
	// ./config.toml when IGGY_CONFIG_PATH is unset.
	t.Chdir(dir)
	writeFile(t, dir, "config.toml", overrideFile)
	c, rep, err = Load(LoadOptions{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	check(c, rep, DefaultFile)
}

func TestEnvOverride(t *testing.T) {
	t.Chdir(t.TempDir())
	path := writeFile(t, t.TempDir(), "c.toml", "[tcp]\naddress = \"0.0.0.0:9000\"\n")
	c, rep, err := Load(LoadOptions{Environ: []string{
		"IGGY_CONFIG_PATH=" + path,
		"IGGY_TCP_ADDRESS=127.0.0.1:7000", // env beats the file
		"IGGY_TCP_TLS_ENABLED=true",
		"IGGY_HEARTBEAT_INTERVAL=5s",
		"IGGY_MESSAGE_BUS_MAX_MESSAGE_SIZE=1 GB",
		"IGGY_MESSAGE_BUS_KEEPALIVE_RETRIES=7",
		"IGGY_SYSTEM_PATH=/var/lib/shoal",
		"IGGY_SYSTEM_SHARDING_CPU_ALLOCATION=2..6",
		"IGGY_QUIC_ENABLED=0",
		"IGGY_CLUSTER_NAME=prod",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 0 {
		t.Fatalf("warnings %q", rep.Warnings)
	}
	if c.TCP.Address != "127.0.0.1:7000" || !c.TCP.TLS.Enabled || c.Heartbeat.Interval.Std() != 5*time.Second ||
		c.MessageBus.MaxMessageSize != 1e9 || c.MessageBus.KeepaliveRetries != 7 || c.System.Path != "/var/lib/shoal" ||
		c.QUIC.Enabled || c.Cluster.Name != "prod" {
		t.Fatalf("env not applied: %+v", c)
	}
	if n, _ := c.System.Sharding.Shards(); n != 4 {
		t.Fatalf("Shards = %d, want 4", n)
	}
}

func TestUnknownEnvWarns(t *testing.T) {
	t.Chdir(t.TempDir())
	var logged bytes.Buffer
	_, rep, err := Load(LoadOptions{
		Environ: []string{
			"IGGY_TCP_ADRESS=127.0.0.1:1", "IGGY_NOT_A_THING=1",
			"IGGY_ROOT_USERNAME=admin", "IGGY_ROOT_PASSWORD=secret", "IGGY_USERNAME=u", "IGGY_PASSWORD=p",
			"IGGY_TEST_VERBOSE=1", "IGGY_MY_TOOL=1", "IGGY_CLUSTER_NODES=x", "NOT_IGGY=1", "IGGY_=1",
		},
		IgnoreEnv: []string{"IGGY_MY_TOOL"},
		Logger:    slog.New(slog.NewTextHandler(&logged, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(rep.Warnings, "\n")
	if len(rep.Warnings) != 4 {
		t.Fatalf("warnings:\n%s", all)
	}
	for _, want := range []string{"IGGY_TCP_ADRESS (ignored); did you mean IGGY_TCP_ADDRESS?", "IGGY_NOT_A_THING", "IGGY_CLUSTER_NODES (ignored): set cluster.nodes in a config file or one key at a time, as IGGY_CLUSTER_NODES_0_NAME", "IGGY_ (ignored)"} {
		if !strings.Contains(all+" ", want) {
			t.Errorf("no warning %q in:\n%s", want, all)
		}
	}
	if strings.Count(logged.String(), "level=WARN") != 4 {
		t.Errorf("logger got:\n%s", logged.String())
	}
}

func TestBadValuesNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		env  []string
		want []string // substrings of the error
	}{
		{"bool as string in file", "[tcp]\nenabled = \"yes\"\n", nil, []string{"tcp.enabled", "expected true or false"}},
		{"duration without unit", "[heartbeat]\ninterval = 30\n", nil, []string{"heartbeat.interval", "duration string"}},
		{"bad duration unit", "[heartbeat]\ninterval = \"30 parsecs\"\n", nil, []string{"heartbeat.interval", "unknown unit"}},
		{"section as value", "tcp = 1\n", nil, []string{"tcp", "must be a table"}},
		{"toml syntax", "[tcp\n", nil, []string{"c.toml:1:"}},
		{"env bool", "", []string{"IGGY_TCP_ENABLED=maybe"}, []string{"tcp.enabled", "env IGGY_TCP_ENABLED"}},
		{"env int", "", []string{"IGGY_MESSAGE_BUS_MAX_BATCH=lots"}, []string{"message_bus.max_batch", "IGGY_MESSAGE_BUS_MAX_BATCH"}},
		{"env size", "", []string{"IGGY_MESSAGE_BUS_MAX_MESSAGE_SIZE=64 MiBs"}, []string{"message_bus.max_message_size", "unknown unit"}},
		{"max_batch range", "", []string{"IGGY_MESSAGE_BUS_MAX_BATCH=1000"}, []string{"message_bus.max_batch", "1..512"}},
		{"tiny message size", "[message_bus]\nmax_message_size = \"100 B\"\n", nil, []string{"message_bus.max_message_size"}},
		{"address", "", []string{"IGGY_TCP_ADDRESS=localhost"}, []string{"tcp.address", "host:port"}},
		{"port clash", "", []string{"IGGY_WEBSOCKET_ADDRESS=127.0.0.1:8090"}, []string{"websocket.address", "tcp.address"}},
		{"tls files", "", []string{"IGGY_TCP_TLS_ENABLED=true", "IGGY_TCP_TLS_SELF_SIGNED=false", "IGGY_TCP_TLS_CERT_FILE="}, []string{"tcp.tls.cert_file"}},
		{"zero heartbeat", "", []string{"IGGY_HEARTBEAT_INTERVAL=0"}, []string{"heartbeat.interval", "positive"}},
		{"empty path", "", []string{"IGGY_SYSTEM_PATH= "}, []string{"system.path"}},
		{"shards", "", []string{"IGGY_SYSTEM_SHARDING_CPU_ALLOCATION=many"}, []string{"system.sharding.cpu_allocation"}},
		{"cluster without nodes", "", []string{"IGGY_CLUSTER_ENABLED=true"}, []string{"cluster.nodes"}},
		{"replica id when standalone", "", []string{"IGGY_CLUSTER_REPLICA_ID=2"}, []string{"cluster.replica_id"}},
		{"duplicate replica", "[cluster]\nenabled = true\n[[cluster.nodes]]\nip = \"127.0.0.1\"\nreplica_id = 0\n[[cluster.nodes]]\nip = \"::1\"\nreplica_id = 0\n",
			nil, []string{"cluster.nodes[1].replica_id", "two nodes"}},
		{"node ip", "[cluster]\nenabled = true\n[[cluster.nodes]]\nip = \"nowhere\"\n", nil, []string{"cluster.nodes[0].ip"}},
		{"int overflow", "[message_bus]\npeer_queue_capacity = 99999999999999999999\n", nil, []string{"c.toml"}},
		{"zero login timeout", "", []string{"IGGY_MESSAGE_BUS_LOGIN_TIMEOUT=0"}, []string{"message_bus.login_timeout", "positive"}},
		{"zero in flight", "[message_bus]\nmax_in_flight = 0\n", nil, []string{"message_bus.max_in_flight", "positive"}},
		{"tiny pre-login frame", "[message_bus]\nmax_unauthenticated_message_size = \"100 B\"\n", nil, []string{"message_bus.max_unauthenticated_message_size"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			env := tc.env
			if tc.file != "" {
				env = append(env, "IGGY_CONFIG_PATH="+writeFile(t, t.TempDir(), "c.toml", tc.file))
			}
			_, _, err := Load(LoadOptions{Environ: append(env, "X=1")})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMissingConfigPath(t *testing.T) {
	t.Chdir(t.TempDir())
	_, _, err := Load(LoadOptions{Environ: []string{"IGGY_CONFIG_PATH=/nonexistent/shoal.toml"}})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/shoal.toml") {
		t.Fatalf("Load = %v", err)
	}
	_, _, err = Load(LoadOptions{Path: "missing.toml", Environ: []string{}})
	if err == nil {
		t.Fatal("explicit missing Path accepted")
	}
}

func TestFieldErrorUnwraps(t *testing.T) {
	c := Default()
	c.MessageBus.MaxBatch = 0
	c.MessageBus.PeerQueueCapacity = 0
	err := c.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Key != "message_bus.max_batch" {
		t.Fatalf("Validate = %v", err)
	}
	if !strings.Contains(err.Error(), "message_bus.peer_queue_capacity") {
		t.Fatalf("Validate did not report every problem: %v", err)
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("tcp.tls.enabled"); got != "IGGY_TCP_TLS_ENABLED" {
		t.Fatal(got)
	}
	if got := EnvName("message_bus.max_message_size"); got != "IGGY_MESSAGE_BUS_MAX_MESSAGE_SIZE" {
		t.Fatal(got)
	}
}

// Port 0 asks the system for a free port, so equal ":0" addresses do not
// clash.
func TestPortZeroDoesNotClash(t *testing.T) {
	c := Default()
	c.TCP.Address, c.HTTP.Address, c.WebSocket.Address = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.HTTP.Address = c.TCP.Address[:len(c.TCP.Address)-1] + "8090"
	c.TCP.Address = c.HTTP.Address
	if err := c.Validate(); err == nil {
		t.Fatal("two listeners on 127.0.0.1:8090 accepted")
	}
}

func TestShards(t *testing.T) {
	for in, want := range map[string]int{"4": 4, "0..8": 8, "2..3": 1} {
		if n, err := (Sharding{CPUAllocation: in}).Shards(); err != nil || n != want {
			t.Errorf("Shards(%q) = %d, %v", in, n, err)
		}
	}
	for _, in := range []string{"0", "-1", "5..2", "a..b", "some"} {
		if n, err := (Sharding{CPUAllocation: in}).Shards(); err == nil {
			t.Errorf("Shards(%q) = %d, want an error", in, n)
		}
	}
}

// TestHTTPSections: Iggy's [http.cors], [http.jwt] and [http.tls] keys with
// their defaults; string lists come from a TOML array or, from the
// environment, a comma-separated string.
func TestHTTPSections(t *testing.T) {
	c := Default()
	h := c.HTTP
	if h.MaxRequestSize != Size(2_000_000) || !h.CORS.Enabled || h.JWT.Algorithm != "HS256" ||
		h.JWT.AccessTokenExpiry.Std() != time.Hour || h.JWT.ClockSkew.Std() != 5*time.Second || h.TLS.Enabled {
		t.Fatalf("http defaults: %+v", h)
	}
	if h.WebUI {
		t.Error("web_ui is on by default, want off (Iggy's default)")
	}
	if got := strings.Join(h.CORS.AllowedMethods, ","); got != "GET,POST,PUT,DELETE" {
		t.Errorf("allowed_methods = %q", got)
	}
	if got := strings.Join(h.JWT.ValidAudiences, ","); got != "iggy.apache.org" {
		t.Errorf("valid_audiences = %q", got)
	}
	path := filepath.Join(t.TempDir(), "c.toml")
	file := "[http.cors]\nallowed_origins = [\"https://a.example\", \"https://b.example\"]\n[http.jwt]\nalgorithm = \"HS512\"\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load(LoadOptions{Path: path, Environ: []string{"IGGY_HTTP_CORS_ALLOWED_HEADERS=x-a, x-b", "IGGY_HTTP_JWT_ENCODING_SECRET=k",
		"IGGY_HTTP_WEB_UI=true"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.HTTP.CORS.AllowedOrigins, " "); got != "https://a.example https://b.example" {
		t.Errorf("allowed_origins from the file = %q", got)
	}
	if got := strings.Join(c.HTTP.CORS.AllowedHeaders, " "); got != "x-a x-b" {
		t.Errorf("allowed_headers from the environment = %q", got)
	}
	if !c.HTTP.WebUI {
		t.Error("IGGY_HTTP_WEB_UI=true did not turn web_ui on")
	}
	if c.HTTP.JWT.Algorithm != "HS512" || c.HTTP.JWT.EncodingSecret != "k" {
		t.Errorf("jwt = %+v", c.HTTP.JWT)
	}
	bad := []struct{ file, key string }{
		{"[http.jwt]\nalgorithm = \"RS256\"\n", "http.jwt.algorithm"},
		{"[http.tls]\nenabled = true\ncert_file = \"\"\n", "http.tls.cert_file"},
		{"[http.cors]\nallowed_methods = [\"FETCH\"]\n", "http.cors.allowed_methods"},
		{"[http.jwt]\nencoding_secret = \"a\"\ndecoding_secret = \"b\"\n", "http.jwt.decoding_secret"},
		{"[http.cors]\nallowed_origins = [1]\n", "http.cors.allowed_origins"},
	}
	for _, b := range bad {
		if err := os.WriteFile(path, []byte(b.file), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := Load(LoadOptions{Path: path, Environ: []string{}})
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), b.key) {
			t.Errorf("%q: err = %v, want a FieldError naming %s", b.file, err, b.key)
		}
	}
}
