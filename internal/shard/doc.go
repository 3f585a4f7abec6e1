// Package shard is Shoal's shard-per-core runtime. A Runtime runs N shards
// (default runtime.GOMAXPROCS(0)); each shard is one goroutine that alone
// touches its state (S5) and owns one bus.Bus. Everyone else reaches a shard
// through its bounded inbox, split into four lanes served in this order
// every round, a burst at a time:
//
//   - lifecycle: connection setup (the accepted transport.Pending itself,
//     "connections move, fds do not"), connection-lost, posted functions;
//   - consensus: frames from replica readers, replica sends forwarded from
//     other shards;
//   - reply: client sends forwarded from other shards (Iggy's client-reply
//     lane, so a request flood cannot make replies fail);
//   - client: requests from client readers.
//
// A lane has its own capacity, so a client burst can fill only the client
// lane and never delays replication by more than one burst. Readers block
// on a full lane (flow control on their own connection only); shard
// goroutines and sends never block (S1): a full lane fails a forward with
// bus.ErrBackpressure.
//
// Shard 0 is the coordinator (S6): only it binds listeners (Shard.Serve);
// its accept loops do no protocol work, pick the owning shard round-robin,
// mint the client id owner<<112 | seq (seq from 1, wire.NewClientID) and
// post the Pending to the owner, whose bus runs the handshake and installs
// the connection. The replica owner table (OwnerTable) maps each replica to
// the shard holding its connection: claimed by compare-and-swap, cleared
// only by its owner. The replica listener (ListenerSpec.Replica) runs on
// the same accept loop; its connections name their replica only inside the
// handshake, so they are delegated without an id (InboundReplica) and the
// owner claims the table once the handshake has authenticated the peer.
//
// Goroutines: the Runtime owns the shard loops (waited for in Shutdown);
// each bus owns its connection goroutines and background work, accept loops
// included. Lock order: Runtime.mu, then a bus's own lock; no hook runs
// under Runtime.mu.
//
// Imports: the standard library, internal/wire, internal/transport and
// internal/bus.
package shard
