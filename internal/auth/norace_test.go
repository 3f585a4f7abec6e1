//go:build !race

package auth

// floodSubmitters is the number of goroutines that share the 10,000
// Submit calls of TestPoolFloodBoundsConcurrency: one call each.
const floodSubmitters = 10_000
