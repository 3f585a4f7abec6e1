//go:build race

package auth

// floodSubmitters is the number of goroutines that share the 10,000
// Submit calls of TestPoolFloodBoundsConcurrency. The race detector
// allows at most 8,128 live goroutines, so under it they share the calls.
const floodSubmitters = 1_000
