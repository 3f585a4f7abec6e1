package vsr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// sessionlessEnv is a cluster of n replicas of a sessionless group (a
// partition's), pipeline 4, queue 8.
func sessionlessEnv(t *testing.T, n int) *env {
	t.Helper()
	e := &env{out: &strings.Builder{}, blocked: map[[2]int]bool{}, sessions: map[uint64]uint64{}}
	for i := range n {
		cfg := vsr.Config{ID: wire.ReplicaID(i), Replicas: n, Cluster: wire.Uint128{Lo: 1}, PipelineMax: 4,
			RequestQueueMax: 8, StateMachine: &counter{}, Seed: uint64(i), Sessionless: true, Group: wire.PartitionGroup(0, 0, 0)}
		r, err := vsr.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.nodes = append(e.nodes, &tnode{cfg: cfg, r: r, journal: map[wire.Op][]byte{}})
	}
	return e
}

// requestFrame is a sessionless request: a session number is still
// needed on the wire (any, not checked); a Register has none.
func requestFrame(client, req uint64, op wire.Operation, body []byte) []byte {
	h := wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(wire.HeaderSize + len(body))}, Client: wire.ClientID{Lo: client},
		Request: req, Session: 1, Operation: op}
	if op == wire.OpRegister {
		h.Request, h.Session = 0, 0
	}
	f := make([]byte, wire.HeaderSize+len(body))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	return f
}

// TestSessionless checks a sessionless group: one client's requests are
// all in flight at once (no one-per-client rule, no Register), prepared in
// arrival order through the pipeline and the queue, applied on every
// replica, and answered by the primary in that order; past the queue the
// primary refuses with ErrQueueFull.
func TestSessionless(t *testing.T) {
	e := sessionlessEnv(t, 3)
	p := e.nodes[0].r
	if err := p.Step(requestFrame(7, 1, wire.OpRegister, nil)); !errors.Is(err, vsr.ErrUnsupported) {
		t.Fatalf("Register on a sessionless group: %v, want ErrUnsupported", err)
	}
	const n = 12 // pipeline 4 + queue 8
	for req := uint64(1); req <= n; req++ {
		if err := p.Step(requestFrame(7, req, wire.OpSendMessages, []byte("add 1"))); err != nil {
			t.Fatalf("request %d: %v", req, err)
		}
	}
	if err := p.Step(requestFrame(7, n+1, wire.OpSendMessages, []byte("add 1"))); !errors.Is(err, vsr.ErrQueueFull) {
		t.Fatalf("request past the queue: %v, want ErrQueueFull", err)
	}
	e.stabilize(false)
	var replies []uint64
	for _, c := range e.replies {
		var h wire.ReplyHeader
		if err := h.Decode(c.Frame); err != nil {
			t.Fatal(err)
		}
		if h.Client.Lo != 7 {
			t.Fatalf("reply for client %d", h.Client.Lo)
		}
		replies = append(replies, h.Request)
	}
	if len(replies) != n {
		t.Fatalf("%d replies, want %d", len(replies), n)
	}
	for i, req := range replies {
		if req != uint64(i+1) {
			t.Fatalf("replies in order %v", replies)
		}
	}
	e.ticks(30) // heartbeats carry the commit point to the backups
	for i, nd := range e.nodes {
		if c := nd.cfg.StateMachine.(*counter); c.n != n {
			t.Fatalf("replica %d applied %d ops, want %d", i, c.n, n)
		}
	}
}

// TestStandDown checks that a primary told to stand down gives its view
// up at once: its backups join the view change without waiting for their
// own timeout, the next replica leads, and ops already prepared commit.
func TestStandDown(t *testing.T) {
	e := sessionlessEnv(t, 3)
	e.send(&wire.RequestHeader{Client: wire.ClientID{Lo: 7}, Request: 1, Session: 1, Operation: wire.OpSendMessages}, []byte("add 1"))
	p := e.nodes[0].r
	p.StandDown()
	if !p.Abdicated() {
		t.Fatal("a primary standing down does not report itself abdicated")
	}
	if err := p.Step(requestFrame(7, 2, wire.OpSendMessages, []byte("add 1"))); err != nil {
		t.Fatal(err)
	}
	e.stabilize(false) // no ticks: nobody's timeout may be needed
	for i, nd := range e.nodes {
		if nd.r.Status() != vsr.StatusNormal || nd.r.View() != 1 {
			t.Fatalf("replica %d: status %v view %d, want normal in view 1", i, nd.r.Status(), nd.r.View())
		}
	}
	if !e.nodes[1].r.IsPrimary() {
		t.Fatal("replica 1 does not lead view 1")
	}
	e.send(&wire.RequestHeader{Client: wire.ClientID{Lo: 7}, Request: 3, Session: 1, Operation: wire.OpSendMessages}, []byte("add 1"))
	e.ticks(30)
	for i, nd := range e.nodes {
		// Request 2 reached a primary standing down: dropped, not applied.
		if c := nd.cfg.StateMachine.(*counter); c.n != 2 {
			t.Fatalf("replica %d applied %d ops, want 2", i, c.n)
		}
	}
}
