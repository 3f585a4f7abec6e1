package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// Options configure one run. Zero fields are drawn from the seed (swarm
// testing: every seed picks its own cluster size, fault rates and workload).
type Options struct {
	Seed     uint64
	Replicas int     // 0: 1, 3 or 5 from the seed
	Ticks    int     // fault phase length (default 3000)
	Converge int     // bound on ticks to converge after healing (default 5000)
	Bug      vsr.Bug // deliberate core bug, for checker tests
	// Checkpoint forces the checkpoint interval in ops; 0 draws it from
	// the seed (none, or 4 to 64).
	Checkpoint uint64
	Hint       HintMode
	// Workload is WorkloadKV (the default) or WorkloadMeta.
	Workload string
	MetaBug  MetaBug // deliberate metadata-shell bug (WorkloadMeta), for checker tests
	// Trace, if set, receives one line per delivery and fault event.
	Trace func(line string)
}

// HintMode is how the simulated disk mistreats the durable commit point,
// vsr.HardState.Commit, which is only a hint: a shell may write it late or
// not at all, so the core must be safe and live with any lower value.
type HintMode uint8

const (
	// HintSwarm lets the seed choose HintLower or HintDefer.
	HintSwarm HintMode = iota
	// HintLower stores a random commit point at or below the real one.
	HintLower
	// HintDefer skips hard-state writes that change only the commit point,
	// as internal/consensus does (it writes them later or at Stop; the
	// simulator never does).
	HintDefer
)

func (m HintMode) String() string {
	switch m {
	case HintSwarm:
		return "swarm"
	case HintLower:
		return "lower"
	case HintDefer:
		return "defer"
	}
	return fmt.Sprintf("HintMode(%d)", uint8(m))
}

// Result describes a run. Err is nil when every checker passed.
type Result struct {
	Seed        uint64
	Replicas    int
	Hint        HintMode // the mode the run used (never HintSwarm)
	Clients     int
	Ticks       int // ticks simulated, both phases
	Converged   int // ticks the cluster took to converge after healing
	Commit      wire.Op
	Acked       int // operations acknowledged to clients
	Crashes     int
	Restarts    int
	Partitions  int
	Evictions   int
	PowerLosses int
	Checkpoints int // checkpoints made durable, all replicas
	Transfers   int // checkpoints installed by state transfer
	Messages    int
	// WorkloadKV: linearizable reads (vsr.Replica.Read) served, and
	// refused, on any replica; the served ones are in the checked history.
	Reads, ReadsRefused int
	// WorkloadMeta: committed metadata ops that succeeded (the rest were
	// refused by business rules), and partition tasks (create, drop,
	// purge) their effects asked for.
	MetaOK, MetaTasks int
	Appended          int       // WorkloadMeta: messages produced into partitions
	View              wire.View // final view
	TraceHash         uint64    // hash of every delivery; equal for equal seeds
	Err               error
	Repro             string // one line that reproduces the run
}

func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed=%d replicas=%d hint=%v clients=%d ticks=%d converged=%d commit=%d acked=%d view=%d crashes=%d power-losses=%d partitions=%d evictions=%d checkpoints=%d transfers=%d msgs=%d",
		r.Seed, r.Replicas, r.Hint, r.Clients, r.Ticks, r.Converged, r.Commit, r.Acked, r.View, r.Crashes, r.PowerLosses, r.Partitions, r.Evictions,
		r.Checkpoints, r.Transfers, r.Messages)
	if r.Reads+r.ReadsRefused > 0 {
		fmt.Fprintf(&b, " reads=%d refused=%d", r.Reads, r.ReadsRefused)
	}
	if r.MetaOK > 0 {
		fmt.Fprintf(&b, " meta-ok=%d meta-tasks=%d appended=%d", r.MetaOK, r.MetaTasks, r.Appended)
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "\nFAIL: %v\nreproduce: %s", r.Err, r.Repro)
	}
	return b.String()
}

type canonEntry struct {
	set             bool
	sum, parent     wire.Uint128
	client          wire.ClientID
	request         uint64
	firstBy, firstT int
}

// Sim is one run's world. Everything happens on the caller's goroutine.
type Sim struct {
	o   Options
	res Result
	now int

	netRand, faultRand, workRand, diskRand *rand.Rand

	net        *network
	nodes      []*node
	clients    []*client
	clientByID map[wire.ClientID]int
	history    []porcupine.Operation

	issuing      bool
	opsPerClient int
	idleOdds     int
	keys         int
	clientRetry  int
	diskMax      int
	crashOdds    int // 1 in crashOdds ticks crashes a replica (0: never)
	partOdds     int // 1 in partOdds ticks partitions (0: never)
	healOdds     int
	// 1 in hintOdds hard-state writes mistreat the commit point as hintMode
	// says (0: never).
	hintOdds int
	hintMode HintMode
	hintRand *rand.Rand
	// WorkloadMeta: 1 in midOdds live effects (during the fault phase)
	// kill the replica's disk after a random number of its file
	// operations, and the replica with it (0: never).
	midOdds int
	midRand *rand.Rand
	// WorkloadMeta: each tick of the fault phase, each replica produces a
	// message into one of its partitions with odds 1 in produceOdds.
	produceOdds int
	produceRand *rand.Rand

	// WorkloadKV: each tick of the workload, each live replica is asked
	// for a linearizable read with odds 1 in readOdds (0: never).
	readOdds int
	readRand *rand.Rand
	reads    map[uint64]pendingRead // by read id, until its result
	readID   uint64
	served   []servedRead // reads served, for checkReads
	done     []completion // acknowledged ops and served reads, by completion

	canon    []canonEntry
	oracle   *metaOracle // WorkloadMeta only
	maxAcked wire.Op
	// checkpoints holds the checksum of the first checkpoint made durable
	// at each op, and who made it.
	checkpoints map[wire.Op]cpSeen
	stopped     bool
}

// stream derives an independent PRNG for one concern (SplitMix64-style
// salting), so adding draws to one concern never perturbs the others.
func stream(seed, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^salt*0x9E3779B97F4A7C15))
}

// Run runs one seed to completion and checks it.
func Run(o Options) (res Result) {
	s := newSim(o)
	defer func() {
		if p := recover(); p != nil {
			s.res.Err = fmt.Errorf("tick %d: panic: %v", s.now, p)
		}
		res = s.finish()
	}()
	s.run()
	return s.res
}

func newSim(o Options) *Sim {
	if o.Ticks == 0 {
		o.Ticks = 3000
	}
	if o.Converge == 0 {
		o.Converge = 5000
	}
	s := &Sim{o: o, clientByID: map[wire.ClientID]int{}}
	s.netRand, s.faultRand = stream(o.Seed, 1), stream(o.Seed, 2)
	s.workRand, s.diskRand = stream(o.Seed, 3), stream(o.Seed, 4)
	s.hintRand = stream(o.Seed, 7)
	hint := stream(o.Seed, 6)
	s.hintOdds = []int{0, 1, 2, 4}[hint.IntN(4)]
	s.hintMode = o.Hint
	switch {
	case s.hintMode == HintSwarm:
		s.hintMode = []HintMode{HintLower, HintDefer}[hint.IntN(2)]
	case s.hintOdds == 0:
		s.hintOdds = 1 // a forced mode always acts
	}
	s.midRand = stream(o.Seed, 10)
	s.midOdds = []int{0, 4, 16, 64}[s.midRand.IntN(4)]
	s.produceRand = stream(o.Seed, 9)
	s.produceOdds = []int{5, 20, 80}[s.produceRand.IntN(3)]
	s.readRand = stream(o.Seed, 11)
	s.readOdds = []int{0, 3, 10, 40}[s.readRand.IntN(4)]
	s.reads = map[uint64]pendingRead{}
	swarm := stream(o.Seed, 5)
	n := o.Replicas
	if n == 0 {
		n = []int{1, 3, 3, 3, 5, 5}[swarm.IntN(6)]
	}
	nclients := 1 + swarm.IntN(4)
	s.res = Result{Seed: o.Seed, Replicas: n, Hint: s.hintMode, Clients: nclients}
	s.net = &network{s: s, side: make([]int, n), mute: make([]bool, n), deaf: make([]bool, n), p: netParams{
		drop:      []float64{0, 0.02, 0.05, 0.1, 0.2}[swarm.IntN(5)],
		duplicate: []float64{0, 0.02, 0.1}[swarm.IntN(3)],
		delayMin:  1 + swarm.IntN(2),
	}}
	s.net.p.delayMax = s.net.p.delayMin + []int{0, 2, 5, 15, 40}[swarm.IntN(5)]
	s.diskMax = []int{0, 1, 3, 8}[swarm.IntN(4)]
	s.crashOdds = []int{0, 200, 400, 800}[swarm.IntN(4)]
	s.partOdds = []int{0, 300, 600}[swarm.IntN(3)]
	s.healOdds = 50 + swarm.IntN(200)
	s.opsPerClient = 20 + swarm.IntN(100)
	s.idleOdds = 1 + swarm.IntN(8)
	s.keys = 1 + swarm.IntN(4)
	s.clientRetry = 40 + swarm.IntN(40)
	pipeline := 1 + swarm.IntN(8)
	clientsMax := nclients + 1 + swarm.IntN(3)
	// Checkpoints come often (a run commits a few hundred ops), so that
	// compaction, restarts from checkpoints and state transfer run under
	// crashes, power loss and partitions. Its own stream: the other
	// parameters of a seed do not move.
	interval := []uint64{0, 4, 8, 16, 32, 64}[stream(o.Seed, 8).IntN(6)]
	if o.Checkpoint != 0 {
		interval = o.Checkpoint
	}
	if o.Workload == WorkloadMeta {
		// Not yet: the metadata workload's replicas do not snapshot
		// (metaNode is no vsr.Snapshotter), and a purge skipped by a state
		// transfer is not carried out (internal/metagroup doc).
		interval = 0
		s.oracle = newMetaOracle()
	}
	for i := range n {
		cfg := vsr.Config{ID: wire.ReplicaID(i), Replicas: n, Cluster: wire.Uint128{Lo: 7},
			PipelineMax: pipeline, ClientsMax: clientsMax, Seed: swarm.Uint64(), Bug: o.Bug,
			CheckpointInterval: interval, TransferChunk: 700}
		nd := &node{id: i, cfg: cfg, journal: map[wire.Op][]byte{}}
		var err error
		if s.oracle != nil {
			nd.mem = vfs.NewMem()
			nd.r, err = nd.bootMeta(s, cfg, false, nil)
		} else {
			nd.sm = &kv{}
			cfg.StateMachine = nd.sm
			nd.r, err = vsr.New(cfg)
		}
		if err != nil {
			panic(err) // the sim's own configuration is invalid
		}
		s.nodes = append(s.nodes, nd)
	}
	for i := range nclients {
		c := &client{idx: i}
		c.newID(s)
		s.clients = append(s.clients, c)
	}
	s.issuing = true
	var rb strings.Builder
	fmt.Fprintf(&rb, "go run ./cmd/shoal-sim -seed=%d", o.Seed)
	if o.Replicas != 0 {
		fmt.Fprintf(&rb, " -replicas=%d", o.Replicas)
	}
	if o.Ticks != 3000 {
		fmt.Fprintf(&rb, " -ticks=%d", o.Ticks)
	}
	if o.Checkpoint != 0 {
		fmt.Fprintf(&rb, " -checkpoint=%d", o.Checkpoint)
	}
	if o.Bug != vsr.BugNone {
		fmt.Fprintf(&rb, " -bug=%v", o.Bug)
	}
	if o.Hint != HintSwarm {
		fmt.Fprintf(&rb, " -hint=%v", o.Hint)
	}
	if o.Workload == WorkloadMeta {
		fmt.Fprintf(&rb, " -workload=%s", o.Workload)
	}
	if o.MetaBug != MetaBugNone {
		fmt.Fprintf(&rb, " -meta-bug=%v", o.MetaBug)
	}
	s.res.Repro = rb.String()
	return s
}

func (s *Sim) fail(format string, args ...any) {
	if s.res.Err == nil {
		s.res.Err = fmt.Errorf("tick %d: "+format, append([]any{s.now}, args...)...)
	}
	s.stopped = true
}

func (s *Sim) tracef(format string, args ...any) {
	if s.o.Trace != nil {
		s.o.Trace(fmt.Sprintf("t=%d ", s.now) + fmt.Sprintf(format, args...))
	}
}

func (s *Sim) diskLatency() int {
	if s.diskMax == 0 {
		return 0
	}
	return s.diskRand.IntN(s.diskMax + 1)
}

// step advances the world by one tick.
func (s *Sim) step(faults bool) {
	s.now++
	for !s.stopped {
		p, ok := s.net.due()
		if !ok {
			break
		}
		s.res.Messages++
		s.res.TraceHash = (s.res.TraceHash ^ (uint64(p.to+64) | uint64(p.frame[60])<<8 | leU64(p.frame)<<16)) * 1099511628211
		if p.to.isClient() {
			s.clients[p.to.client()].deliver(s, p.frame)
			continue
		}
		n := s.nodes[p.to]
		if n.r == nil || !s.net.connected(p.from, p.to) {
			continue
		}
		if s.o.Trace != nil {
			s.tracef("%d->%d %s", p.from, p.to, vsr.Describe(p.frame))
		}
		if err := n.r.Step(p.frame); err != nil {
			s.fail("replica %d rejected %s: %v", n.id, vsr.Describe(p.frame), err)
		}
		n.doomed(s)
	}
	for _, n := range s.nodes {
		if n.r != nil {
			n.r.Tick()
			n.doomed(s)
		}
		n.drive(s)
	}
	for _, c := range s.clients {
		c.tick(s)
	}
	if s.oracle == nil && s.issuing && s.readOdds > 0 {
		s.issueReads()
	}
	if s.oracle != nil && s.issuing {
		for _, n := range s.nodes {
			if s.produceRand.IntN(s.produceOdds) == 0 {
				s.produce(n)
			}
		}
	}
	if faults {
		s.inject()
	}
}

func leU64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// inject crashes, restarts, partitions and heals.
func (s *Sim) inject() {
	r := s.faultRand
	for _, n := range s.nodes {
		if n.r == nil && s.now >= n.upAt {
			n.restart(s)
		}
	}
	if s.crashOdds > 0 && r.IntN(s.crashOdds) == 0 {
		down := 0
		for _, n := range s.nodes {
			if n.r == nil {
				down++
			}
		}
		// Usually keep a majority up; rarely crash anyway (full-cluster
		// restarts must be survivable too).
		if down < (len(s.nodes)-1)/2 || r.IntN(8) == 0 {
			var n *node
			if r.IntN(2) == 0 {
				for _, m := range s.nodes {
					if m.r != nil && m.r.IsPrimary() && m.r.Status() == vsr.StatusNormal {
						n = m
					}
				}
			}
			if n == nil {
				n = s.nodes[r.IntN(len(s.nodes))]
			}
			if n.r != nil {
				n.crash(s)
			}
		}
	}
	if s.crashOdds > 0 && r.IntN(s.crashOdds*6) == 0 {
		// Power loss: every replica crashes in the same tick, each losing
		// or tearing its write in flight.
		for _, n := range s.nodes {
			if n.r != nil {
				n.crash(s)
			}
		}
		s.res.PowerLosses++
	}
	if s.partOdds > 0 {
		healed := s.net.healed()
		switch {
		case healed && r.IntN(s.partOdds) == 0:
			s.net.partition()
			s.res.Partitions++
			s.tracef("partition %v mute %v deaf %v", s.net.side, s.net.mute, s.net.deaf)
		case !healed && r.IntN(s.healOdds) == 0:
			s.net.heal()
			s.tracef("heal")
		}
	}
}

func (s *Sim) run() {
	for s.now < s.o.Ticks && !s.stopped {
		s.step(true)
	}
	if s.stopped {
		return
	}
	// Liveness phase: heal, restart everyone, stop faults and new work.
	s.net.heal()
	s.net.p = netParams{delayMin: 1, delayMax: 3}
	s.issuing = false
	for _, n := range s.nodes {
		if n.r == nil {
			n.restart(s)
		}
	}
	start := s.now
	for !s.stopped {
		if s.converged() {
			s.res.Converged = s.now - start
			s.checkReplicasEqual()
			return
		}
		if s.now-start >= s.o.Converge {
			var st []string
			for _, n := range s.nodes {
				st = append(st, n.String())
			}
			s.fail("no convergence %d ticks after healing: %s", s.o.Converge, strings.Join(st, "; "))
			return
		}
		s.step(false)
	}
}

// converged reports whether every replica is normal in one view with every
// op committed and applied, and no client waits.
func (s *Sim) converged() bool {
	var view wire.View
	var op wire.Op
	for i, n := range s.nodes {
		r := n.r
		if r == nil || r.Status() != vsr.StatusNormal || r.CommitMin() != r.Op() || n.pending != nil {
			return false
		}
		if i == 0 {
			view, op = r.View(), r.Op()
		} else if r.View() != view || r.Op() != op {
			return false
		}
	}
	for _, c := range s.clients {
		if c.busy {
			return false
		}
	}
	return true
}

// checkReplicasEqual compares the converged replicas' state machines and
// client tables (TigerBeetle's storage checker, at quiescence).
func (s *Sim) checkReplicasEqual() {
	if s.oracle != nil {
		s.checkMetaConverged()
	}
	n0 := s.nodes[0]
	for _, n := range s.nodes[1:] {
		if s.oracle == nil && n.sm.vals != n0.sm.vals {
			s.fail("replicas %d and %d differ in state-machine state at op %d", n0.id, n.id, n.r.CommitMin())
		}
		if a, b := n0.r.ClientsDigest(), n.r.ClientsDigest(); a != b {
			s.fail("replicas %d and %d differ in client tables at op %d", n0.id, n.id, n.r.CommitMin())
		}
	}
}

func (s *Sim) finish() Result {
	s.res.Ticks = s.now
	for _, n := range s.nodes {
		if n.r != nil {
			s.res.Transfers += n.r.StateTransfers()
			s.res.Commit = max(s.res.Commit, n.r.CommitMin())
			s.res.View = max(s.res.View, n.r.View())
		}
	}
	if s.res.Err != nil {
		return s.res
	}
	for _, n := range s.nodes {
		if n.r.CommitMin() < s.maxAcked {
			s.fail("replica %d commit %d below acknowledged op %d", n.id, n.r.CommitMin(), s.maxAcked)
			return s.res
		}
	}
	if s.checkReads(); s.res.Err != nil {
		return s.res
	}
	if !porcupine.CheckOperations(kvModel, s.history) {
		s.fail("client history of %d operations is not linearizable", len(s.history))
	}
	return s.res
}

// checkCommit is the canonical-log checker: the first replica to commit an
// op fixes it; every later commit at that op must match, and chain to its
// neighbours. Reference: TigerBeetle state_checker.
func (s *Sim) checkCommit(replica int, c vsr.Committed) {
	for int(c.Op) >= len(s.canon) {
		s.canon = append(s.canon, canonEntry{})
	}
	e := &s.canon[c.Op]
	if e.set {
		if e.sum != c.Checksum {
			s.fail("replicas %d and %d committed different ops at op %d (%v, %v)", e.firstBy, replica, c.Op, e.sum, c.Checksum)
		}
		return
	}
	*e = canonEntry{set: true, sum: c.Checksum, parent: c.Parent, client: c.Client, request: c.Request, firstBy: replica, firstT: s.now}
	if c.Op > 1 && s.canon[c.Op-1].set && s.canon[c.Op-1].sum != c.Parent {
		s.fail("op %d committed by replica %d does not chain to op %d", c.Op, replica, c.Op-1)
	}
	if int(c.Op)+1 < len(s.canon) && s.canon[c.Op+1].set && s.canon[c.Op+1].parent != c.Checksum {
		s.fail("op %d committed by replica %d breaks the chain of op %d", c.Op, replica, c.Op+1)
	}
}

// checkCheckpoint checks that every replica's checkpoint of an op is
// byte-identical (state machine and client table: pitfall 12) and names
// the canonical op.
func (s *Sim) checkCheckpoint(replica int, b []byte) {
	op, sum, err := vsr.CheckpointOp(b)
	if err != nil {
		s.fail("replica %d persisted a checkpoint that does not decode: %v", replica, err)
		return
	}
	if int(op) < len(s.canon) && s.canon[op].set && s.canon[op].sum != sum {
		s.fail("replica %d checkpointed op %d with checksum %v, canonical %v", replica, op, sum, s.canon[op].sum)
	}
	if s.checkpoints == nil {
		s.checkpoints = map[wire.Op]cpSeen{}
	}
	all := wire.Checksum(b)
	if c, ok := s.checkpoints[op]; ok && c.sum != all {
		s.fail("replicas %d and %d made different checkpoints of op %d", c.by, replica, op)
		return
	}
	s.checkpoints[op] = cpSeen{all, replica}
}

// cpSeen is the first checkpoint of an op: its bytes' checksum and maker.
type cpSeen struct {
	sum wire.Uint128
	by  int
}

// checkAck checks that a reply a client accepted names a committed op of
// that client and request (S12: acknowledged means committed).
func (s *Sim) checkAck(h *wire.ReplyHeader) {
	s.res.Acked++
	if int(h.Op) >= len(s.canon) || !s.canon[h.Op].set {
		s.fail("client %v acknowledged op %d that no replica committed", h.Client, h.Op)
		return
	}
	e := &s.canon[h.Op]
	if e.client != h.Client || e.request != h.Request {
		s.fail("reply for client %v request %d names op %d of client %v request %d", h.Client, h.Request, h.Op, e.client, e.request)
		return
	}
	s.maxAcked = max(s.maxAcked, h.Op)
	s.done = append(s.done, completion{t: s.now, pos: h.Op})
}
