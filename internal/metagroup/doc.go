// Package metagroup is the metadata consensus group: one internal/consensus
// Node of group wire.MetadataGroup whose state machine is the metadata
// Store. Every metadata operation (users, tokens, sessions, streams,
// topics, partitions, consumer groups) is a VSR prepare of this group; it
// is applied by Store.Commit on every replica, in op order, and only then
// acknowledged (S12: the proposer hears of it after the round that
// committed it is durable). The VSR journal and superblock (internal/vsrlog)
// are the metadata's log; there is no other.
//
// # Proposing
//
// Only the primary proposes. Propose encodes the operation (metadata.Encode)
// as the body of a client Request:
//
//   - a Register is the VSR Register of the session's own client id, so the
//     VSR client table holds every logged-in session and the session's epoch
//     is the Register's op (as in Iggy); the state machine binds the user;
//   - a Logout is that session's request, and its commit ends the session in
//     both the client table and the metadata;
//   - every other operation goes out under this node's proposer session (a
//     client id of its own, registered on first use after each start), one
//     at a time.
//
// The client table is bounded (Config.Replica.ClientsMax, DefaultClients):
// a login that finds it full evicts the entry whose latest reply is oldest,
// and the state machine ends that session in the metadata too (vsr.Evicter),
// on every replica at the same op, so the two always hold the same
// sessions. A proposer whose session was evicted registers again.
//
// The front ends (internal/service) authorize and build an operation on the
// committed state, then Propose it; a replica that is not the primary
// answers ErrNotPrimary and clients look for the leader (wire.md §2.7).
// A proposal whose commit is not seen in time, or whose primary loses its
// view meanwhile, returns ErrUnknown: it may still commit.
//
// A backup forwards logins and logouts to the primary (ForwardRegister and
// ForwardLogout, commands 26..29); the password was checked on the backup
// against its replicated copy of the users.
//
// # Effects
//
// Partition files are created, dropped and purged by apply, on every
// replica (Storage.Apply), not by the proposing handler. After a restart,
// the ops this replica knows committed are applied again by vsr.Restart
// inside Start. Only the ops above the storage's record of the latest op
// whose effects it carried out (EffectsLog, partset.DoneFile) carry out
// their effects, replayed or live: the commit point a restart replays to
// may cover ops this replica never applied, or whose effects a crash cut
// short, and it may be lower than that record too (an op applied again
// must not drop or purge a partition created after it). The server opens
// the partitions of the replayed state and then calls Opened; live
// effects wait for it.
// Effects are idempotent (an existing partition is opened, not wiped; a
// purge remembers its op), so an op whose effects run again does no harm.
//
// # Checkpoints
//
// The group checkpoints every Config.Replica.CheckpointInterval ops
// (DefaultCheckpointInterval): Machine.Snapshot is the committed
// metadata.State (metadata.State.AppendSnapshot, sessions included), and
// the VSR client table travels with it. A restart restores the latest
// checkpoint (Machine.Restore) and replays only the ops above it, so its
// time and the journal's size do not grow with the group's history.
//
// A replica that lagged below its peers' checkpoints installs one by
// state transfer (internal/vsr). The ops the checkpoint covers are not
// applied on it; Machine.Restore carries out instead the partition effects
// that take storage from the old state to the installed one
// (metadata.TransitionEffects: partitions dropped and created meanwhile).
// Known gap: a purge covered by the checkpoint leaves no trace in the
// state, so that node keeps the purged messages.
//
// Goroutines: the Node's (Apply and reply delivery run on it), and one per
// forwarded operation on the primary (bounded). Imports: internal/consensus,
// internal/metadata, internal/vsr, internal/vfs, internal/wire.
package metagroup
