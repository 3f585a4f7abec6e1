// Command shoal-chaos runs the chaos test of issue #14 (internal/chaos):
// clients record a history of produce, poll, offset and metadata operations
// while a nemesis injects network faults through one fault-injecting TCP
// proxy per directed link, then the history is checked for linearizability
// (porcupine) and for lost acknowledged messages.
//
//	go run ./cmd/shoal-chaos                       # random seed, 10s, 3 nodes
//	go run ./cmd/shoal-chaos -seed=42 -duration=1m -v
//	go run ./cmd/shoal-chaos -bug=lose-ack -faults=none -viz=/tmp/chaos
//
// It prints the seed and a one-line reproducer first, then PASS or FAIL.
// Today the nodes are an in-process self-test service; the cluster run
// will start three shoal-server processes replicating through VSR behind
// the same proxies and add kill -9 and SIGSTOP/SIGCONT to the faults (see
// internal/chaos). Imports internal/chaos and the standard library.
package main
