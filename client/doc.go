// Package client is Shoal's Go SDK: it dials a Shoal (or Apache Iggy VSR)
// server over TCP, TLS, WebSocket, WSS or QUIC, logs in through Register,
// and sends requests and reads replies with the request numbering of
// Iggy's Go SDK (wire.md §2.4).
//
// A Client keeps one request in flight at a time, as Iggy's SDK does, so
// every reply is matched to the request just sent (its request id is
// checked). Calls are safe for concurrent use; they queue on the Client.
// Every call takes a context: if it ends before the reply, the connection
// is closed, because a late reply could no longer be matched, and the next
// call reconnects (and logs in again) when reconnection is enabled.
//
// A cluster: Dial takes several comma-separated addresses and connects to
// the first that answers. After every login the client reads the cluster
// metadata and, when it names another node as the healthy leader,
// reconnects and logs in there (wire.md §2.3). A request refused with 58
// TransientNotAccepted is replayed on its node for 2 s, then the leader is
// checked again and the request goes to the new leader under the new
// session; 57 TransientNotCommitted is replayed on its session only. A
// broken connection is replaced, on the next call, by one to the next
// address. Client.Addr says where the client is.
//
// Goroutines: a Client owns one reader goroutine per connection and, when a
// heartbeat is configured, one heartbeat goroutine; Close stops and waits
// for both. The package imports internal/wire and internal/transport only,
// and its exported API names no type of theirs: the wire types users need
// (Status, Operation, EvictionReason, ProtocolVersion, Identifier, ...) are
// re-exported by alias with their constants, and the rest are client types
// (ClusterMetadata, ClientID). api_test.go checks this (issue #13).
package client
