package vsr_test

import (
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestStandDownTo checks that a primary standing down toward a given
// replica skips the views between: replica 0 hands view 0 to replica 2
// in one view change (view 2), even with replica 1, the next in turn,
// down, and ops already prepared commit there.
func TestStandDownTo(t *testing.T) {
	e := sessionlessEnv(t, 3)
	e.send(&wire.RequestHeader{Client: wire.ClientID{Lo: 7}, Request: 1, Session: 1, Operation: wire.OpSendMessages}, []byte("add 1"))
	down := e.nodes[1].r
	e.nodes[1].r = nil // replica 1 is down
	e.nodes[0].r.StandDownTo(2)
	e.stabilize(false) // no ticks: nobody's timeout may be needed
	for _, i := range []int{0, 2} {
		if r := e.nodes[i].r; r.Status() != vsr.StatusNormal || r.View() != 2 {
			t.Fatalf("replica %d: status %v view %d, want normal in view 2", i, r.Status(), r.View())
		}
	}
	if !e.nodes[2].r.IsPrimary() {
		t.Fatal("replica 2 does not lead view 2")
	}
	e.nodes[1].r = down
	e.send(&wire.RequestHeader{Client: wire.ClientID{Lo: 7}, Request: 2, Session: 1, Operation: wire.OpSendMessages}, []byte("add 1"))
	e.ticks(30)
	for i, nd := range e.nodes {
		if c := nd.cfg.StateMachine.(*counter); c.n != 2 {
			t.Fatalf("replica %d applied %d ops, want 2", i, c.n)
		}
	}
	// Toward itself, or a replica that does not exist: nothing.
	p := e.nodes[2].r
	p.StandDownTo(2)
	p.StandDownTo(7)
	if p.Abdicated() {
		t.Fatal("a primary stood down toward itself or nobody")
	}
}
