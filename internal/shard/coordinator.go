package shard

import (
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/wire"
)

// coordinator is shard 0's placement state: round-robin counters and the
// client sequence. Accept loops of several listeners share it, hence the
// atomics; nothing else touches it.
type coordinator struct {
	n                   int
	skipZeroClients     bool
	skipZeroReplicas    bool
	clientRR, replicaRR atomic.Uint64
	seq                 atomic.Uint64 // last minted client sequence; the first is 1
}

// rrPick returns the next shard of a round robin over all shards, or over
// shards 1..n-1 when skipZero is set and there is more than one shard.
func rrPick(counter *atomic.Uint64, n int, skipZero bool) wire.ShardID {
	off := 0
	if skipZero && n > 1 {
		off = 1
	}
	cur := counter.Add(1) - 1
	return wire.ShardID(off + int(cur%uint64(n-off)))
}

// nextClient picks the owner of a new client connection and mints its id:
// owner<<112 | seq, unique for the life of the process.
func (c *coordinator) nextClient() (wire.ShardID, wire.ClientID) {
	owner := rrPick(&c.clientRR, c.n, c.skipZeroClients)
	return owner, wire.NewClientID(owner, c.seq.Add(1))
}

// nextReplica picks the owner of a new replica connection.
func (c *coordinator) nextReplica() wire.ShardID {
	return rrPick(&c.replicaRR, c.n, c.skipZeroReplicas)
}
