// Package quicconn is the QUIC client transport (github.com/quic-go/quic-go),
// with ALPN iggy.consensus.v1, 0-RTT disabled, a 30 s idle timeout and a
// 10 s keepalive.
//
// # One bidirectional stream per request
//
// As Iggy HEAD and its SDKs do, the client opens one bidirectional stream per
// request, writes one frame and finishes its send side; the server reads the
// frame and sends the reply to that request back on the same stream, then
// finishes it. Replies are matched by request id: the server keeps the
// streams awaiting a reply in arrival order, and a Reply (u64 at header byte
// 200) goes to the oldest one whose request carried the same id (u64 at
// byte 168), so requests sharing an id are answered first come, first
// served. A reply that matches no waiting stream is stale and is discarded
// (Conn.Stale counts them), as Iggy does.
//
// Frames the server sends that are not replies (Eviction and any other
// server-initiated frame) go on the oldest stream still waiting for a reply,
// since they end that request's session; when no request is waiting, each
// goes on a new server-opened unidirectional stream, one frame per stream.
// The client's ReadFrame returns replies in the order it sent the requests
// and the unidirectional frames whenever no reply is outstanding.
//
// The client ends a session with an empty bidirectional stream (a goodbye).
// Streams are accepted in order, so when the server's reader reaches the
// goodbye it has read every request; it then reports io.EOF and finishes the
// goodbye stream, which lets the client's Close return before it sends
// CONNECTION_CLOSE (bounded by closeTimeout). This is how "shutdown drains"
// works without an acknowledgement API in quic-go.
//
// # Handshake deadline and S6
//
// quic-go runs every handshake in the connection's own goroutines and its
// Listener.Accept returns only connections whose handshake completed, so a
// slow or silent peer never blocks the accept loop. The owner's handshake
// deadline therefore maps to quic.Config.HandshakeIdleTimeout (10 s by
// default, DefaultQUICConfig), enforced inside quic-go before Accept.
// Pending.Handshake on the owning shard checks the negotiated ALPN and that
// 0-RTT was not used, and starts the Conn; it honours ctx but has nothing
// left to wait for.
//
// # Goroutines
//
// Every stream is read by a goroutine of its own from the moment it is
// opened or accepted: reading streams strictly one after another lets the
// data of later streams fill the connection's flow-control window while the
// oldest is still incomplete, and both ends stall. A server Conn owns an
// accept goroutine (starts one reader per request stream, in stream order)
// and a sequencer goroutine (hands the frames to ReadFrame in that order
// through a bounded queue and acknowledges the goodbye). A client Conn
// starts one reader per request in flight. Close closes the connection,
// which ends every reader, and waits for all of them. quic-go's own
// goroutines belong to the quic.Transport: a Listener closes its transport
// once it is closed and every Conn it accepted is closed; a dialed Conn
// closes its own.
//
// # Limits
//
// A request stream holds one of MaxStreams (4096) slots until its reply is
// sent, so a connection carries at most that many unanswered requests; the
// bus answers every request (S11), and a backstop that resets streams whose
// reply never comes is future work. With thousands of 1 KiB requests in
// flight the loopback benchmark stalled inside quic-go (undiagnosed), so
// the benchmark keeps at most 1024 in flight, as an SDK with a request
// window would.
//
// It imports the standard library, github.com/quic-go/quic-go,
// internal/wire and internal/transport.
package quicconn
