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
// and issue key-value operations with retries. Most seeds checkpoint every
// 4 to 64 ops (Options.Checkpoint or -checkpoint forces an interval): the
// disk then keeps the checkpoint and only the journal above it, restarts
// begin from the checkpoint, and a replica left behind its peers'
// checkpoints by a partition or crash catches up by state transfer (in
// 700-byte chunks). Result counts both. Checkers: no two replicas
// commit different ops at the same op number and every committed op chains
// to its parent; an acknowledged op is in the canonical log and is never
// lost; the client history is linearizable (porcupine); after the faults
// stop and the network heals, every replica converges within a bound.
//
// Goroutines: Run uses only the calling goroutine and virtual time. The
// porcupine linearizability check, run once at the end, starts one worker
// per key; on a failed check it returns before they all finish, and they
// exit promptly after it cancels them. Imports: internal/vsr, internal/wire, porcupine and
// the standard library.
package sim
