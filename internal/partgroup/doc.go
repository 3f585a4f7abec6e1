// Package partgroup replicates one partition through a consensus group of
// its own (Iggy's one group per partition, wire.PartitionGroup): in a
// cluster, SendMessages, StoreConsumerOffset, DeleteConsumerOffset and the
// partition's purge are prepares of that group, and a request is answered
// only after a replication quorum holds it durable and it was applied
// (S12). The group is an internal/consensus Node (its own goroutine and
// internal/vsrlog journal, under <partition dir>/vsr) whose vsr replica is
// sessionless (vsr.Config.Sessionless): Iggy's data plane is at-least-once
// and needs no client table; the proposer matches each reply to its
// request by the request number it gave it.
//
// A standalone node has no partition groups: a group of one would write
// every batch twice (journal and segment) for nothing a single disk does
// not already give, and the partition's own fsync policy is its
// durability, as before.
//
// # Apply
//
// The state machine is the partition itself. A partition is touched only
// by its owning shard (S5), so Apply, on the Node's goroutine, hands the
// op to the owner through Storage.On and waits for it: the owner appends
// the batch with the primary's timestamp (carried in the prepare, so every
// replica stamps the same base_timestamp), stores or deletes the offset,
// or purges. A deterministic refusal (an offset past the current one) is
// the same on every replica and becomes the reply's status; a storage
// failure is not deterministic, so it stops the group (the replica
// restarts it from its checkpoint and journal, below) instead of letting
// it diverge. Polls and GetConsumerOffset read the partition on its owner
// as before, on the group's primary once it has applied every op it knows
// committed (Group.Serves); the partition holds only applied, so
// committed, ops. A poll that continues from a consumer's offset (Next)
// continues from the consumer's latest store proposed here and not yet
// answered (Group.PendingOffset), if any: a poll's auto-commit is
// replicated while the poll is answered, and the next poll must not serve
// the same messages again.
//
// # Checkpoints and restart
//
// The partition's own files are the group's state, and the appended tail
// is not fsynced op by op (the journal is). Every CheckpointInterval ops
// the group checkpoints (vsr): Snapshot syncs the partition and records
// what it holds — next offset, latest purge, consumer offsets — so the
// journal and the replica's memory keep at most that many ops. After a
// crash Restore truncates the partition back to the checkpoint's next
// offset (partition.TruncateTo: the tail above it may be torn or partly
// lost, and the journal holds every op after it) and sets its offsets,
// and vsr re-applies the ops above the checkpoint; a group with no
// checkpoint yet starts from an empty partition. Every replica thus
// assigns the same offsets to the same batches. A restart after a purge
// above the checkpoint cannot go back to it (the purged messages are
// gone): the partition is emptied, the ops before the purge are applied
// again onto it and the purge empties it once more.
//
// A purge is asked of every replica's group by the metadata apply
// (Group.Purge), recorded durably beside the journal (<Dir>.purge) before
// the metadata effects are marked done, and proposed by whichever replica
// leads the group. The group checkpoints right after applying it
// (vsr.CheckpointAsker): a replica behind a purge could not copy the
// messages before it (no peer holds them), and reaches the checkpoint
// after it instead.
//
// # Catching up
//
// A replica that lagged past its peers' checkpoints is offered the
// newest one by state transfer. The checkpoint names the partition's
// state but does not carry its messages: a replica whose partition is
// below the checkpoint's next offset refuses it (Restore fails before the
// partition goes past what its log applied, so vsr does not install it),
// reports it (Status.Gap) and copies the messages it lacks from a peer's
// partition (backfill.go: chunks of whole stored batches, pulled one at a
// time over the group's replica plane, appended as the peer stored them
// with partition.AppendStored). When vsr offers the checkpoint again the
// partition holds it, and the replica installs it and repairs the ops
// above it; the target moves on with newer checkpoints until the copy
// catches up. Meanwhile it applies nothing, never leads (it stands down)
// and does not count towards the partition's fault tolerance. If its log
// applies ops again instead (a peer still held the prepares it lacked),
// the copied messages are dropped first (TruncateTo the offset the log
// left), unless the copy began with the checkpoint's purge: then the
// group stops on this replica (Status.Failed) until a restart.
//
// # Leadership
//
// Clients follow the metadata group's primary (the cluster's leader), so
// the node that takes a partition's requests must be its group's primary.
// A group's primary that is not the leader stands down after a short
// grace, straight to the view the leader leads
// (vsr.Replica.StandDownTo): not through a replica between, which may be
// the one that just died. The leader is known only while this node is
// connected to it (the metadata group names a killed primary until its
// backups time out). A proposal on a node that is not the
// group's normal primary, or that its queue cannot take, is answered
// TransientNotAccepted (it was not stored); one whose view changes, or
// that sees no commit in time, TransientNotCommitted: it may still
// commit, and a client that sends it again may store it twice
// (at-least-once, as in Iggy).
//
// Goroutines: the Node's (Apply, replies, ticks). Callbacks given to Send
// and the others run on it and must not block. Imports: internal/consensus,
// internal/partition, internal/vfs, internal/vsr, internal/wire.
package partgroup
