package consensus

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/replica"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
	"github.com/zeebo/xxh3"
)

// waitLimit bounds every wait on an event; it is a hang guard, never a
// pass/fail timing.
const waitLimit = 60 * time.Second

// retryAfter is how long a test client waits for a reply before it resends
// its request (clients retransmit, as Iggy's SDK does); not a pass/fail
// timing either.
const retryAfter = 300 * time.Millisecond

const clusterName = "consensus-test"

// applied is one op a logSM applied.
type applied struct {
	Op      wire.Op
	Client  wire.ClientID
	Request uint64
	Body    uint64 // XXH3 of the body
}

// logSM is a deterministic state machine that records every op it applies;
// the reply body is the op number. Apply runs on the node goroutine; the
// test reads the record under mu.
type logSM struct {
	mu  sync.Mutex
	ops []applied
}

func (s *logSM) Apply(op wire.Op, h *wire.PrepareHeader, body []byte) []byte {
	s.mu.Lock()
	s.ops = append(s.ops, applied{Op: op, Client: h.Client, Request: h.Request, Body: xxh3.Hash(body)})
	s.mu.Unlock()
	return binary.LittleEndian.AppendUint64(nil, uint64(op))
}

// Snapshot implements vsr.Snapshotter: the record of applied ops.
func (s *logSM) Snapshot() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, 0, 40*len(s.ops))
	for _, a := range s.ops {
		b = binary.LittleEndian.AppendUint64(b, uint64(a.Op))
		b = binary.LittleEndian.AppendUint64(b, a.Client.Lo)
		b = binary.LittleEndian.AppendUint64(b, a.Client.Hi)
		b = binary.LittleEndian.AppendUint64(b, a.Request)
		b = binary.LittleEndian.AppendUint64(b, a.Body)
	}
	return b
}

// Restore implements vsr.Snapshotter.
func (s *logSM) Restore(b []byte) error {
	if len(b)%40 != 0 {
		return fmt.Errorf("logSM: snapshot of %d bytes", len(b))
	}
	ops := make([]applied, 0, len(b)/40)
	for ; len(b) > 0; b = b[40:] {
		u := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
		ops = append(ops, applied{Op: wire.Op(u(0)), Client: wire.ClientID{Lo: u(1), Hi: u(2)}, Request: u(3), Body: u(4)})
	}
	s.mu.Lock()
	s.ops = ops
	s.mu.Unlock()
	return nil
}

func (s *logSM) seq() []applied {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ops)
}

// has reports whether op was applied as client's request.
func (s *logSM) has(op wire.Op, c wire.ClientID, req uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.ops {
		if a.Op == op {
			return a.Client == c && a.Request == req
		}
	}
	return false
}

// memNet is the in-memory Transport: frames are copied (as the wire would)
// and delivered to the destination node's inbox, never blocking.
type memNet struct {
	mu    sync.Mutex
	nodes map[wire.ReplicaID]*Node
	cuts  map[wire.ReplicaID]bool // replicas whose sends are dropped
}

type memPort struct {
	net  *memNet
	from wire.ReplicaID
}

func (p memPort) SendToReplica(to wire.ReplicaID, frame []byte) error {
	p.net.mu.Lock()
	n, cut := p.net.nodes[to], p.net.cuts[p.from]
	p.net.mu.Unlock()
	if n == nil || cut {
		return fmt.Errorf("replica %d unreachable from %d", to, p.from)
	}
	return n.Deliver(bytes.Clone(frame))
}

// cut drops everything id sends and everything sent to it.
func (m *memNet) cut(id wire.ReplicaID) {
	m.mu.Lock()
	m.cuts[id] = true
	delete(m.nodes, id)
	m.mu.Unlock()
}

func (m *memNet) uncut(id wire.ReplicaID) {
	m.mu.Lock()
	delete(m.cuts, id)
	m.mu.Unlock()
}

func (m *memNet) set(id wire.ReplicaID, n *Node) {
	m.mu.Lock()
	m.nodes[id] = n
	m.mu.Unlock()
}

// member is one replica slot of a test cluster; its disk outlives its node.
type member struct {
	id    wire.ReplicaID
	fs    vfs.FS
	mem   *vfs.MemFS // when fs is a MemFS (crash tests)
	dir   string
	sm    *logSM
	node  *Node
	ticks chan time.Time // shared by every incarnation; the tick driver feeds it
	// Replica plane (plane clusters only).
	rt     *shard.Runtime
	pl     *replica.Plane
	rcv    *Receiver
	listen string // the address to bind again on restart
}

type planeMode int

const (
	memPlane planeMode = iota // memNet
	tcpPlane                  // internal/replica over loopback TCP
)

// cluster is n nodes of one group, a tick driver and the clients' reply hub.
type cluster struct {
	t       testing.TB
	n       int
	mode    planeMode
	members []*member
	net     *memNet
	cfg     func(*vsr.Config) // adjusts every replica's config

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every reply and applied batch
	clients map[wire.ClientID]*client

	stopTicks chan struct{}
	tickers   sync.WaitGroup
}

type diskMode int

const (
	memDisk diskMode = iota // vfs.NewMem per member
	osDisk                  // a directory under t.TempDir
)

func newCluster(t testing.TB, n int, mode planeMode, disk diskMode) *cluster {
	t.Helper()
	c := &cluster{t: t, n: n, mode: mode, net: &memNet{nodes: map[wire.ReplicaID]*Node{}, cuts: map[wire.ReplicaID]bool{}},
		changed: make(chan struct{}), clients: map[wire.ClientID]*client{}, stopTicks: make(chan struct{})}
	root := ""
	if disk == osDisk {
		root = t.TempDir()
	}
	for i := range n {
		m := &member{id: wire.ReplicaID(i), ticks: make(chan time.Time, 1), listen: "127.0.0.1:0"}
		if disk == memDisk {
			m.mem = vfs.NewMem()
			m.fs, m.dir = m.mem, "r"
		} else {
			m.fs, m.dir = vfs.Default, filepath.Join(root, fmt.Sprint("r", i))
		}
		c.members = append(c.members, m)
	}
	t.Cleanup(c.close)
	return c
}

// start starts every member (planes first, so that peers know addresses).
func (c *cluster) start() {
	c.t.Helper()
	if c.mode == tcpPlane {
		// A replica dials only higher ids, so starting from the highest
		// gives every plane its peers' bound addresses.
		for i := len(c.members) - 1; i >= 0; i-- {
			c.startPlane(c.members[i])
		}
	}
	for _, m := range c.members {
		c.startNode(m)
	}
	c.tickers.Add(1)
	go c.tickLoop()
}

// tickLoop is the test clock: one tick per member every millisecond of
// real time, dropped when a node has not taken the previous one. Ticks pace
// timeouts (heartbeats, view changes); nothing waits on them.
func (c *cluster) tickLoop() {
	defer c.tickers.Done()
	tk := time.NewTicker(time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-c.stopTicks:
			return
		case now := <-tk.C:
			for _, m := range c.members {
				select {
				case m.ticks <- now:
				default:
				}
			}
		}
	}
}

func (c *cluster) peers() map[wire.ReplicaID]string {
	ps := map[wire.ReplicaID]string{}
	for _, m := range c.members {
		ps[m.id] = m.listen
	}
	return ps
}

// startPlane binds m's replica listener on its own shard runtime. Peers
// learn the address from m.listen, so a plane restarted later binds the
// same port.
func (c *cluster) startPlane(m *member) {
	c.t.Helper()
	m.rcv = &Receiver{}
	scfg := shard.DefaultConfig()
	scfg.Shards = 2
	rt, err := shard.New(scfg, shard.Handlers{OnReplicaMessage: m.rcv.OnReplicaMessage})
	if err != nil {
		c.t.Fatal(err)
	}
	m.rt = rt
	pl, err := replica.Start(rt, replica.Config{ClusterName: clusterName, Self: m.id, Listen: m.listen,
		Peers: c.peers(), Secret: testSecret(), ReconnectPeriod: 20 * time.Millisecond})
	if err != nil {
		rt.Shutdown(context.Background())
		rt.Wait()
		c.t.Fatal(err)
	}
	m.pl = pl
	m.listen = pl.Addr().String()
}

func testSecret() replica.Secret {
	var s replica.Secret
	for i := range s {
		s[i] = byte(i*7 + 1)
	}
	return s
}

func (c *cluster) replicaConfig(m *member) vsr.Config {
	cfg := vsr.Config{ID: m.id, Replicas: c.n, Cluster: replica.ClusterID(clusterName), Seed: uint64(m.id) + 1,
		Timeouts: vsr.Timeouts{Backup: 150, ViewChange: 150}}
	if c.cfg != nil {
		c.cfg(&cfg)
	}
	cfg.StateMachine = m.sm
	return cfg
}

// startNode starts m's node from its directory; a member that ran before
// restarts with a fresh state machine.
func (c *cluster) startNode(m *member) {
	c.t.Helper()
	m.sm = &logSM{}
	var tr Transport = memPort{c.net, m.id}
	if c.mode == tcpPlane {
		tr = PlaneTransport{Runtime: m.rt, Shard: 1}
	}
	n, err := Start(Config{Replica: c.replicaConfig(m), FS: m.fs, Dir: m.dir, Transport: tr, Ticks: m.ticks,
		Replies: func(cf vsr.ClientFrame) { c.reply(m, cf) }, Applied: func([]vsr.Committed) { c.notify() }})
	if err != nil {
		c.t.Fatalf("replica %d: %v", m.id, err)
	}
	m.node = n
	if c.mode == tcpPlane {
		m.rcv.Set(n)
	} else {
		c.net.set(m.id, n)
	}
}

// stopMember stops m's node and, on the TCP plane, its plane and runtime:
// the process is gone; its disk stays.
func (c *cluster) stopMember(m *member) {
	c.t.Helper()
	if m.node == nil {
		return
	}
	if c.mode == memPlane {
		c.net.set(m.id, nil)
	}
	if err := m.node.Stop(); err != nil {
		c.t.Errorf("replica %d stopped with %v", m.id, err)
	}
	m.node = nil
	if m.pl != nil {
		m.pl.Close()
		m.rt.Shutdown(context.Background())
		m.rt.Wait()
		m.pl, m.rt = nil, nil
	}
}

func (c *cluster) restartMember(m *member) {
	c.t.Helper()
	if c.mode == tcpPlane {
		c.startPlane(m)
	}
	c.startNode(m)
	if m.node.Recovery().Fresh {
		c.t.Fatalf("replica %d restarted on a directory vsrlog calls fresh", m.id)
	}
}

func (c *cluster) close() {
	select {
	case <-c.stopTicks:
	default:
		close(c.stopTicks)
	}
	c.tickers.Wait()
	for _, m := range c.members {
		c.stopMember(m)
	}
}

func (c *cluster) notify() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// waitFor blocks until cond holds, re-checking after every reply and
// applied batch.
func (c *cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			c.t.Fatalf("timed out waiting for %s; %s", what, c.describe())
		}
	}
}

func (c *cluster) describe() string {
	var b bytes.Buffer
	for _, m := range c.members {
		if m.node == nil {
			fmt.Fprintf(&b, "r%d down; ", m.id)
			continue
		}
		st := m.node.Status()
		fmt.Fprintf(&b, "r%d %v view %d op %d commit %d/%d applied %d %+v; ", m.id, st.Status, st.View, st.Op,
			st.CommitMin, st.CommitMax, len(m.sm.seq()), m.node.Stats())
		if m.pl != nil {
			for _, p := range c.members {
				if p != m {
					fmt.Fprintf(&b, "conn(%d)=%v ", p.id, m.pl.Connected(p.id))
				}
			}
		}
	}
	return b.String()
}

// converged waits until every live member applied the same sequence of at
// least want ops, and returns it.
func (c *cluster) converged(want int) []applied {
	c.t.Helper()
	var got []applied
	c.waitFor(fmt.Sprintf("%d ops applied alike on every live replica", want), func() bool {
		got = nil
		for _, m := range c.members {
			if m.node == nil {
				continue
			}
			s := m.sm.seq()
			if len(s) < want || got != nil && !slices.Equal(s, got) {
				return false
			}
			got = s
		}
		return true
	})
	return got
}

// reply routes a client frame from m to its client, first checking S12:
// a reply names an op that m has already applied as that request.
func (c *cluster) reply(m *member, cf vsr.ClientFrame) {
	f := bytes.Clone(cf.Frame)
	if wire.PeekCommand(f) == wire.CommandReply {
		var h wire.ReplyHeader
		if err := h.Decode(f); err != nil {
			c.t.Errorf("replica %d sent an undecodable reply: %v", m.id, err)
			return
		}
		if h.Operation != wire.OpRegister && !m.sm.has(h.Op, h.Client, h.Request) {
			c.t.Errorf("S12: replica %d replied op %d (client %v request %d) before applying it", m.id, h.Op, h.Client, h.Request)
		}
	}
	c.mu.Lock()
	cl := c.clients[cf.Client]
	c.mu.Unlock()
	if cl != nil {
		select {
		case cl.replies <- f:
		default: // the client retransmits
		}
	}
	c.notify()
}
