// Command shoal-sim runs the deterministic VSR simulator (internal/sim).
//
//	go run ./cmd/shoal-sim -seed=42                          # one seed
//	go run ./cmd/shoal-sim -seeds=10000                      # seeds 1..10000, report seeds/min
//	go run ./cmd/shoal-sim -workload=meta -seeds=50000 -first=50001
//
// -workload=kv (the default) runs a toy key-value machine; -workload=meta
// runs the server's metadata path (metagroup.Machine, partition effects on
// each replica's in-memory disk) against an oracle. A failing seed prints
// one line that reproduces it. The command runs on one goroutine and
// imports internal/sim and internal/vsr.
package main
