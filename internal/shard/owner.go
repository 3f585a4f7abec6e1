package shard

import (
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/wire"
)

// OwnerTable maps each replica to the shard holding its connection. It is
// lock-free and safe for concurrent use: a shard claims a replica by
// compare-and-swap before installing its connection and clears the slot
// only if it still owns it, so a stale clear never evicts a newer owner.
type OwnerTable struct {
	// slots[r] is 0 when replica r has no owner, else owner+1.
	slots [256]atomic.Uint32
}

// Claim makes s the owner of r if r has none; it reports success.
func (t *OwnerTable) Claim(r wire.ReplicaID, s wire.ShardID) bool {
	return t.slots[r].CompareAndSwap(0, uint32(s)+1)
}

// ClearIfOwned frees r if s owns it; it reports whether it did.
func (t *OwnerTable) ClearIfOwned(r wire.ReplicaID, s wire.ShardID) bool {
	return t.slots[r].CompareAndSwap(uint32(s)+1, 0)
}

// Owner reports the shard holding r's connection.
func (t *OwnerTable) Owner(r wire.ReplicaID) (wire.ShardID, bool) {
	v := t.slots[r].Load()
	if v == 0 {
		return 0, false
	}
	return wire.ShardID(v - 1), true
}
