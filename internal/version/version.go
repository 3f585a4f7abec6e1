// Package version holds the Shoal server's version, which GetStats, the
// /health endpoint and the binaries report. It starts no goroutines and
// imports nothing.
package version

// Current is the server version.
const Current = "0.1.0"

// Semver is Current packed as Iggy packs a server semver in GetStats:
// major×1,000,000 + minor×1,000 + patch.
const Semver = 0*1_000_000 + 1*1_000 + 0
