package vsrlog

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
	"github.com/zeebo/xxh3"
)

// This file drives real vsr.Replicas whose only durable state is a Log on
// a MemFS, crashes them (between Persists or in the middle of one, losing
// or tearing unsynced bytes), restarts them from what Open returns, and
// checks that acknowledged operations survive and the cluster converges.

// toPersist is the one-line shell glue: a vsr.Ready's durable part.
func toPersist(rd *vsr.Ready) Update {
	return Update{Truncate: rd.Truncate, TruncateOp: rd.TruncateOp, Entries: rd.Entries,
		HardStateChanged: rd.HardStateChanged, HardState: HardState(rd.HardState)}
}

// hashSM is a deterministic state machine: a running hash of every
// applied op and body. The reply is the hash.
type hashSM struct {
	applied int
	h       uint64
}

func (s *hashSM) Apply(op wire.Op, _ *wire.PrepareHeader, body []byte) []byte {
	s.applied++
	s.h = xxh3.HashSeed(body, s.h^uint64(op))
	return binary.LittleEndian.AppendUint64(nil, s.h)
}

// rnode is one replica: its disk survives crashes, nothing else does.
type rnode struct {
	id      int
	cfg     vsr.Config
	mem     *vfs.MemFS
	log     *Log
	r       *vsr.Replica // nil while down
	sm      *hashSM
	fuse    int        // crash when this many more file operations have run (0: off)
	crashed *vfs.MemFS // the disk the crash left, until restart
	upAt    int        // round to restart at while down
	// before is CommitMin just before the last crash.
	before wire.Op
}

type rmsg struct {
	to    int
	frame []byte
}

// rcluster is the harness: replicas, FIFO delivery, clients, checkers.
type rcluster struct {
	t       *testing.T
	rng     *rand.Rand
	nodes   []*rnode
	queue   []rmsg
	round   int
	clients []*rclient
	// agreed is every op any replica applied: all must agree (checker).
	agreed map[wire.Op]vsr.Committed
	// acked is every reply a client accepted, by op.
	acked map[wire.Op]wire.ReplyHeader
	// truncations and torn sum what the restarts' Opens reported.
	truncations int
	torn        int64
}

type rclient struct {
	id      wire.ClientID
	session uint64
	req     uint64
	frame   []byte // outstanding request, nil when idle
	sentAt  int
}

func newCluster(t *testing.T, n int, seed uint64) *rcluster {
	c := &rcluster{t: t, rng: rand.New(rand.NewPCG(seed, 0xe2e)), agreed: map[wire.Op]vsr.Committed{},
		acked: map[wire.Op]wire.ReplyHeader{}}
	for i := range n {
		nd := &rnode{id: i, mem: vfs.NewMem(),
			cfg: vsr.Config{ID: wire.ReplicaID(i), Replicas: n, Cluster: wire.Uint128{Lo: 9}, PipelineMax: 4, Seed: seed}}
		c.nodes = append(c.nodes, nd)
		c.start(nd, true)
	}
	for i := range 3 {
		c.clients = append(c.clients, &rclient{id: wire.ClientID{Lo: uint64(i + 1), Hi: 0xc1}})
	}
	return c
}

// fsys is nd's disk with the crash fuse: when it burns down, the file
// operation about to run fails and the node's disk is what a crash then
// would leave.
func (c *rcluster) fsys(nd *rnode) vfs.FS {
	mem := nd.mem
	return vfs.WithErrors(mem, func(op vfs.Op) error {
		if nd.crashed != nil {
			return vfs.ErrInjected
		}
		if nd.fuse > 0 {
			if nd.fuse--; nd.fuse == 0 {
				nd.crashed = mem.CrashClone(crashModes[c.rng.IntN(len(crashModes))].opts(c.rng))
				return vfs.ErrInjected
			}
		}
		return nil
	})
}

// start opens nd's Log and starts its replica: vsr.New on a fresh
// directory, vsr.Restart from the durable state otherwise.
func (c *rcluster) start(nd *rnode, first bool) {
	c.t.Helper()
	l, hs, prepares, rec, err := Open(c.fsys(nd), "r")
	if err != nil {
		c.t.Fatalf("round %d: r%d: Open: %v", c.round, nd.id, err)
	}
	nd.log, nd.sm = l, &hashSM{}
	c.truncations += rec.Truncations
	c.torn += rec.TornBytes
	cfg := nd.cfg
	cfg.StateMachine, cfg.Seed = nd.sm, c.rng.Uint64()
	if rec.Fresh != first {
		c.t.Fatalf("round %d: r%d: first start %v but Open says fresh=%v", c.round, nd.id, first, rec.Fresh)
	}
	if rec.Fresh {
		nd.r, err = vsr.New(cfg)
	} else {
		nd.r, err = vsr.Restart(cfg, vsr.HardState(hs), prepares)
	}
	if err != nil {
		c.t.Fatalf("r%d: start: %v", nd.id, err)
	}
}

// crash stops nd. Its disk becomes nd.crashed (set by the fuse) or, for a
// crash between operations, a crash clone taken now.
func (c *rcluster) crash(nd *rnode) {
	if nd.crashed == nil {
		nd.crashed = nd.mem.CrashClone(crashModes[c.rng.IntN(len(crashModes))].opts(c.rng))
	}
	nd.before = nd.r.CommitMin()
	nd.log.Close() // the crashed process's handles; the clone is what survives
	nd.r, nd.log, nd.fuse = nil, nil, 0
	nd.upAt = c.round + 5 + c.rng.IntN(40)
}

func (c *rcluster) restart(nd *rnode) {
	nd.mem, nd.crashed = nd.crashed, nil
	c.start(nd, false)
}

// process runs one Ready → Persist → Advance round on nd.
func (c *rcluster) process(nd *rnode) bool {
	if nd.r == nil || !nd.r.HasReady() {
		return false
	}
	rd := nd.r.Ready()
	for _, m := range rd.Messages {
		c.queue = append(c.queue, rmsg{to: int(m.To), frame: m.Frame})
	}
	for _, cm := range rd.Committed {
		if prev, ok := c.agreed[cm.Op]; ok && prev != cm {
			c.t.Fatalf("round %d: r%d applied op %d as %+v, another replica as %+v", c.round, nd.id, cm.Op, cm, prev)
		}
		c.agreed[cm.Op] = cm
	}
	for _, cf := range rd.Replies {
		c.reply(cf.Frame)
	}
	if err := nd.log.Persist(toPersist(&rd)); err != nil {
		if nd.crashed == nil {
			c.t.Fatalf("round %d: r%d: Persist: %v", c.round, nd.id, err)
		}
		c.crash(nd) // a crash in the middle of Persist: no Advance
		return true
	}
	nd.r.Advance(rd)
	return true
}

// stabilize processes and delivers until nothing moves.
func (c *rcluster) stabilize() {
	for range 10000 {
		moved := false
		for _, nd := range c.nodes {
			moved = c.process(nd) || moved
		}
		q := c.queue
		c.queue = nil
		for _, m := range q {
			if nd := c.nodes[m.to]; nd.r != nil {
				nd.r.Step(m.frame) // refused frames are the replica's business
				moved = true
			}
		}
		if !moved {
			return
		}
	}
	c.t.Fatalf("round %d: no quiescence", c.round)
}

// reply hands a client frame to its client.
func (c *rcluster) reply(f []byte) {
	if wire.PeekCommand(f) == wire.CommandEviction {
		var h wire.EvictionHeader
		if h.Decode(f) == nil {
			for _, cl := range c.clients {
				if cl.id == h.Client {
					cl.id.Lo += 1 << 32 // a new identity registers again
					cl.session, cl.req, cl.frame = 0, 0, nil
				}
			}
		}
		return
	}
	var h wire.ReplyHeader
	if err := h.Decode(f); err != nil {
		c.t.Fatalf("undecodable reply: %v", err)
	}
	for _, cl := range c.clients {
		if cl.id != h.Client || cl.frame == nil {
			continue
		}
		var rh wire.RequestHeader
		rh.Decode(cl.frame)
		if h.Request != rh.Request || (h.Operation == wire.OpRegister) != (rh.Operation == wire.OpRegister) {
			continue
		}
		// S12: a reply is for a committed op that every replica agrees on.
		if a, ok := c.agreed[h.Op]; !ok || a.Client != h.Client || a.Request != h.Request {
			c.t.Fatalf("round %d: reply for op %d (client %v request %d) is not the committed op %+v", c.round, h.Op, h.Client, h.Request, a)
		}
		c.acked[h.Op] = h
		if h.Operation == wire.OpRegister {
			cl.session = uint64(h.Op)
		}
		cl.frame = nil
	}
}

// clientsTick issues a new request per idle client, and resends stale ones
// to every live replica.
func (c *rcluster) clientsTick() {
	for _, cl := range c.clients {
		if cl.frame == nil {
			h := wire.RequestHeader{Prefix: wire.Prefix{Size: wire.HeaderSize}, Client: cl.id, Operation: wire.OpRegister}
			var body []byte
			if cl.session != 0 {
				cl.req++
				body = fmt.Appendf(nil, "client %v request %d", cl.id, cl.req)
				h = wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(wire.HeaderSize + len(body))}, Client: cl.id,
					RequestChecksum: wire.Checksum(body), Request: cl.req, Session: cl.session, Operation: wire.OpSendMessages}
			}
			cl.frame = make([]byte, wire.HeaderSize+len(body))
			h.Put(cl.frame)
			copy(cl.frame[wire.HeaderSize:], body)
			cl.sentAt = -1 << 30
		}
		if c.round-cl.sentAt >= 15 {
			cl.sentAt = c.round
			for _, nd := range c.nodes {
				if nd.r != nil {
					nd.r.Step(cl.frame)
				}
			}
		}
	}
}

// tick advances every live replica one tick, restarts nodes that are due,
// and stabilizes.
func (c *rcluster) tick() {
	c.round++
	for _, nd := range c.nodes {
		if nd.r == nil && c.round >= nd.upAt {
			c.restart(nd)
		}
		if nd.r != nil {
			nd.r.Tick()
		}
	}
	c.stabilize()
}

func (c *rcluster) down() int {
	n := 0
	for _, nd := range c.nodes {
		if nd.r == nil {
			n++
		}
	}
	return n
}

// converge ticks until every replica is up, normal, and has applied the
// same ops as the others, at least through every acknowledged op.
func (c *rcluster) converge() {
	var top wire.Op
	for op := range c.acked {
		top = max(top, op)
	}
	for range 3000 {
		c.tick()
		done := c.down() == 0
		for _, nd := range c.nodes {
			done = done && nd.r.Status() == vsr.StatusNormal && nd.r.CommitMin() >= top &&
				nd.r.CommitMin() == c.nodes[0].r.CommitMin() && nd.sm.h == c.nodes[0].sm.h && nd.r.CommitMin() >= nd.before
		}
		if done {
			return
		}
	}
	for _, nd := range c.nodes {
		if nd.r != nil {
			c.t.Logf("r%d %v view %d op %d commit %d/%d (before crash %d)", nd.id, nd.r.Status(), nd.r.View(), nd.r.Op(),
				nd.r.CommitMin(), nd.r.CommitMax(), nd.before)
		}
	}
	c.t.Fatalf("no convergence through acknowledged op %d", top)
}

func (c *rcluster) close() {
	for _, nd := range c.nodes {
		if nd.log != nil {
			nd.log.Close()
		}
	}
}

// TestReplicaSingle runs a one-replica cluster on a Log and crashes it
// again and again, between Persists and in the middle of one. A single
// replica commits only what its own journal holds, so right after every
// restart the replica's log holds every op a client got a reply for,
// with the checksum every incarnation applied, and it goes on to apply
// them again and to take new requests.
func TestReplicaSingle(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d", seed)
			c := newCluster(t, 1, seed)
			defer c.close()
			nd := c.nodes[0]
			crashes := 0
			for range 600 {
				c.clientsTick()
				if nd.r != nil && c.rng.IntN(25) == 0 {
					if c.rng.IntN(2) == 0 {
						c.crash(nd)
					} else {
						nd.fuse = 1 + c.rng.IntN(8)
					}
				}
				wasDown := nd.r == nil
				c.tick()
				if wasDown && nd.r != nil {
					crashes++
					checkRestartedLog(t, c, nd)
				}
			}
			c.converge()
			if crashes < 5 || len(c.acked) < 50 {
				t.Fatalf("%d restarts, %d acknowledged ops: the test exercised too little", crashes, len(c.acked))
			}
			t.Logf("%d restarts, %d acknowledged ops, commit %d; the restarts cut %d torn bytes", crashes, len(c.acked), nd.r.CommitMin(), c.torn)
		})
	}
}

// checkRestartedLog checks a just-restarted single replica: its log holds
// every acknowledged op with the agreed checksum.
func checkRestartedLog(t *testing.T, c *rcluster, nd *rnode) {
	t.Helper()
	for op, h := range c.acked {
		sum, ok := nd.r.Checksum(op)
		if !ok || sum != c.agreed[op].Checksum {
			t.Fatalf("round %d: restarted replica lost acknowledged op %d (client %v request %d)", c.round, op, h.Client, h.Request)
		}
	}
}

// TestReplicaThree runs three replicas that step each other's messages,
// crashes one at a time (the primary too), restarts it from its Log, and
// finally crashes all three at once and restarts them from disk alone.
// Every replica must agree on every applied op, every acknowledged op must
// survive, and the cluster must converge with each restarted replica
// reaching at least the commit it had before its crash.
func TestReplicaThree(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Logf("seed %d", seed)
			c := newCluster(t, 3, seed)
			defer c.close()
			crashes := 0
			for range 1500 {
				c.clientsTick()
				if c.down() == 0 && c.rng.IntN(40) == 0 {
					nd := c.nodes[c.rng.IntN(3)]
					if c.rng.IntN(3) == 0 { // prefer the primary
						for _, x := range c.nodes {
							if x.r.IsPrimary() {
								nd = x
							}
						}
					}
					crashes++
					if c.rng.IntN(2) == 0 {
						c.crash(nd)
					} else {
						nd.fuse = 1 + c.rng.IntN(8)
					}
				}
				c.tick()
			}
			c.converge()
			// The whole cluster goes down at once; only the Logs remain.
			for _, nd := range c.nodes {
				c.crash(nd)
				nd.upAt = c.round + 1
			}
			c.converge()
			if crashes < 10 || len(c.acked) < 50 {
				t.Fatalf("%d crashes, %d acknowledged ops: the test exercised too little", crashes, len(c.acked))
			}
			t.Logf("%d crashes, %d acknowledged ops, commit %d, view %d; the restarts replayed %d truncations, cut %d torn bytes",
				crashes, len(c.acked), c.nodes[0].r.CommitMin(), c.nodes[0].r.View(), c.truncations, c.torn)
		})
	}
}
