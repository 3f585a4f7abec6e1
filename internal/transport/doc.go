// Package transport defines the framed byte streams the bus runs on: a
// Listener that accepts raw connections without doing any protocol work, a
// Pending connection whose handshake runs later on the owning shard (S6), and
// a Conn that reads one validated frame at a time (S8) and sends a batch of
// frames in one write, atomically or with an error (S2, S3).
//
// Implementations live in sub-packages: tcp (plain TCP, writev through
// net.Buffers) and memconn (in memory, for tests). TLS, WS, WSS and QUIC plug
// in behind the same three interfaces:
//
//   - TLS: Listener.Accept returns the raw *net.TCPConn wrapped in a Pending
//     whose Handshake runs tls.Server(...).HandshakeContext on the owning
//     shard; its Conn copies each batch into one buffer before one Write.
//   - WS / WSS: Pending.Handshake performs the (TLS and) HTTP upgrade; the
//     Conn reads one binary message per frame (wire.CheckFrame) and writes one
//     message per frame with one flush per batch.
//   - QUIC: Accept returns the quic connection as a Pending; the Conn serves
//     one bidirectional stream per request.
//
// Read limits (limits.go): a Conn that implements Limiter lets its frame
// limit change while it runs and bounds a started frame by a deadline
// (ErrFrameTimeout); the wait for a frame to start is never bounded here.
// The bus uses it to cap frames until a client has logged in. FrameGuard
// is the shared implementation.
//
// Every implementation is checked by one conformance suite,
// transporttest.Run.
//
// This package starts no goroutines. It imports only the standard library
// and internal/wire.
package transport
