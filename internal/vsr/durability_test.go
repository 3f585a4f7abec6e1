package vsr_test

import (
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

func commands(rd vsr.Ready) map[wire.Command]int {
	m := map[wire.Command]int{}
	for _, e := range rd.Messages {
		m[wire.PeekCommand(e.Frame)]++
	}
	return m
}

// TestPrepareOkAfterPersist checks that a backup acknowledges a prepare only
// after the Ready carrying it has been advanced (durability before ack).
func TestPrepareOkAfterPersist(t *testing.T) {
	r := newReplica(t, 1, 3)
	drain(r)
	if err := r.Step(prepares(1, []byte("x"))[0]); err != nil {
		t.Fatal(err)
	}
	rd := r.Ready()
	if len(rd.Entries) != 1 {
		t.Fatalf("entries %d, want 1", len(rd.Entries))
	}
	if n := commands(rd)[wire.CommandPrepareOk]; n != 0 {
		t.Fatalf("PrepareOk before persist: %d", n)
	}
	r.Advance(rd)
	if n := commands(r.Ready())[wire.CommandPrepareOk]; n != 1 {
		t.Fatalf("PrepareOk after persist: %d, want 1", n)
	}
}

// TestDoViewChangeAfterDurableView checks that a replica sends its
// DoViewChange only after the view it joins is durable (TigerBeetle
// view_durable; VR Revisited §4.2 step 2).
func TestDoViewChangeAfterDurableView(t *testing.T) {
	r := newReplica(t, 2, 3)
	drain(r)
	// Replica 1 (a backup, not the primary that could give the view up)
	// votes for view 1; with replica 2's own timeout that is a view-change
	// quorum of two. Replica 1 is view 1's primary.
	svc := func(from wire.ReplicaID) []byte {
		h := wire.StartViewChangeHeader{Prefix: wire.Prefix{Cluster: wire.Uint128{Lo: 1}, Size: wire.HeaderSize, View: 1, Replica: from},
			Group: wire.MetadataGroup}
		f := make([]byte, wire.HeaderSize)
		h.Put(f)
		wire.SealFrame(f)
		return f
	}
	if err := r.Step(svc(1)); err != nil {
		t.Fatal(err)
	}
	if r.Status() != vsr.StatusNormal {
		t.Fatal("one backup's vote moved a healthy backup")
	}
	for range 200 {
		r.Tick()
		if r.Status() == vsr.StatusViewChange {
			break
		}
	}
	if r.Status() != vsr.StatusViewChange || r.View() != 1 {
		t.Fatalf("status %v view %d after timeout, want view-change 1", r.Status(), r.View())
	}
	rd := r.Ready()
	if !rd.HardStateChanged || rd.HardState.View != 1 {
		t.Fatalf("hard state %+v, want view 1", rd.HardState)
	}
	if n := commands(rd)[wire.CommandDoViewChange]; n != 0 {
		t.Fatal("DoViewChange sent before the view was durable")
	}
	r.Advance(rd)
	rd = r.Ready()
	if n := commands(rd)[wire.CommandDoViewChange]; n != 1 {
		t.Fatalf("DoViewChange after persist: %d, want 1", n)
	}
	for _, m := range rd.Messages {
		if wire.PeekCommand(m.Frame) == wire.CommandDoViewChange && m.To != 1 {
			t.Fatalf("DoViewChange to %d, want view 1's primary 1", m.To)
		}
	}
	r.Advance(rd)
}
