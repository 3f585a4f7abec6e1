// Package transportbench holds one benchmark file that measures every client
// transport in a single `go test -bench` run: round trip and pipelined
// frames per second with 256-byte and 1 KiB bodies, for tcp (the baseline),
// tls, ws, wss and quic. The echo server mirrors the bus: a reader goroutine
// feeds a writer goroutine that drains up to 256 frames and sends them with
// one SendBatch. The pipelining client keeps at most 1024 requests in
// flight (see internal/transport/quicconn's Limits).
//
// It has no non-test code. Goroutines belong to the benchmark that starts
// them and are waited for before it returns. It imports the standard
// library, internal/wire and the internal/transport packages.
package transportbench
