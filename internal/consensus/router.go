package consensus

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// Router feeds several Nodes from one replica plane: the metadata group and
// each partition's group share the plane's connections, and each frame
// goes to the Node of the group its header names (wire.PeekGroup). Its
// OnReplicaMessage is a shard.Handlers.OnReplicaMessage hook; Nodes are
// added and removed as groups start and stop (a partition created or
// deleted), while frames flow.
type Router struct {
	// groups is replaced, never modified, so OnReplicaMessage reads it
	// without a lock on every frame.
	groups atomic.Pointer[map[uint64]deliverer]

	mu sync.Mutex // serialises Add and Remove

	unrouted atomic.Uint64 // no group in the header, or no Node for it
	dropped  atomic.Uint64 // the Node's inbox was full
}

// deliverer is what Router needs of a Node.
type deliverer interface {
	Deliver(frame []byte) error
}

// Add routes group's frames to n, replacing any Node it had.
func (r *Router) Add(group uint64, n *Node) { r.set(group, n) }

// Remove stops routing group's frames; they are counted as unrouted.
func (r *Router) Remove(group uint64) { r.set(group, nil) }

func (r *Router) set(group uint64, d deliverer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := map[uint64]deliverer{}
	if cur := r.groups.Load(); cur != nil {
		next = maps.Clone(*cur)
	}
	if d == nil {
		delete(next, group)
	} else {
		next[group] = d
	}
	r.groups.Store(&next)
}

// Unrouted counts frames that named no group, or a group with no Node
// here.
func (r *Router) Unrouted() uint64 { return r.unrouted.Load() }

// Dropped counts frames refused by a full Node inbox (VSR retransmits,
// S1).
func (r *Router) Dropped() uint64 { return r.dropped.Load() }

// OnReplicaMessage hands f to the Node of its group. It never blocks (it
// runs on a shard goroutine). As with Receiver, a frame a Node takes is not
// released: Step may retain its bytes.
func (r *Router) OnReplicaMessage(_ *shard.Shard, _ wire.ReplicaID, f *wire.Frame) {
	var d deliverer
	if group, ok := wire.PeekGroup(f.Bytes()); ok {
		if cur := r.groups.Load(); cur != nil {
			d = (*cur)[group]
		}
	}
	if d == nil {
		r.unrouted.Add(1)
		f.Release()
		return
	}
	if err := d.Deliver(f.Bytes()); err != nil {
		r.dropped.Add(1)
		f.Release()
	}
}
