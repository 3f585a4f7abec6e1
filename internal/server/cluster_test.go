package server

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/replica"
	"github.com/shoal-io/shoal/internal/wire"
)

// freePorts reserves n loopback ports by binding and releasing them: the
// replica plane needs every node's address before any node starts.
func freePorts(t *testing.T, n int) []uint16 {
	t.Helper()
	ports := make([]uint16, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = uint16(l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
	return ports
}

// testCluster is n in-process nodes replicating metadata over a real
// replica plane on loopback.
type testCluster struct {
	t     *testing.T
	nodes []ClusterNode
	dirs  []string
	srv   []*testServer
}

func clusterSecret() replica.Secret {
	var s replica.Secret
	for i := range s {
		s[i] = byte(i*13 + 5)
	}
	return s
}

func newTestCluster(t *testing.T, n int) *testCluster {
	c := &testCluster{t: t, srv: make([]*testServer, n)}
	tcp, rep := freePorts(t, n), freePorts(t, n)
	for i := range n {
		c.nodes = append(c.nodes, ClusterNode{Name: "node-" + strconv.Itoa(i), IP: "127.0.0.1", TCP: tcp[i], Replica: rep[i]})
		c.dirs = append(c.dirs, t.TempDir())
	}
	for i := range n {
		c.start(i)
	}
	return c
}

func (c *testCluster) start(i int) {
	c.srv[i] = startServer(c.t, c.dirs[i], func(o *Options) {
		o.ClusterName = "test-cluster"
		o.NodeName = c.nodes[i].Name
		o.TCP.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(int(c.nodes[i].TCP)))
		o.Cluster = Cluster{Enabled: true, Self: i, Nodes: c.nodes, Secret: clusterSecret()}
		o.Bus.ReconnectPeriod = 50 * time.Millisecond
	})
}

// leader polls GetClusterMetadata on node i until it names a leader that
// is up, and returns its index.
func (c *testCluster) leader(via int) int {
	c.t.Helper()
	cl := c.srv[via].dial()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := cl.Login(ctx, "iggy", "iggy"); err == nil {
			md, err := cl.ClusterMetadata(ctx)
			if err == nil {
				for i, n := range md.Nodes {
					if n.Role == client.RoleLeader && n.Status == client.NodeHealthy && c.srv[i] != nil {
						return i
					}
				}
			}
			cl.Logout(ctx)
		}
		if time.Now().After(deadline) {
			c.t.Fatal("no leader")
		}
		<-time.After(20 * time.Millisecond)
	}
}

// TestClusterReplicatesMetadata runs three nodes: a backup answers
// writes with TransientNotAccepted and forwards logins; a stream created
// on the leader appears on every node; after the leader stops, another
// node leads and commits, and the old leader, restarted, catches up.
func TestClusterReplicatesMetadata(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	lead := c.leader(1)
	backup := (lead + 1) % 3

	b := c.srv[backup].dial(client.WithReconnect(false), client.WithTransientWindow(0))
	if _, err := b.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatalf("login on a backup: %v", err)
	}
	md, err := b.ClusterMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Nodes) != 3 || md.Nodes[lead].Role != client.RoleLeader || md.Nodes[backup].Role != client.RoleFollower {
		t.Fatalf("cluster metadata from a backup: %+v", md)
	}
	if _, err := b.CreateStream(ctx, "on-backup"); !errors.Is(err, &client.StatusError{Status: wire.StatusTransientNotAccepted}) {
		t.Fatalf("write on a backup: %v, want TransientNotAccepted", err)
	}

	l := c.srv[lead].dial()
	if _, err := l.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateStream(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateTopic(ctx, client.NamedID("orders"), "t", 1, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c.waitStream(i, "orders")
	}
	// Messages are served by the leader only (not yet replicated): a
	// backup sends the client to it.
	msgs := []client.Message{{Payload: []byte("m")}}
	if _, err := b.SendMessages(ctx, client.NamedID("orders"), client.NamedID("t"), client.PartitionID(0), msgs); !errors.Is(err, &client.StatusError{Status: wire.StatusTransientNotAccepted}) {
		t.Fatalf("send on a backup: %v, want TransientNotAccepted", err)
	}
	if _, err := l.SendMessages(ctx, client.NamedID("orders"), client.NamedID("t"), client.PartitionID(0), msgs); err != nil {
		t.Fatalf("send on the leader: %v", err)
	}

	// The leader stops; another node leads and commits.
	c.srv[lead].stop()
	c.srv[lead] = nil
	next := c.leader(backup)
	if next == lead {
		t.Fatalf("leader %d did not change", lead)
	}
	n := c.srv[next].dial()
	if _, err := n.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.CreateStream(ctx, "after-failover"); err != nil {
		t.Fatalf("create after failover: %v", err)
	}
	c.start(lead)
	for i := range 3 {
		c.waitStream(i, "after-failover")
	}
}

// waitStream polls node i until it has the stream.
func (c *testCluster) waitStream(i int, name string) {
	c.t.Helper()
	cl := c.srv[i].dial()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if cl.LoggedIn() || func() bool { _, err := cl.Login(ctx, "iggy", "iggy"); return err == nil }() {
			if _, err := cl.GetStream(ctx, client.NamedID(name)); err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("node %d never got stream %q", i, name)
		}
		<-time.After(20 * time.Millisecond)
	}
}
