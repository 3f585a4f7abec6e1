// Package ws is the WebSocket (ws://) and WebSocket-over-TLS (wss://) client
// transport.
//
// Shard 0's Listener accepts raw TCP and does nothing else (S6). The owning
// shard's Pending.Handshake runs, under the caller's context deadline (the
// bus passes a 10 s default), first the TLS handshake for WSS and then the
// HTTP/1.1 upgrade (github.com/gobwas/ws, which upgrades a raw net.Conn).
// The upgrade requires the subprotocol iggy.consensus.v1: a request without
// it, or with another value, gets HTTP 400 whose body names
// iggy.consensus.v1; the accepted value is echoed in the 101 response.
//
// After the upgrade a Conn is a pair of independent halves, as TCP is:
//
//   - ReadFrame parses RFC 6455 frames itself. One binary message carries
//     exactly one wire frame (wire.CheckFrame). The length in the WS frame
//     header is checked against the frame limit before any payload byte is
//     read (S8). A fragmented message is reassembled (RFC 6455 §5.4): its
//     fragments' lengths are checked against the limit as each header
//     arrives, the wire header as soon as its 256 bytes have, the frame
//     grows with the bytes that arrive, control frames between fragments
//     are handled as anywhere else, and the fragments must add up to
//     exactly one frame. A text message closes the connection with 1003, a
//     malformed message (or a data message inside a fragmented one) with
//     1002, an oversized one with 1009. Pings are answered with pongs; a
//     close frame is echoed and ends the stream with io.EOF (inside a
//     fragmented message, io.ErrUnexpectedEOF).
//   - Read limits (transport.Limiter): the frame limit can be lowered and
//     raised while the Conn runs, and once a message's first byte has
//     arrived the rest of it, interleaved control frames included, must
//     arrive within the frame deadline (transport.ErrFrameTimeout). On WSS
//     any byte reaching the socket starts the deadline, even one inside a
//     TLS record.
//   - SendBatch writes the whole batch at once, so each batch is one flush
//     and one syscall (S2), whole or an error (S3): on a ws:// server the
//     frame headers go into one small buffer and a single writev sends them
//     with the payloads uncopied (net.Buffers, as tcp does); on wss:// and
//     on the client side (which must mask) headers and payloads are
//     encoded into one buffer and written once, and for wss:// the TLS
//     records of that write are gathered into one syscall by
//     tlsconn.BatchConn.
//
// Reader and writer never wait for each other, so any number of requests can
// be in flight and every reply is written as soon as the bus's writer has
// it; this is what the seed's single dispatcher could not do (spec/bus.md
// §4). Control frames the reader must send (pong, close) are queued and
// written by whoever holds the write lock next: the reader itself when the
// lock is free, otherwise the SendBatch in progress, so the reader never
// blocks behind a slow batch.
//
// Dial is the client side (used by tests, benchmarks and the Go SDK): it
// offers the subprotocol, requires it echoed and masks every frame.
//
// The package starts no goroutines; the bus's reader and writer goroutines
// call ReadFrame and SendBatch. It imports the standard library,
// github.com/gobwas/ws, internal/wire, internal/transport,
// internal/transport/tcp and internal/transport/tlsconn.
package ws
