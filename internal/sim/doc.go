// Package sim is Shoal's deterministic simulator for the VSR core
// (internal/vsr), in the spirit of TigerBeetle's VOPR: one seed in, one run
// out, and a one-line reproducer (`go run ./cmd/shoal-sim -seed=N`) when a
// checker fails.
//
// A run drives a cluster of vsr.Replicas, a simulated network (drop, delay,
// reorder, duplicate, partition, heal), simulated disks (latency; a crash
// loses or tears the in-flight write, durable state survives; a hard
// state's commit point may be stored lower than the replica's, as a shell
// that writes that hint late would), crashes and
// restarts of any replica including the primary, and clients that register
// and issue operations with retries. Most seeds checkpoint every
// 4 to 64 ops (Options.Checkpoint or -checkpoint forces an interval): the
// disk then keeps the checkpoint and only the journal above it, restarts
// begin from the checkpoint, and a replica left behind its peers'
// checkpoints by a partition or crash catches up by state transfer (in
// 700-byte chunks). Result counts both. Checkers: no two replicas
// commit different ops at the same op number and every committed op chains
// to its parent; an acknowledged op is in the canonical log and is never
// lost; after the faults stop and the network heals, every replica
// converges within a bound, with equal client tables.
//
// Two workloads (Options.Workload):
//
//   - kv: a toy key-value state machine; the client history must be
//     linearizable (porcupine). Most seeds also ask every replica for
//     linearizable reads (vsr.Replica.Read) as a server would; a read
//     served must be placed, by the op its state was applied through, no
//     earlier than any op acknowledged or read served before it was asked
//     (reads.go; BugReadWithoutQuorum, a deposed primary serving reads,
//     and BugReadIndexCommitOnly, a new primary reading below the ops
//     its view started with, are caught).
//   - meta: the server's metadata path. Each replica's state machine is a
//     metagroup.Machine over a metadata.Store, its vsr.Evicter forwarded;
//     the effects (partition create-or-open, drop, purge by op, the
//     effects record) are carried out by internal/partset, the code the
//     server's shards run, on the replica's own vfs.MemFS, which a crash
//     cuts back to what was synced. A restart boots as the server does:
//     vsr.Restart replays the committed prefix (effects only above the
//     effects record), then partset.Boot sweeps orphans when the replay
//     reached the log head and opens the state's partitions, then
//     Opened. Extra faults: a replica's disk may die after any file
//     operation of its effects (the replica crashes with the disk as it
//     was). Replicas produce messages into their partitions. Clients mix
//     stream, topic, partition, user and consumer-group operations,
//     purges, logins and logouts (sessions the bounded client table
//     evicts). Extra checkers: each replica's state digest after every
//     op and its evictions equals an oracle store's that applies the
//     committed ops in order; each acknowledged status equals the
//     oracle's; after convergence each replica's partition directories
//     match its state (none missing, no orphan), each partition opens,
//     was purged at the op of its latest purge and holds exactly the
//     messages produced since. Options.MetaBug plants a deliberate bug
//     in the simulator's shell (never in production code) for checker
//     tests.
//
// Goroutines: Run uses only the calling goroutine and virtual time. The
// porcupine linearizability check, run once at the end, starts one worker
// per key; on a failed check it returns before they all finish, and they
// exit promptly after it cancels them. Imports: internal/vsr, internal/wire,
// internal/metadata, internal/metagroup, internal/partset, internal/vfs,
// porcupine and the standard library.
package sim
