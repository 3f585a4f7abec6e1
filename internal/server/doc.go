// Package server is Shoal's composition root. It starts the metadata
// consensus group (internal/metagroup: a group of one on a standalone node,
// one replica of a cluster with the replica plane otherwise) and opens the
// partitions (on an injected file system and clock), runs the shards, the
// metadata service (internal/service) and the HTTP listener
// (Iggy's REST API, internal/httpapi, with /metrics and /health, and the
// web UI of internal/webui at /ui/ when [http] web_ui is on), binds the
// client listeners on shard 0, and shuts
// everything down in the S9 order: New, Start or Serve, Shutdown or Close,
// with net/http's contract (Serve returns ErrServerClosed).
//
// It is also the binary protocol's front end: each connection's session
// (protocol version, login through Register, request numbering, the reply
// cache) lives on the shard that owns the connection and is touched only
// by that shard's goroutine (S5). dispatch.go holds the one table of
// operations and read codes. Reads are answered on the connection's shard
// from the committed metadata, which is immutable and needs no lock; in a
// cluster only once the metadata group confirms them (confirm.go: a
// deposed leader must not answer from its stale state), and 58 otherwise.
// Metadata writes go to the service, whose writer proposes them to the
// metadata group; once committed (durable on a replication quorum) and
// applied, the answer comes back to the connection's shard through its
// reply lane (S12). In a cluster a backup forwards logins to the primary
// and answers writes and the data plane with 58, so clients follow the
// leader (cluster.go); GetClusterMetadata reports each node's role. In a
// cluster every partition has a consensus group of its own
// (internal/partgroup, partgroups.go): the leader proposes sends and
// consumer-offset writes to it and answers them after their commit, and
// serves reads while its replica is the group's primary; the metadata's
// apply starts a partition's group, stops it before a drop, and hands it
// purges to order with the sends. Partition requests (send, poll, offsets)
// run on the partition's owning shard: inline when that is the
// connection's own shard, otherwise as typed work on the owner's data lane,
// answered on the connection shard's reply lane (S10). While a request
// waits on another goroutine its connection is parked and later requests
// queue behind it in arrival order.
//
// The HTTP API reaches the partitions through httpNode (httpnode.go): the
// same routing and partWork, posted on the owner's data lane from the HTTP
// handler's goroutine, answered through a callback instead of a
// connection.
//
// Goroutines: the shard runtime's, the service's, the metadata group's,
// the HTTP server's
// (started in Start, stopped in Shutdown) and background work started
// through a shard's bus (the idle sweep, the segment cleaner, snapshots),
// which the bus waits for.
//
// Imports: everything below it (wire, transport/*, bus, shard, config,
// metadata, metagroup, consensus, replica, vsr, service, httpapi, webui,
// auth, admin, metrics, partition, vfs).
package server
