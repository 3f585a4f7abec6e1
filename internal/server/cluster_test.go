package server

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/replica"
	"github.com/shoal-io/shoal/internal/wire"
)

// freePorts reserves n loopback ports by binding and releasing them: the
// replica plane needs every node's address before any node starts. They
// are taken below Linux's ephemeral range (32768 and up), so that a node
// restarted on its port later does not find it taken as the local port
// of some outgoing connection meanwhile.
func freePorts(t *testing.T, n int) []uint16 {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	ports := make([]uint16, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries == 1000 {
			t.Fatal("no free port below 32768")
		}
		p := uint16(20000 + rand.IntN(12000))
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p))))
		if err != nil || slices.Contains(usedPorts, p) {
			if err == nil {
				l.Close()
			}
			continue
		}
		l.Close()
		usedPorts = append(usedPorts, p)
		ports = append(ports, p)
	}
	return ports
}

// usedPorts are the ports freePorts handed out in this process: never
// twice, though a test that released one may still run.
var (
	portsMu   sync.Mutex
	usedPorts []uint16
)

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
	tcp, rep, web := freePorts(t, n), freePorts(t, n), freePorts(t, n)
	for i := range n {
		c.nodes = append(c.nodes, ClusterNode{Name: "node-" + strconv.Itoa(i), IP: "127.0.0.1", TCP: tcp[i], HTTP: web[i], Replica: rep[i]})
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
		o.HTTP.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(int(c.nodes[i].HTTP)))
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

	// On the wire: a backup takes a login (forwarded to the primary),
	// answers GetClusterMetadata with the leader, and refuses a write
	// with 58 so the client looks for the leader.
	rc := c.srv[backup].raw()
	epoch := rc.login("iggy", "iggy")
	rc.send(wire.RequestHeader{Operation: wire.OpNonReplicated, Code: wire.CodeClusterMetadata, Request: 1, Session: uint64(epoch)}, nil)
	h, body := rc.reply()
	var md wire.ClusterMetadata
	if err := md.Decode(body); h.Status != 0 || err != nil {
		t.Fatalf("cluster metadata from a backup: %v %v", h.Status, err)
	}
	if len(md.Nodes) != 3 || md.Nodes[lead].Role != wire.RoleLeader || md.Nodes[backup].Role != wire.RoleFollower {
		t.Fatalf("cluster metadata from a backup: %+v", md)
	}
	rc.send(wire.RequestHeader{Operation: wire.OpCreateStream, Request: 1, Session: uint64(epoch)}, append([]byte{2}, "on"...))
	if h, _ := rc.reply(); h.Status != wire.StatusTransientNotAccepted {
		t.Fatalf("write on a backup: status %v, want TransientNotAccepted", h.Status)
	}
	// The client package, pointed at the backup, follows the leader.
	b := c.srv[backup].dial()
	if _, err := b.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatalf("login on a backup: %v", err)
	}
	if b.Addr() != c.srv[lead].Addr("tcp").String() {
		t.Fatalf("client on %s, the leader is %s", b.Addr(), c.srv[lead].Addr("tcp"))
	}

	// Over HTTP, a token from the backup is valid on the leader (the JWT
	// key derives from the cluster secret), and a write sent to the
	// backup is redirected to the leader, which commits it.
	httpStream(t, c.srv[backup], "over-http")

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
		c.waitStream(i, "over-http")
	}
	// Messages are served by the leader only (replicated by each
	// partition's group, TestClusterReplicatesMessages): a backup refuses
	// the data plane with 58, and the client that followed the leader
	// sends there.
	poll := wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: wire.NamedID("orders"), Topic: wire.NamedID("t"), HasPartition: true,
		Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1}
	rc.send(wire.RequestHeader{Operation: wire.OpNonReplicated, Code: wire.CodePollMessages, Request: 2, Session: uint64(epoch)}, poll.Append(nil))
	if h, _ := rc.reply(); h.Status != wire.StatusTransientNotAccepted {
		t.Fatalf("poll on a backup: status %v, want TransientNotAccepted", h.Status)
	}
	msgs := []client.Message{{Payload: []byte("m")}}
	if _, err := b.SendMessages(ctx, client.NamedID("orders"), client.NamedID("t"), client.PartitionID(0), msgs); err != nil {
		t.Fatalf("send through a client that followed the leader: %v", err)
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

// httpStream logs in over HTTP on ts and creates a stream there, following
// a redirect to the leader.
func httpStream(t *testing.T, ts *testServer, name string) {
	t.Helper()
	base := "http://" + ts.Addr("http").String()
	post := func(path, token string, body any, out any) int {
		b, _ := json.Marshal(body)
		req, err := http.NewRequest("POST", base+path, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var login struct {
		AccessToken struct {
			Token string `json:"token"`
		} `json:"access_token"`
	}
	if code := post("/users/login", "", map[string]string{"username": "iggy", "password": "iggy"}, &login); code != http.StatusOK || login.AccessToken.Token == "" {
		t.Fatalf("HTTP login on a backup: %d", code)
	}
	if code := post("/streams", login.AccessToken.Token, map[string]any{"name": name}, nil); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("HTTP create stream on a backup: %d", code)
	}
}
