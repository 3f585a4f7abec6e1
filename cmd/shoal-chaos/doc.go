// Command shoal-chaos runs the chaos tests of issue #14 (internal/chaos).
// By default it starts a three-node cluster of real shoal-server
// processes (built with go build) whose replica links go through
// fault-injecting proxies, runs a metadata workload through the Go client
// while a nemesis partitions, delays and drops links, kills -9 and
// restarts the leader or a backup and SIGSTOPs the leader, then checks the
// history for linearizability (porcupine) and that every acknowledged
// change is on every node.
//
//	go run ./cmd/shoal-chaos                          # random seed, 30 s
//	go run ./cmd/shoal-chaos -seed=42 -duration=2m -v
//	go run ./cmd/shoal-chaos -failover=10             # min/median/max failover over 10 leader kills
//	go run ./cmd/shoal-chaos -layout=mesh -bug=lose-ack -faults=none -viz=/tmp/chaos   # the checkers' self-test
//
// It prints the seed and a one-line reproducer first, then PASS or FAIL;
// a failed cluster run keeps its directory (logs, history, faults).
// Imports internal/chaos and the standard library.
package main
