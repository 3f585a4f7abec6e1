// Package transporttest is the conformance suite every transport runs
// (tcp, tls, ws, wss, quic and memconn): round trip, 1000 pipelined
// frames in order, a 16 MiB frame, an oversized frame refused, a peer that
// closes mid-frame, concurrent senders whose batches stay contiguous (S3),
// close after send delivering everything (shutdown drains), and Close
// unblocking a reader; RunAccept adds the silent-peer accept case (S6). It
// also holds the echo benchmark drivers: RawEcho,
// the plain framed TCP echo every Shoal server path is compared with, and
// RoundTrip, Pipelined, CompareRoundTrip and ComparePipelined.
//
// Goroutines started by the suite are owned by the subtest that starts them
// and waited for before it returns. It imports the standard library,
// internal/wire and internal/transport.
package transporttest
