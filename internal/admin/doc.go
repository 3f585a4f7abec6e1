// Package admin computes the diagnostics of the admin reads: the GetStats
// reply (process and host figures from the operating system, and the
// streams, topics, partitions, consumer groups, segments, messages and
// bytes the node holds) and the GetSnapshot ZIP archive (filesystem
// overview, process list, resource usage, configuration summary). The
// server gives it an Input (the committed metadata.State, immutable and
// read without a lock, the partitions' counters, the connected clients)
// and sends back what it returns; admin knows nothing of shards or
// sessions.
//
// It starts no goroutines. Stats and Snapshot make blocking system calls
// (/proc, statfs, a walk of the data directory), so the server runs
// Snapshot off the shard loops. It imports internal/wire,
// internal/metadata and internal/version.
package admin
