package vsr_test

import (
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// TestAbdicated checks that a primary that hears no PrepareOk from a
// replication quorum for the abdication timeout reports itself abdicated
// (shells stop offering it as the leader), and that a PrepareOk-bearing
// quorum ends it.
func TestAbdicated(t *testing.T) {
	r := newReplica(t, 0, 3)
	drain(r)
	if !r.IsPrimary() || r.Abdicated() {
		t.Fatalf("fresh primary: primary %v abdicated %v", r.IsPrimary(), r.Abdicated())
	}
	for range 1000 {
		r.Tick()
		drain(r)
		if r.Abdicated() {
			break
		}
	}
	if !r.Abdicated() {
		t.Fatal("a primary cut off from its backups never abdicated")
	}
	// Backup 1 acknowledges (op 0 is enough to show contact): with the
	// primary itself that is a replication quorum of two.
	ok := wire.PrepareOkHeader{Prefix: wire.Prefix{Cluster: wire.Uint128{Lo: 1}, Size: wire.HeaderSize, Replica: 1},
		Group: wire.MetadataGroup}
	f := make([]byte, wire.HeaderSize)
	ok.Put(f)
	wire.SealFrame(f)
	for range 1000 {
		if err := r.Step(f); err != nil {
			t.Fatal(err)
		}
		r.Tick()
		drain(r)
		if !r.Abdicated() {
			return
		}
	}
	t.Fatal("contact with a quorum did not end the abdication")
}
