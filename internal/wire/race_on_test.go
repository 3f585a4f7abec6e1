//go:build race

package wire

// raceEnabled: under the race detector sync.Pool drops a share of Puts on
// purpose, so pool-dependent allocation counts are not meaningful.
const raceEnabled = true
