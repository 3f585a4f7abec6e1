package server

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/chaos/proxy"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// newMeshCluster is newTestCluster with every replica link through a
// fault-injecting proxy (internal/chaos/proxy): node i dials each higher
// node j at proxy (i, j). Abdication is off, so a primary cut off from
// the others keeps believing it leads until it hears of a newer view.
func newMeshCluster(t *testing.T, n int) (*testCluster, *proxy.Mesh) {
	c := &testCluster{t: t, srv: make([]*testServer, n)}
	tcp, rep, web := freePorts(t, n), freePorts(t, n), freePorts(t, n)
	targets := make([]string, n)
	for i := range n {
		c.nodes = append(c.nodes, ClusterNode{Name: "node-" + strconv.Itoa(i), IP: "127.0.0.1", TCP: tcp[i], HTTP: web[i], Replica: rep[i]})
		c.dirs = append(c.dirs, t.TempDir())
		targets[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(int(rep[i])))
	}
	mesh, err := proxy.NewMesh(targets, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mesh.Close() })
	for i := range n {
		nodes := append([]ClusterNode(nil), c.nodes...)
		for j := i + 1; j < n; j++ {
			_, p, _ := net.SplitHostPort(mesh.Addr(i, j))
			port, _ := strconv.Atoi(p)
			nodes[j].Replica = uint16(port)
		}
		c.srv[i] = startServer(t, c.dirs[i], func(o *Options) {
			o.ClusterName = "test-cluster"
			o.NodeName = c.nodes[i].Name
			o.TCP.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(int(c.nodes[i].TCP)))
			o.HTTP.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(int(c.nodes[i].HTTP)))
			o.Cluster = Cluster{Enabled: true, Self: i, Nodes: nodes, Secret: clusterSecret(),
				Timeouts: vsr.Timeouts{Abdicate: 1 << 30}}
			o.Bus.ReconnectPeriod = 50 * time.Millisecond
		})
	}
	return c, mesh
}

// TestClusterDeposedLeaderRefusesReads cuts the leader off; the two
// others elect a new leader, which creates a stream. A connection still open on the old leader, which still believes
// it leads, must not read its stale state: its metadata reads, offset
// reads and polls are refused with 58 (their confirmation round finds no
// quorum), while the new leader answers them. GetClusterMetadata stays
// local.
func TestClusterDeposedLeaderRefusesReads(t *testing.T) {
	c, mesh := newMeshCluster(t, 3)
	ctx := context.Background()
	old := c.leader(0)
	c.withTopic(old)

	rc := c.srv[old].raw() // a session on the leader, opened before the cut
	epoch := rc.login("iggy", "iggy")
	req := uint64(0)
	read := func(code wire.Code, body []byte) (wire.Status, []byte) {
		t.Helper()
		req++
		rc.send(wire.RequestHeader{Operation: wire.OpNonReplicated, Code: code, Request: req, Session: uint64(epoch)}, body)
		h, b := rc.reply()
		return h.Status, b
	}
	offsetBody := (&wire.ConsumerOffsetRequest{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: wire.NamedID("s"), Topic: wire.NamedID("t"), HasPartition: true}).Append(wire.OffsetGet, nil)
	pollBody := (&wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: wire.NamedID("s"), Topic: wire.NamedID("t"), HasPartition: true,
		Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1}).Append(nil)
	if st, _ := read(wire.CodePollMessages, pollBody); st != wire.StatusOK {
		t.Fatalf("PollMessages on the leader: %v", st)
	}
	if st, _ := read(wire.CodeGetStreams, nil); st != wire.StatusOK {
		t.Fatalf("GetStreams on the leader: %v", st)
	}
	if st, _ := read(wire.CodeGetConsumerOffset, offsetBody); st != wire.StatusOK {
		t.Fatalf("GetConsumerOffset on the leader: %v", st)
	}

	if err := mesh.Isolate(old); err != nil {
		t.Fatal(err)
	}
	via := (old + 1) % 3
	var next int
	for deadline := time.Now().Add(30 * time.Second); ; {
		if next = c.leader(via); next != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no new leader")
		}
		<-time.After(20 * time.Millisecond)
	}
	n := c.srv[next].dial()
	if _, err := n.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	if n.Addr() != c.srv[next].Addr("tcp").String() {
		t.Fatalf("client on %s, the new leader is %s", n.Addr(), c.srv[next].Addr("tcp"))
	}
	if _, err := n.CreateStream(ctx, "after-the-cut"); err != nil {
		t.Fatalf("create on the new leader %d: %v", next, err)
	}
	if _, err := n.GetStream(ctx, client.NamedID("after-the-cut")); err != nil {
		t.Fatalf("read on the new leader %d: %v", next, err)
	}

	// The old leader still names itself: it has not heard of the new view.
	if st, b := read(wire.CodeClusterMetadata, nil); st != wire.StatusOK {
		t.Fatalf("GetClusterMetadata on the old leader: %v", st)
	} else {
		var md wire.ClusterMetadata
		if err := md.Decode(b); err != nil || md.Nodes[old].Role != wire.RoleLeader {
			t.Fatalf("the old leader does not name itself: %+v %v", md, err)
		}
	}
	for _, r := range []struct {
		code wire.Code
		body []byte
	}{
		{wire.CodeGetStreams, nil},
		{wire.CodeGetStream, (&wire.StreamRequest{Stream: wire.NamedID("s")}).Append(nil)},
		{wire.CodeGetUsers, nil},
		{wire.CodeGetConsumerOffset, offsetBody},
		{wire.CodePollMessages, pollBody},
	} {
		if st, _ := read(r.code, r.body); st != wire.StatusTransientNotAccepted {
			t.Fatalf("read %d on the deposed leader: status %v, want TransientNotAccepted", r.code, st)
		}
	}
}
