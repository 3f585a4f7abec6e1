// Package server is Shoal's composition root: it binds the client
// listeners on shard 0, runs the shards, keeps each connection's session
// (protocol version, login through Register, request numbering, the reply
// cache), dispatches reads and replicated operations, serves HTTP /metrics
// and /health, and shuts everything down in the S9 order.
//
// Ownership (S5): each connection's session lives on the shard that owns
// the connection and is touched only by that shard's goroutine. Metadata
// (users, sessions' epochs) lives on shard 0 and is changed only by
// deterministic operations appended to the metadata log and fsynced before
// the reply (S12). Requests of one connection are handled one at a time in
// arrival order; a request that needs shard 0 parks its connection until
// the answer comes back to the owner, which then sends the reply on the
// connection that carried the request (S10).
//
// Goroutines: the shard runtime's, the HTTP server's (started in Start and
// stopped in Shutdown) and background work started through a shard's bus
// (password hashing, the idle sweep), which the bus waits for.
//
// Imports: everything below it (wire, transport/*, bus, shard, config,
// metadata, journal, vfs).
package server
