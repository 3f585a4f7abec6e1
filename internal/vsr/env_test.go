package vsr_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// counter is the scenario state machine: "add N" adds, anything else reads.
type counter struct{ n uint64 }

func (c *counter) Apply(_ wire.Op, _ *wire.PrepareHeader, body []byte) []byte {
	if v, ok := strings.CutPrefix(string(body), "add "); ok {
		d, _ := strconv.ParseUint(v, 10, 64)
		c.n += d
	}
	return []byte(strconv.FormatUint(c.n, 10))
}

func (c *counter) Snapshot() []byte { return strconv.AppendUint(nil, c.n, 10) }

func (c *counter) Restore(b []byte) error {
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return err
	}
	c.n = n
	return nil
}

type tnode struct {
	cfg     vsr.Config
	r       *vsr.Replica // nil while crashed
	hs      vsr.HardState
	cp      []byte // durable checkpoint, if any
	journal map[wire.Op][]byte
}

type msg struct {
	from, to int
	frame    []byte
}

// env is the scenario harness: replicas, an in-order message queue whose
// delivery the script controls, durable disks, and sessions of clients.
type env struct {
	nodes    []*tnode
	queue    []msg
	blocked  map[[2]int]bool
	sessions map[uint64]uint64 // client → session
	replies  []vsr.ClientFrame // every client frame the replicas sent, in order
	drop     func(m msg) bool  // if set, drops the messages it reports (Go tests only)
	reads    []readSeen        // every read result, in order
	rounds   int               // Commit frames sent with a read nonce
	out      *strings.Builder
}

// readSeen is a read result and the counter value it would serve.
type readSeen struct {
	replica int
	id      uint64
	ok      bool
	value   uint64
}

func (e *env) handle(t *testing.T, d *datadriven.TestData) string {
	var b strings.Builder
	e.out = &b
	switch d.Cmd {
	case "cluster":
		// cluster replicas=3 [pipeline=4] [clients-max=8] [abdicate=80]
		n, pipeline, clients, abdicate := 3, 4, 8, 0
		d.ScanArgs(t, "replicas", &n)
		if d.HasArg("pipeline") {
			d.ScanArgs(t, "pipeline", &pipeline)
		}
		if d.HasArg("clients-max") {
			d.ScanArgs(t, "clients-max", &clients)
		}
		if d.HasArg("abdicate") {
			d.ScanArgs(t, "abdicate", &abdicate)
		}
		*e = env{out: &b, blocked: map[[2]int]bool{}, sessions: map[uint64]uint64{}}
		for i := range n {
			cfg := vsr.Config{ID: wire.ReplicaID(i), Replicas: n, Cluster: wire.Uint128{Lo: 1}, PipelineMax: pipeline,
				ClientsMax: clients, StateMachine: &counter{}, Seed: uint64(i), Timeouts: vsr.Timeouts{Abdicate: abdicate}}
			r, err := vsr.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			e.nodes = append(e.nodes, &tnode{cfg: cfg, r: r, journal: map[wire.Op][]byte{}})
		}
		e.status()
	case "register":
		// register client=1 [to=0]
		var c uint64
		d.ScanArgs(t, "client", &c)
		h := wire.RequestHeader{Prefix: wire.Prefix{Size: wire.HeaderSize}, Client: wire.ClientID{Lo: c}, Operation: wire.OpRegister}
		e.request(t, d, &h, nil)
	case "request":
		// request client=1 req=1 body=(add 5) [session=N] [to=0] [hold]
		// (hold: do not stabilize afterwards)
		var c, req uint64
		var body string
		d.ScanArgs(t, "client", &c)
		d.ScanArgs(t, "req", &req)
		d.ScanArgs(t, "body", &body)
		session := e.sessions[c]
		if d.HasArg("session") {
			d.ScanArgs(t, "session", &session)
		}
		h := wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(wire.HeaderSize + len(body))}, Client: wire.ClientID{Lo: c},
			Request: req, Session: session, Operation: wire.OpCreateStream}
		e.request(t, d, &h, []byte(body))
	case "stabilize":
		// stabilize: persist, send and deliver until nothing moves.
		e.stabilize(true)
	case "tick":
		// tick n=10 [quiet]: each tick ticks every replica, then
		// stabilizes (printing unless quiet).
		n := 1
		d.ScanArgs(t, "n", &n)
		for range n {
			for _, nd := range e.nodes {
				if nd.r != nil {
					nd.r.Tick()
				}
			}
			e.stabilize(!d.HasArg("quiet"))
		}
	case "crash":
		// crash id=0: the replica and its unpersisted state are gone.
		var id int
		d.ScanArgs(t, "id", &id)
		e.nodes[id].r = nil
		fmt.Fprintf(&b, "r%d crashed\n", id)
	case "restart":
		var id int
		d.ScanArgs(t, "id", &id)
		e.restart(t, id)
		e.status()
	case "isolate":
		// isolate id=2 [inbound]: drop every message to and from it, or
		// only those to it (it can still send: "send-only").
		var id int
		d.ScanArgs(t, "id", &id)
		for i := range e.nodes {
			e.blocked[[2]int{i, id}] = true
			if !d.HasArg("inbound") {
				e.blocked[[2]int{id, i}] = true
			}
		}
		fmt.Fprintf(&b, "r%d isolated\n", id)
	case "heal":
		clear(e.blocked)
		b.WriteString("healed\n")
	case "read":
		// read id=1 to=0 [hold]: a linearizable read on replica to;
		// results print as "rN read id=1 ok|refused <counter value>".
		var id uint64
		var to int
		d.ScanArgs(t, "id", &id)
		d.ScanArgs(t, "to", &to)
		if nd := e.nodes[to]; nd.r != nil {
			nd.r.Read(id)
		}
		if !d.HasArg("hold") {
			e.stabilize(true)
		}
	case "status":
		e.status()
	default:
		t.Fatalf("unknown command %q", d.Cmd)
	}
	return b.String()
}

// request hands a client frame to one replica (to=N) or to all.
func (e *env) request(t *testing.T, d *datadriven.TestData, h *wire.RequestHeader, body []byte) {
	f := make([]byte, wire.HeaderSize+len(body))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	for i, nd := range e.nodes {
		if d.HasArg("to") {
			var to int
			d.ScanArgs(t, "to", &to)
			if to != i {
				continue
			}
		}
		if nd.r != nil {
			if err := nd.r.Step(f); err != nil {
				fmt.Fprintf(e.out, "r%d: %v\n", i, err)
			}
		}
	}
	if !d.HasArg("hold") {
		e.stabilize(true)
	}
}

// process runs one Ready/persist/Advance round on every live replica.
func (e *env) process() bool {
	moved := false
	for i, nd := range e.nodes {
		if nd.r == nil || !nd.r.HasReady() {
			continue
		}
		moved = true
		rd := nd.r.Ready()
		for _, m := range rd.Messages {
			e.queue = append(e.queue, msg{from: i, to: int(m.To), frame: m.Frame})
		}
		for _, c := range rd.Committed {
			fmt.Fprintf(e.out, "r%d applied op=%d %v client=%d req=%d\n", i, c.Op, c.Operation, c.Client.Lo, c.Request)
		}
		for _, m := range rd.Messages {
			var h wire.CommitHeader
			if wire.PeekCommand(m.Frame) == wire.CommandCommit && h.Decode(m.Frame) == nil && h.ReadNonce != 0 {
				e.rounds++
			}
		}
		for _, rr := range rd.Reads {
			e.reads = append(e.reads, readSeen{replica: i, id: rr.ID, ok: rr.OK, value: nd.cfg.StateMachine.(*counter).n})
			if rr.OK {
				fmt.Fprintf(e.out, "r%d read id=%d ok value=%d\n", i, rr.ID, nd.cfg.StateMachine.(*counter).n)
			} else {
				fmt.Fprintf(e.out, "r%d read id=%d refused\n", i, rr.ID)
			}
		}
		for _, c := range rd.Replies {
			e.replies = append(e.replies, c)
			fmt.Fprintf(e.out, "r%d -> client: %s\n", i, vsr.Describe(c.Frame))
			var h wire.ReplyHeader
			if h.Decode(c.Frame) == nil && h.Operation == wire.OpRegister {
				e.sessions[h.Client.Lo] = uint64(h.Op)
			}
		}
		if rd.Truncate {
			for op := range nd.journal {
				if op > rd.TruncateOp {
					delete(nd.journal, op)
				}
			}
		}
		for _, f := range rd.Entries {
			var h wire.PrepareHeader
			_ = h.Decode(f)
			nd.journal[h.Op] = f
		}
		if rd.Checkpoint != nil {
			nd.cp = rd.Checkpoint
		}
		if rd.HardStateChanged {
			nd.hs = rd.HardState
		}
		for op := range nd.journal {
			if op <= nd.hs.Checkpoint {
				delete(nd.journal, op) // compaction
			}
		}
		nd.r.Advance(rd)
	}
	return moved
}

func (e *env) stabilize(print bool) {
	out := e.out
	if !print {
		out = &strings.Builder{}
	}
	for range 1000 {
		moved := e.process()
		if len(e.queue) == 0 {
			if !moved {
				return
			}
			continue
		}
		q := e.queue
		e.queue = nil
		for _, m := range q {
			nd := e.nodes[m.to]
			if nd.r == nil || e.blocked[[2]int{m.from, m.to}] || (e.drop != nil && e.drop(m)) {
				continue
			}
			fmt.Fprintf(out, "%d->%d %s\n", m.from, m.to, vsr.Describe(m.frame))
			if err := nd.r.Step(m.frame); err != nil {
				fmt.Fprintf(out, "  error: %v\n", err)
			}
		}
	}
	panic("env: no quiescence in 1000 rounds")
}

func (e *env) status() {
	var lines []string
	for i, nd := range e.nodes {
		if nd.r == nil {
			lines = append(lines, fmt.Sprintf("r%d: down", i))
			continue
		}
		r := nd.r
		role := "backup"
		if r.IsPrimary() {
			role = "primary"
		}
		lines = append(lines, fmt.Sprintf("r%d: %v %s view=%d log_view=%d op=%d commit=%d/%d clients=%d",
			i, r.Status(), role, r.View(), r.LogView(), r.Op(), r.CommitMin(), r.CommitMax(), r.Clients()))
	}
	sort.Strings(lines)
	fmt.Fprintln(e.out, strings.Join(lines, "\n"))
}
