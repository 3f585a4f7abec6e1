// Package tcp is the plain-TCP transport: a Listener whose Accept does no
// protocol work, a Pending whose Handshake applies TCP_NODELAY and the
// configured keepalive (idle, interval, count) on the owning shard, and a
// Conn that reads frames through transport.FrameReader and writes each batch
// with one writev (net.Buffers, S2). For transports and protocols layered
// on TCP it offers ApplyOptions (the socket options, applied on the owner)
// and WithDeadline (a handshake bounded by the owner's context).
//
// It starts no goroutines. It imports the standard library, internal/wire
// and internal/transport.
package tcp
