// Package consensus is the goroutine shell around one internal/vsr replica:
// a Node owns one vsr.Replica of one consensus group, that replica's durable
// internal/vsrlog Log, and the single goroutine that drives both (etcd-io/raft
// node.run style). Nothing else touches the replica or the log.
//
// # The loop
//
// Node.run is one select loop over four inputs: ticks (a 10 ms ticker in
// production, or a channel the caller drives, so tests choose when time
// passes), inbound replica-plane frames (a bounded channel fed by the plane
// handler: when it is full the frame is dropped and counted, and VSR's
// retransmissions recover it; S1), client Request frames for the group (a
// separate bounded lane, so client bursts cannot crowd out replication), and
// stop. After each input it drains what else is already queued, without
// blocking, so one fsync covers a burst, and then carries out every Ready in
// the order the vsr package doc sets out:
//
//  1. send rd.Messages through the Transport (never blocks; a failed send is
//     counted and left to VSR's retransmission, S1);
//  2. persist rd through vsrlog.Log.Persist: a checkpoint (its own file),
//     truncation, prepares, one journal fsync, then the hard state, then
//     the journal's compaction after a checkpoint (vsr doc step 3). A hard
//     state
//     whose only change is the commit point is not written then: the commit
//     point is a hint (vsr.Restart keeps it only as far as the log proves
//     it) and a superblock write costs an fsync of its own, so it is written
//     a few ticks later, at Stop, or with the next hard state that changes
//     more (a commit costs one fsync, not two);
//  3. only then hand rd.Replies to the Replies callback and rd.Committed to
//     the Applied callback; vsr already puts only committed results in
//     Replies (S12: acknowledged means committed), and delivering them after
//     this round's Persist as well means no reply ever leaves a node ahead
//     of the disk work of the round that produced it;
//  4. Advance(rd) (vsr doc step 4).
//
// A Persist error acknowledges nothing: the loop stops without delivering
// that round's replies or calling Advance, logs the error, closes the log,
// and Wait and Err return it. The node is then dead; the caller restarts it
// from its directory (Start again), as after a crash.
//
// # Reads
//
// Read asks for a linearizable read (vsr.Replica.Read: one quorum round
// shared by every read waiting for it, nothing on disk). It never blocks:
// the callback is queued under a mutex (bounded, MaxQueuedReads), the
// loop hands the queue to the replica, and each result comes back in a
// Ready, whose round calls the callbacks on the node's goroutine (after
// its replies and applied ops). When the loop exits, every read it holds
// is answered false, and Read refuses from then on, so each accepted
// callback runs exactly once.
//
// # Starting
//
// Start opens the Log and starts the replica with vsr.New only when
// vsrlog.Open reports a fresh directory; a directory that ever held a
// running replica restarts it with vsr.RestartFrom from what the log kept:
// the durable checkpoint (Log.Checkpoint), if any, and the prepares above
// it (vsrlog Recovery.Fresh). Checkpoints come every
// Config.Replica.CheckpointInterval ops (vsr), so the journal, the
// replica's in-memory log and a restart's replay stay bounded.
//
// # The replica plane
//
// PlaneTransport sends frames through a shard runtime's bus
// (Bus.SendToReplica, which never blocks), and Receiver is the
// shard.Handlers.OnReplicaMessage hook that feeds a Node's inbound channel.
// Router is that hook for several Nodes on one plane (the metadata group
// and each partition's group): it routes each frame by the group its
// header names (wire.PeekGroup).
//
// Goroutines: each Node owns exactly one, started by Start and stopped and
// waited for by Stop. Callbacks (Replies, Applied) run on it and must not
// block for long. Imports: the standard library, internal/vsr,
// internal/vsrlog, internal/vfs, internal/wire and internal/shard.
package consensus
