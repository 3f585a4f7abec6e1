// Package bus is Shoal's per-shard message bus: one Bus per shard owns that
// shard's client and replica connections. It installs established
// transport.Conns into token-fenced registries (S4), runs a reader and a
// writer goroutine per connection, and sends frames without ever blocking
// the caller (S1): a send either lands in the connection's bounded queue or
// fails at once with ErrBackpressure, ErrNotConnected or ErrShuttingDown.
//
// The writer blocks for its first frame, drains up to Config.MaxBatch more
// without blocking and hands the batch to the transport in one call, which
// is one writev on plain TCP (S2) and atomic or an error (S3). The reader
// validates every frame (S8: size and command in the transport, seals on
// the replica plane; a Request's request checksum is left to the session
// layer, which must answer a mismatch), keeps the planes apart (S7) and
// dispatches to the Hooks. Shutdown runs the S9 order and reports how many
// connections and background tasks drained cleanly.
//
// Client connections are guarded against misbehaving peers (issue #15;
// every case is listed in BAD_INPUT.md):
//
//   - Until the session layer calls Authenticated, a connection holds a
//     slot of the Gate (capped in total and per remote address; beyond the
//     caps AcceptClient refuses it), its frames are capped at
//     Config.MaxUnauthenticatedFrame, and it is closed if it is not
//     authenticated within Config.LoginTimeout. Once a frame has started,
//     the rest of it must arrive within Config.FrameTimeout (at most twice
//     it; transport read limits).
//   - Credits (credit.go): a connection may have at most
//     Config.MaxInFlight requests read and not yet answered; at the bound
//     its reader stops reading. A reply therefore always finds room in
//     the queue; a frame that finds it full anyway closes the connection
//     with a logged cause, never a silent drop (S11).
//   - A watchdog closes a connection whose writer has been blocked in one
//     write for Config.SlowConsumerTimeout (a client that does not read).
//   - Frames other than Requests are ignored, as wire.md §1.10 requires.
//   - Each close is logged once per connection with its cause and remote
//     address, at Info unless it is an ordinary end.
//
// Goroutines: every goroutine (per-connection reader and writer, background
// tasks started with Go, handshakes started by AcceptClient/AcceptReplica,
// the watchdog and the closes it schedules) is tracked by the Bus's
// WaitGroup and waited for by Shutdown (or Wait, when Shutdown had to
// force some).
//
// Locking: Bus.mu guards the registries and the task set. No hook is called
// with it held, and no I/O happens under it. Gate.mu guards a gate's counts;
// it is a leaf, never held together with Bus.mu.
//
// Cost model: a send is a map lookup under Bus.mu and a non-blocking
// channel send, with no allocation. Handing a frame to a parked writer
// readies it, and when a P is idle the Go scheduler wakes an OS thread to
// run it; on small virtual machines that wake-up is the bulk of the extra
// round-trip latency over a raw echo (BenchmarkEcho, BenchmarkEchoVsRaw).
// Under load the writer drains many frames per wake and per write.
//
// Imports: the standard library, internal/wire and internal/transport.
package bus
