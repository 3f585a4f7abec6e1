// Package tlsconn is the TCP+TLS transport of the client plane and the
// replica plane. Its Listener accepts raw TCP connections and does no TLS
// work (S6); Pending.Handshake, run by the owning shard, applies the socket
// options and runs the TLS handshake under the caller's context deadline
// (the bus passes a 10 s default). TLS 1.3 is preferred and 1.2 is the
// minimum. Client is the dialing side's counterpart, for a TCP connection
// dialed on one goroutine and handshaken on another (the replica plane's,
// which also sets Config.RequireALPN and runs its own handshake over
// Conn.NetConn before the first frame).
//
// A Conn reads frames through transport.FrameReader on the TLS stream and
// writes each batch by copying it into one buffer and making one tls.Conn
// Write: Go's TLS has no vectored write, so one contiguous buffer is the
// cheapest way to keep S2 (one write per batch) and S3 (atomic or error).
// Under the tls.Conn a BatchConn gathers that Write's records (16 KiB of
// plaintext each) and hands them to the kernel in one syscall; ws uses it
// for WSS too.
//
// The package also builds server configurations from certificate and key
// files, or from a self-signed ECDSA pair it generates (SAN localhost,
// 127.0.0.1, ::1) for tests and for the `self_signed` setting.
//
// It starts no goroutines: the bus's reader and writer goroutines call
// ReadFrame and SendBatch. It imports the standard library, internal/wire,
// internal/transport and internal/transport/tcp.
package tlsconn
