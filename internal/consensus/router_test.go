package consensus

import (
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// took records what a group's Node was handed.
type took struct {
	frames [][]byte
	full   bool
}

func (t *took) Deliver(f []byte) error {
	if t.full {
		return ErrInboxFull
	}
	t.frames = append(t.frames, f)
	return nil
}

func commitFrame(group uint64) *wire.Frame {
	f := wire.NewFrame(wire.HeaderSize)
	(&wire.CommitHeader{Group: group}).Put(f.Bytes())
	return f
}

// TestRouterByGroup: frames reach the Node of the group their header
// names; frames of an unknown group, or without one, are counted and
// dropped; a full inbox is counted; a removed group stops receiving.
func TestRouterByGroup(t *testing.T) {
	var r Router
	meta, part := &took{}, &took{}
	pg := wire.PartitionGroup(1, 2, 3)
	r.set(wire.MetadataGroup, meta)
	r.set(pg, part)
	r.OnReplicaMessage(nil, 1, commitFrame(wire.MetadataGroup))
	r.OnReplicaMessage(nil, 1, commitFrame(pg))
	r.OnReplicaMessage(nil, 1, commitFrame(pg))
	r.OnReplicaMessage(nil, 1, commitFrame(wire.PartitionGroup(9, 9, 9)))
	hello := wire.NewFrame(wire.HeaderSize)
	(&wire.HandshakeHeader{Prefix: wire.Prefix{Command: wire.CommandReplicaHello}}).Put(hello.Bytes())
	r.OnReplicaMessage(nil, 1, hello)
	if len(meta.frames) != 1 || len(part.frames) != 2 || r.Unrouted() != 2 {
		t.Fatalf("metadata %d, partition %d, unrouted %d", len(meta.frames), len(part.frames), r.Unrouted())
	}
	part.full = true
	r.OnReplicaMessage(nil, 1, commitFrame(pg))
	if r.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", r.Dropped())
	}
	r.Remove(pg)
	r.OnReplicaMessage(nil, 1, commitFrame(pg))
	if len(part.frames) != 2 || r.Unrouted() != 3 {
		t.Fatalf("after Remove: partition %d frames, unrouted %d", len(part.frames), r.Unrouted())
	}
}
