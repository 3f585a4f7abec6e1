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
// Streams are accepted in order, so when the goodbye arrives every request
// stream before it has been accepted; once each of them has been read in
// full (by its reader, whether or not ReadFrame has taken the frame yet)
// the server finishes the goodbye stream, which lets the client's Close
// send CONNECTION_CLOSE without losing a request (bounded by closeTimeout).
// ReadFrame returns every request, then io.EOF. This is how "shutdown
// drains" works without an acknowledgement API in quic-go. (Acknowledging
// only when ReadFrame reached the goodbye held the client's Close for
// closeTimeout whenever the server was not reading, e.g. under the bus's
// backpressure.)
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
// opened or accepted, which reads its whole frame at once. A stream left
// unread keeps its data in quic-go, counted against the connection's
// flow-control window; once the streams behind the oldest one have filled
// that window, the client cannot finish the oldest, the one the server
// must deliver next, and both ends stall. (That happened while the server
// accepted streams only as fast as ReadFrame took frames: pipelining about
// 4,500 requests of 1 KiB hung the connection for good;
// TestUnboundedPipelining covers it.) A server Conn owns an accept
// goroutine, started with it, that starts one reader per request stream
// (the frame cap applies from each frame's header, so a cap the bus sets
// at install applies to every stream); ReadFrame returns the frames in
// stream order, and the goodbye's reader acknowledges it. A client Conn
// starts one reader per request in flight. Close closes the connection,
// which ends every reader, and waits for all of them. quic-go's own
// goroutines belong to the quic.Transport: a Listener closes its transport
// once it is closed and every Conn it accepted is closed; a dialed Conn
// closes its own.
//
// # Limits
//
// A request stream holds one of MaxStreams (4096) slots until its reply is
// sent, so a connection carries at most that many unanswered requests, and
// a client that reaches the limit waits in SendBatch. Read limits
// (transport.Limiter) apply per stream as it is accepted: the frame limit
// from its header, and FrameTimeout as a read deadline on the stream from
// its arrival, covering its frame and the FIN after it. Because no stream may
// be left unread, a connection's memory is bounded by those slots times
// the frame limit rather than by a byte budget (a reader paused for a byte
// budget brings the stall back). The bus answers every request (S11); a
// backstop that resets streams whose reply never comes is future work.
//
// # Cost
//
// One stream per request (the protocol) is what makes QUIC dear here, not
// windows or timers: per request, quic-go spends about as much on the
// stream (opening, accepting and finishing it, waking its reader, whose
// goroutine grows its stack) as on a 4 KiB reply's bytes. On loopback,
// BenchmarkRawStreamPerRequest (quic-go alone, a stream per request with
// a 4 KiB reply) is up to twice as slow as BenchmarkRawOneStream (the same
// bytes on one stream), and BenchmarkPipelinedReplies (this package,
// ordered and paced like the bus, thousands of streams open) up to twice
// as slow again. Nothing here waits on a timer: a client that
// pipelines 5,000 requests keeps the process busy, and its wall time is
// its CPU time, several times TCP's (ten times more under -race, which
// makes every goroutine, allocation and synchronisation dearer).
//
// It imports the standard library, github.com/quic-go/quic-go,
// internal/wire and internal/transport.
package quicconn
