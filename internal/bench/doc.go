// Package bench is the load generator behind cmd/shoal-bench: workloads
// shaped like iggy-bench's (echo, pinned-producer, pinned-consumer,
// pinned-producer-and-consumer, balanced-consumer-group) run against an
// in-process Shoal server on loopback, or an external one, over TCP, TLS,
// WebSocket, WSS or QUIC.
//
// Each role of a workload (echo, send, poll) records the latency of every
// request in a log-bucketed histogram (Histogram) and samples its message
// counter on a ticker, so a Result carries percentiles, throughput and
// throughput over time. With Config.Compare the same shapes run against a
// nats-server started on a loopback port (core request/reply and pub/sub,
// JetStream file storage) and against a raw framed TCP echo, the floor of
// what any server can do on this machine; Summary prints them as ratios to
// Shoal and WriteHTML draws a self-contained report.
//
// With Config.Cluster the Shoal target is a three-node cluster of
// shoal-server processes (shoalCluster) and the NATS comparison is a
// three-node JetStream cluster with an R3 stream, run with the default
// sync interval and with sync_interval: always (natsCluster); every
// process is stopped and its temp dir removed at the end of its run, and
// ratios divide by nats-r3 of the same round.
//
// Figures from a 2-core machine shared by client and server are noisy;
// compare targets only within one run.
package bench
