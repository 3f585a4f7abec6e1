// Command shoal-sim runs the deterministic VSR simulator (internal/sim).
//
//	go run ./cmd/shoal-sim -seed=42          # one seed
//	go run ./cmd/shoal-sim -seeds=10000      # seeds 1..10000, report seeds/min
//
// A failing seed prints one line that reproduces it. The command runs on
// one goroutine and imports internal/sim and internal/vsr.
package main
