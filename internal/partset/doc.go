// Package partset carries out the partition effects of committed metadata
// operations on one owner's partitions: a Set is the open partitions one
// owner holds under a data directory (a server shard, or a simulated
// replica in internal/sim), and Do runs one partition's share of an
// effect on it (create-or-open, drop, purge remembered by op). Tasks
// splits an operation's effects into those shares; Sweep removes the
// directories of streams and topics a metadata state no longer has, and
// SweepAllowed says when a restarted replica may run it. The server and
// the simulator call the same code, so the simulator checks what the
// server does.
//
// A Set is not safe for concurrent use: its owner's goroutine alone
// touches it (S5). The package starts no goroutines and imports
// internal/metadata, internal/partition and internal/vfs.
package partset
