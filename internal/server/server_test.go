package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/config"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/replica"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// testServer is a real server on loopback ports in a temp data directory.
type testServer struct {
	*Server
	t      testing.TB
	dir    string
	cert   tls.Certificate
	client *tls.Config
}

func startServer(t testing.TB, dir string, mutate ...func(*Options)) *testServer {
	t.Helper()
	cert, err := tlsconn.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	if dir == "" {
		dir = t.TempDir()
	}
	opts := DefaultOptions()
	opts.DataDir = dir
	opts.TCP.Address = "127.0.0.1:0"
	opts.WS.Address = "127.0.0.1:0"
	opts.QUIC.Address = "127.0.0.1:0"
	opts.QUIC.TLS = tlsconn.NewServerConfig(cert)
	opts.HTTP.Address = "127.0.0.1:0"
	opts.Shards = 2
	opts.Heartbeat = 0
	opts.HashParams = metadata.TestHashParams
	opts.Root = RootCredentials{Default: true}
	for _, m := range mutate {
		m(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		srv.Shutdown(context.Background())
		t.Fatal(err)
	}
	ts := &testServer{Server: srv, t: t, dir: dir, cert: cert, client: tlsconn.ClientConfig(cert)}
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	out, err := ts.Shutdown(context.Background())
	if err != nil {
		ts.t.Errorf("shutdown: %v", err)
	}
	if out.Forced != 0 || out.BackgroundForced != 0 {
		ts.t.Errorf("shutdown forced: %+v", out)
	}
}

func (ts *testServer) dial(opts ...client.Option) *client.Client {
	ts.t.Helper()
	c, err := client.Dial(context.Background(), ts.Addr("tcp").String(), append([]client.Option{client.WithHeartbeat(0)}, opts...)...)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { c.Close() })
	return c
}

func TestLoginPingMetadataLogout(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.dial()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping before login: %v", err)
	}
	sess, err := c.Login(ctx, "iggy", "iggy")
	if err != nil {
		t.Fatal(err)
	}
	if sess.Session == 0 || sess.UserID != metadata.RootUserID || sess.ServerProtocolVersion != wire.CurrentProtocolVersion {
		t.Fatalf("session %+v", sess)
	}
	md, err := c.ClusterMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := md.Nodes
	if len(n) != 1 || n[0].Role != client.RoleLeader || n[0].Status != client.NodeHealthy || n[0].TCP != ts.port("tcp") || n[0].TCP == 0 {
		t.Fatalf("cluster metadata %+v", md)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ClusterMetadata(ctx); !errors.Is(err, &client.StatusError{Status: wire.StatusUnauthenticated}) {
		t.Fatalf("after logout: %v", err)
	}
	// Log in again on the same socket: a new session.
	sess2, err := c.Login(ctx, "iggy", "iggy")
	if err != nil || sess2.Session <= sess.Session {
		t.Fatalf("second login %+v %v", sess2, err)
	}
}

func TestBadPasswordIsEvicted(t *testing.T) {
	ts := startServer(t, "")
	c := ts.dial(client.WithReconnect(false))
	_, err := c.Login(context.Background(), "iggy", "wrong")
	if !errors.Is(err, &client.EvictionError{Reason: wire.EvictInvalidCredentials}) {
		t.Fatalf("got %v", err)
	}
	c2 := ts.dial(client.WithReconnect(false))
	if _, err := c2.Login(context.Background(), "nobody", "iggy"); !errors.Is(err, &client.EvictionError{Reason: wire.EvictInvalidCredentials}) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestReadBeforeLoginIsUnauthenticated(t *testing.T) {
	ts := startServer(t, "")
	c := ts.dial()
	for _, code := range []uint32{client.CodeClusterMetadata, client.CodeStats, client.CodeMe, client.CodeStreams, 60000} {
		_, err := c.Request(context.Background(), wire.OpNonReplicated, code, nil)
		if !errors.Is(err, &client.StatusError{Status: wire.StatusUnauthenticated}) {
			t.Fatalf("code %d: %v", code, err)
		}
	}
}

func TestIncompatibleVersionIsEvicted(t *testing.T) {
	ts := startServer(t, "")
	_, err := client.Dial(context.Background(), ts.Addr("tcp").String(), client.WithHeartbeat(0),
		client.WithCredentials("iggy", "iggy"), client.WithProtocolVersion(wire.PackVersion(0, 12, 0)))
	var ev *client.EvictionError
	if !errors.As(err, &ev) || ev.Reason != wire.EvictIncompatibleProtocol ||
		ev.MinVersion != wire.MinProtocolVersion || ev.MaxVersion != wire.CurrentProtocolVersion {
		t.Fatalf("got %v", err)
	}
}

// Serve blocks until the server is closed and then returns
// ErrServerClosed; Close forces every connection closed at once.
func TestServeAndClose(t *testing.T) {
	opts := DefaultOptions()
	opts.DataDir = t.TempDir()
	opts.TCP.Address, opts.WS.Address, opts.HTTP.Address = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	opts.QUIC.Enabled = false
	opts.Shards, opts.Heartbeat, opts.HashParams = 2, 0, metadata.TestHashParams
	opts.Root = RootCredentials{Default: true}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()
	c, err := client.Dial(context.Background(), srv.Addr("tcp").String(), client.WithCredentials("iggy", "iggy"), client.WithHeartbeat(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v, want ErrServerClosed", err)
	}
	if err := srv.Start(context.Background()); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
}

// The repository's cluster.toml makes one node's Options per replica id:
// its own listeners and directory, every node with its ports, the secret
// from [cluster.auth], and the consensus timing in ticks.
func TestFromConfigCluster(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("..", "..", "cluster.toml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	c, _, err := config.Load(config.LoadOptions{Path: path, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	var secret replica.Secret
	for id := range 3 {
		c.Cluster.ReplicaID = id
		o, err := FromConfig(c)
		if err != nil {
			t.Fatalf("replica %d: %v", id, err)
		}
		cl := o.Cluster
		if !cl.Enabled || cl.Self != id || len(cl.Nodes) != 3 || o.NodeName != cl.Nodes[id].Name || o.ClusterName != c.Cluster.Name {
			t.Fatalf("replica %d: %+v (node %q)", id, cl, o.NodeName)
		}
		if _, port, _ := net.SplitHostPort(o.TCP.Address); port != strconv.Itoa(int(cl.Nodes[id].TCP)) {
			t.Fatalf("replica %d listens on %s, its node's port is %d", id, o.TCP.Address, cl.Nodes[id].TCP)
		}
		if cl.Secret == (replica.Secret{}) || (id > 0 && cl.Secret != secret) {
			t.Fatalf("replica %d: secret differs or is empty", id)
		}
		secret = cl.Secret
		if cl.Timeouts.Backup != config.Ticks(c.Cluster.HeartbeatTimeout) || cl.Timeouts.Heartbeat == 0 {
			t.Fatalf("replica %d timeouts %+v", id, cl.Timeouts)
		}
		if cl.ProbeAttempts != c.Cluster.ViewProbeAttemptsMax || cl.CheckpointInterval != uint64(c.Cluster.MetadataCheckpointInterval) ||
			cl.PartitionCheckpointInterval != uint64(c.Cluster.PartitionCheckpointInterval) || cl.PartitionCheckpointInterval == 0 {
			t.Fatalf("replica %d: probes %d, checkpoints %d/%d", id, cl.ProbeAttempts, cl.CheckpointInterval, cl.PartitionCheckpointInterval)
		}
		if err := o.validate(); err != nil {
			t.Fatalf("replica %d: %v", id, err)
		}
		if cl.PreviousSecret != nil {
			t.Fatalf("replica %d: a previous secret without previous_shared_secret", id)
		}
	}
	// During a rotation the previous key is derived as the shared one is.
	c.Cluster.Auth.PreviousSharedSecret = config.Secret(strings.Repeat("p", 40))
	o, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if p := o.Cluster.PreviousSecret; p == nil || *p != replica.SecretFromPassphrase(strings.Repeat("p", 40)) || *p == o.Cluster.Secret {
		t.Fatalf("previous secret %v", p)
	}
}
