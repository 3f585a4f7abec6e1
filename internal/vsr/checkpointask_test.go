package vsr_test

import (
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// asker is a counter that asks for a checkpoint after applying "ask".
type asker struct {
	counter
	ask bool
}

func (a *asker) Apply(op wire.Op, h *wire.PrepareHeader, body []byte) []byte {
	a.ask = string(body) == "ask"
	return a.counter.Apply(op, h, body)
}

func (a *asker) CheckpointNow() bool { return a.ask }

// TestCheckpointAsked: a state machine that asks for a checkpoint
// (vsr.CheckpointAsker) gets one at the op it asked after, between the
// interval's multiples, on every replica; the interval's checkpoints go
// on as before.
func TestCheckpointAsked(t *testing.T) {
	e := &env{out: &strings.Builder{}, blocked: map[[2]int]bool{}, sessions: map[uint64]uint64{}}
	for i := range 3 {
		cfg := vsr.Config{ID: wire.ReplicaID(i), Replicas: 3, Cluster: wire.Uint128{Lo: 1}, StateMachine: &asker{},
			Seed: uint64(i), Sessionless: true, Group: wire.PartitionGroup(0, 0, 0), CheckpointInterval: 10}
		r, err := vsr.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.nodes = append(e.nodes, &tnode{cfg: cfg, r: r, journal: map[wire.Op][]byte{}})
	}
	bodies := []string{"add 1", "add 1", "ask", "add 1"} // ops 1..4: the checkpoint at 3
	for i, b := range bodies {
		e.send(&wire.RequestHeader{Client: wire.ClientID{Lo: 7}, Request: uint64(i + 1), Session: 1, Operation: wire.OpSendMessages}, []byte(b))
	}
	e.ticks(30) // the backups learn the commit point
	for i, nd := range e.nodes {
		if cp, _ := nd.r.Checkpoint(); cp != 3 {
			t.Fatalf("replica %d checkpoint at op %d, want 3", i, cp)
		}
	}
	for req := uint64(5); req <= 10; req++ {
		e.send(&wire.RequestHeader{Client: wire.ClientID{Lo: 7}, Request: req, Session: 1, Operation: wire.OpSendMessages}, []byte("add 1"))
	}
	e.ticks(30)
	for i, nd := range e.nodes {
		if cp, _ := nd.r.Checkpoint(); cp != 10 {
			t.Fatalf("replica %d checkpoint at op %d, want 10 (the interval's)", i, cp)
		}
	}
}
