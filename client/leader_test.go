package client

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/server/servertest"
	"github.com/shoal-io/shoal/internal/wire"
)

// fakeCluster is a cluster of scripted nodes on real sockets (peers): each
// answers a login with its own session (10 + its index), GetClusterMetadata
// with every node and the leader the test set, a replicated operation with
// OK on the leader and 58 TransientNotAccepted elsewhere, and reads with OK.
// It tests the client's leader following; a real cluster does not exist
// yet.
type fakeCluster struct {
	nodes []*peer

	mu sync.Mutex
	// leaderOf[i] is the node node i names as leader; -1 for none.
	leaderOf []int
	status   []wire.NodeStatus // each node's status, as every node reports it
	// onMetadata, if set, runs before node i answers a metadata read.
	onMetadata func(i int)
}

// set changes the cluster's state under its lock.
func (fc *fakeCluster) set(f func()) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	f()
}

func newFakeCluster(t *testing.T, n int) *fakeCluster {
	fc := &fakeCluster{leaderOf: make([]int, n), status: make([]wire.NodeStatus, n)}
	for i := range n {
		fc.nodes = append(fc.nodes, newPeer(t, func(_ int, h *wire.RequestHeader, body []byte) [][]byte {
			return fc.answer(i, h)
		}))
	}
	return fc
}

// setLeader makes every node name node l as leader (-1: none).
func (fc *fakeCluster) setLeader(l int) { fc.set(func() { fc.setLeaderLocked(l) }) }

// setLeaderLocked is setLeader; fc.mu must be held.
func (fc *fakeCluster) setLeaderLocked(l int) {
	for i := range fc.leaderOf {
		fc.leaderOf[i] = l
	}
}

func (fc *fakeCluster) addr(i int) string { return fc.nodes[i].addr() }

func (fc *fakeCluster) addrs() string {
	s := ""
	for i := range fc.nodes {
		if i > 0 {
			s += ","
		}
		s += fc.addr(i)
	}
	return s
}

func (fc *fakeCluster) answer(i int, h *wire.RequestHeader) [][]byte {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	leads := fc.leaderOf[i] == i
	switch {
	case h.Operation == wire.OpRegister:
		return [][]byte{reply(h, 0, loginOK(wire.Epoch(10+i)))}
	case h.Operation == wire.OpNonReplicated && h.Code == wire.CodeClusterMetadata:
		if fc.onMetadata != nil {
			fc.onMetadata(i)
		}
		md := wire.ClusterMetadata{Name: "fake"}
		for j, p := range fc.nodes {
			_, port, _ := net.SplitHostPort(p.addr())
			tcp, _ := strconv.Atoi(port)
			role := wire.RoleFollower
			if fc.leaderOf[i] == j {
				role = wire.RoleLeader
			}
			md.Nodes = append(md.Nodes, wire.ClusterNode{Name: "node-" + strconv.Itoa(j), IP: "127.0.0.1", TCP: uint16(tcp),
				Role: role, Status: fc.status[j]})
		}
		return [][]byte{reply(h, 0, md.Append(nil))}
	case h.Operation == wire.OpNonReplicated || leads:
		return server(0, h, nil)
	}
	return [][]byte{reply(h, wire.StatusTransientNotAccepted, nil)}
}

// fast shortens the leader-following timings so tests do not wait for
// Iggy's (2 s failover, 5 s leaderless wait).
func fast(o *options) {
	o.failoverAfter, o.leaderWait, o.leaderPoll = 10*time.Millisecond, 50*time.Millisecond, time.Millisecond
}

func dialCluster(t *testing.T, addrs string, opts ...Option) *Client {
	t.Helper()
	c, err := Dial(context.Background(), addrs, append([]Option{WithHeartbeat(0), WithCredentials("iggy", "iggy"), fast}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// write sends a replicated request (a CreateStream) and returns its error.
func write(c *Client) error {
	_, err := c.Request(context.Background(), wire.OpCreateStream, 0, []byte{1, 's'})
	return err
}

func ops(p *peer) []wire.Operation {
	var out []wire.Operation
	for _, h := range p.requests() {
		out = append(out, h.Operation)
	}
	return out
}

func eqOps(a []wire.Operation, b ...wire.Operation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// wire.md §2.3: after the login at the first address, the leader check
// names node 2, so the client logs in again there; reconnection being off
// (as in the CLI) does not stop a redirect.
func TestLoginFollowsLeader(t *testing.T) {
	fc := newFakeCluster(t, 3)
	fc.setLeader(2)
	c := dialCluster(t, fc.addrs(), WithReconnect(false))
	if c.Addr() != fc.addr(2) {
		t.Fatalf("client at %s, leader at %s", c.Addr(), fc.addr(2))
	}
	if err := write(c); err != nil {
		t.Fatal(err)
	}
	nr, reg, cs := wire.OpNonReplicated, wire.OpRegister, wire.OpCreateStream
	if got := ops(fc.nodes[0]); !eqOps(got, reg, nr) {
		t.Errorf("node 0 saw %v", got)
	}
	if got := ops(fc.nodes[1]); len(got) != 0 {
		t.Errorf("node 1 saw %v", got)
	}
	at0, at2 := fc.nodes[0].requests(), fc.nodes[2].requests()
	if got := ops(fc.nodes[2]); !eqOps(got, reg, nr, cs) {
		t.Fatalf("node 2 saw %v", got)
	}
	if at2[0].Client == at0[0].Client || at2[2].Session != 12 || at2[2].Request != 1 {
		t.Errorf("at the leader: client %v (was %v), session %d, request %d", at2[0].Client, at0[0].Client, at2[2].Session, at2[2].Request)
	}
}

// wire.md §2.6 item 5: a write refused with 58 is replayed on its node
// for failoverAfter, then the leader check finds the new leader; the client
// logs in there and sends the write again under the new session, with a
// fresh request number.
func TestNotAcceptedFailsOverToNewLeader(t *testing.T) {
	fc := newFakeCluster(t, 3)
	fc.setLeader(0)
	c := dialCluster(t, fc.addrs())
	if c.Addr() != fc.addr(0) {
		t.Fatalf("client at %s", c.Addr())
	}
	fc.setLeader(1) // node 0 steps down: it now refuses writes
	if err := write(c); err != nil {
		t.Fatal(err)
	}
	if c.Addr() != fc.addr(1) {
		t.Fatalf("client at %s after the failover, leader at %s", c.Addr(), fc.addr(1))
	}
	var refused []wire.RequestHeader
	for _, h := range fc.nodes[0].requests() {
		if h.Operation == wire.OpCreateStream {
			refused = append(refused, h)
		}
	}
	if len(refused) < 1 || refused[0].Session != 10 || refused[0].Request != 1 {
		t.Fatalf("node 0 got the write %d times: %+v", len(refused), refused)
	}
	for _, h := range refused {
		if h.Request != refused[0].Request || h.Client != refused[0].Client {
			t.Errorf("a replay on node 0 changed the stamp: %+v", h)
		}
	}
	at1 := fc.nodes[1].requests()
	if got := ops(fc.nodes[1]); !eqOps(got, wire.OpRegister, wire.OpNonReplicated, wire.OpCreateStream) {
		t.Fatalf("node 1 saw %v", got)
	}
	if at1[2].Session != 11 || at1[2].Request != 1 || at1[2].Client == refused[0].Client {
		t.Errorf("write at the new leader: %+v", at1[2])
	}
}

// While the node still leads (or nobody else does), 58 is replayed there
// until the transient window ends, and its status is returned.
func TestNotAcceptedWithoutNewLeaderGivesUp(t *testing.T) {
	fc := newFakeCluster(t, 2)
	fc.setLeader(0)
	c := dialCluster(t, fc.addrs(), func(o *options) { o.transient = 200 * time.Millisecond })
	fc.set(func() {
		fc.leaderOf[0] = 1 // node 0 refuses writes...
		fc.status[1] = wire.NodeStarting
	}) // ...but node 1 is not healthy, so it is no leader to go to
	err := write(c)
	if !errors.Is(err, &StatusError{Status: wire.StatusTransientNotAccepted}) {
		t.Fatalf("got %v", err)
	}
	if c.Addr() != fc.addr(0) || len(fc.nodes[1].requests()) != 0 {
		t.Fatalf("client moved to %s", c.Addr())
	}
}

// A cluster in an election names no healthy leader: the client polls
// until one appears, then moves there.
func TestLeaderlessClusterIsPolled(t *testing.T) {
	fc := newFakeCluster(t, 2)
	reads := 0
	fc.set(func() {
		fc.setLeaderLocked(-1)
		fc.onMetadata = func(int) {
			if reads++; reads == 3 {
				fc.setLeaderLocked(1)
			}
		}
	})
	c := dialCluster(t, fc.addrs(), func(o *options) { o.leaderWait = time.Minute })
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if c.Addr() != fc.addr(1) || reads != 4 { // three at node 0, one at node 1
		t.Fatalf("client at %s after %d metadata reads", c.Addr(), reads)
	}
}

// With no healthy leader for leaderWait, the client stays where it is.
func TestLeaderlessClusterStays(t *testing.T) {
	fc := newFakeCluster(t, 2)
	fc.set(func() {
		fc.setLeaderLocked(1)
		fc.status[1] = wire.NodeUnreachable
	})
	c := dialCluster(t, fc.addrs())
	if c.Addr() != fc.addr(0) {
		t.Fatalf("client at %s", c.Addr())
	}
	if len(fc.nodes[1].requests()) != 0 {
		t.Fatal("the client logged in at an unhealthy leader")
	}
}

// Two nodes that each name the other cannot bounce a login forever: after
// maxRedirects redirects the client stays.
func TestRedirectsAreBounded(t *testing.T) {
	fc := newFakeCluster(t, 2)
	fc.set(func() { fc.leaderOf = []int{1, 0} })
	c := dialCluster(t, fc.addrs())
	logins := 0
	for _, p := range fc.nodes {
		for _, h := range p.requests() {
			if h.Operation == wire.OpRegister {
				logins++
			}
		}
	}
	if logins != 1+maxRedirects {
		t.Fatalf("%d logins, want %d", logins, 1+maxRedirects)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// deadAddr is a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// Dial connects to the first address that answers; when the connection
// breaks, the next call connects to the next address.
func TestDialAndReconnectMoveAlongAddresses(t *testing.T) {
	fc := newFakeCluster(t, 2)
	fc.setLeader(0)
	dead := deadAddr(t)
	c := dialCluster(t, dead+", "+fc.addrs())
	if c.Addr() != fc.addr(0) {
		t.Fatalf("client at %s", c.Addr())
	}
	fc.setLeader(1)
	fc.nodes[0].close() // node 0 dies
	if err := c.Ping(context.Background()); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("ping at a dead node: %v", err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Addr() != fc.addr(1) || !c.LoggedIn() {
		t.Fatalf("client at %s after node 0 died (logged in: %v)", c.Addr(), c.LoggedIn())
	}

	dead2 := deadAddr(t)
	_, err := Dial(context.Background(), dead+","+dead2, WithHeartbeat(0))
	if err == nil || !strings.Contains(err.Error(), "no server answered") || !strings.Contains(err.Error(), dead2) {
		t.Fatalf("no address answered: %v", err)
	}
	if _, err := Dial(context.Background(), " , "); err == nil {
		t.Fatal("Dial with no address succeeded")
	}
}

func TestSameAddress(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"127.0.0.1:8090", "127.0.0.1:8090", true},
		{"localhost:8090", "127.0.0.1:8090", true},
		{"LOCALHOST:8090", "127.0.0.1:8090", true},
		{"[::1]:8090", "[0:0:0:0:0:0:0:1]:8090", true},
		{"ws://127.0.0.1:8092/", "127.0.0.1:8092", true},
		{"127.0.0.1:8090", "127.0.0.1:8091", false},
		{"127.0.0.2:8090", "127.0.0.1:8090", false},
		{"node-a:8090", "node-b:8090", false},
		{"Node-A:8090", "node-a:8090", true},
	} {
		if got := sameAddress(tc.a, tc.b); got != tc.want {
			t.Errorf("sameAddress(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// A real standalone server reports one node: the client stays put, given
// that address alone or after a dead one.
func TestStandaloneServerStays(t *testing.T) {
	srv := servertest.Start(t)
	addr := srv.Addr("tcp").String()
	for _, addrs := range []string{addr, deadAddr(t) + "," + addr} {
		c, err := Dial(context.Background(), addrs, WithHeartbeat(0), WithCredentials(servertest.Username, servertest.Password))
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr() != addr {
			t.Errorf("%s: client at %s", addrs, c.Addr())
		}
		md, err := c.ClusterMetadata(context.Background())
		if err != nil || len(md.Nodes) != 1 {
			t.Fatalf("metadata %+v, %v", md, err)
		}
		if _, err := c.CreateStream(context.Background(), "stays-"+strconv.Itoa(len(addrs))); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}
