package consensus

import (
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// PlaneTransport sends a Node's frames over the replica plane of a shard
// runtime: each frame is copied into a pooled wire.Frame and handed to
// Bus.SendToReplica of shard Shard, which queues it on the connection's
// writer or forwards it to the shard that owns the connection (the owner
// table). Neither step blocks (S1); an error (not connected, backpressure,
// shutting down) is returned and the Node counts it.
type PlaneTransport struct {
	Runtime *shard.Runtime
	Shard   int // the shard whose bus sends; any shard routes correctly
}

// SendToReplica implements Transport.
func (t PlaneTransport) SendToReplica(to wire.ReplicaID, frame []byte) error {
	f := wire.FrameOf(frame)
	if err := t.Runtime.Shard(t.Shard).Bus().SendToReplica(to, f); err != nil {
		f.Release()
		return err
	}
	return nil
}

// Receiver feeds a Node from the replica plane: its OnReplicaMessage is a
// shard.Handlers.OnReplicaMessage hook. The runtime is created before the
// Node (the Node's transport needs it), so the Node is attached afterwards
// with Set; frames that arrive before Set, or after the Node stopped, are
// dropped and counted.
type Receiver struct {
	n       atomic.Pointer[Node]
	dropped atomic.Uint64
}

// Set attaches n (nil detaches).
func (rc *Receiver) Set(n *Node) { rc.n.Store(n) }

// Dropped counts frames that found no running Node.
func (rc *Receiver) Dropped() uint64 { return rc.dropped.Load() }

// OnReplicaMessage hands f to the attached Node. It never blocks (it runs on
// a shard goroutine). The bus has already checked the frame's seal or
// prepare checksums (S8); vsr.Step validates it again before acting. A
// frame the Node takes is not released: Step may retain its bytes, which
// the collector reclaims when the replica drops them.
func (rc *Receiver) OnReplicaMessage(_ *shard.Shard, _ wire.ReplicaID, f *wire.Frame) {
	n := rc.n.Load()
	if n == nil {
		rc.dropped.Add(1)
		f.Release()
		return
	}
	if n.Deliver(f.Bytes()) != nil {
		f.Release()
	}
}
