// Package proxy is a fault-injecting TCP proxy for Shoal's real-process
// cluster tests (issue #14): one Proxy forwards one directed replica link
// (A dials the proxy, the proxy dials B), and a Mesh holds one Proxy per
// directed link of an n-node cluster. Faults change at run time and apply
// per byte direction: Pass, Drop (close existing and new connections),
// Blackhole (accept and read, never forward) and Delay (a fixed plus a
// seeded random latency per chunk, order kept). A Mesh builds partitions
// (both directions of a pair of proxies) and one-way partitions (bytes from
// A to B vanish while B to A flows) from them.
//
// Targets and listen addresses must be loopback: New refuses anything else
// with ErrNotLoopback, and a dialed connection whose remote end is not
// loopback is closed at once.
//
// A TCP stream cannot have a hole, so a connection that lost bytes to a
// Blackhole is closed when its direction leaves Blackhole rather than
// resumed: the peers see what a real partition that outlived their TCP
// timeouts looks like.
//
// Determinism: the only randomness is the Delay jitter, drawn from a PCG
// stream seeded by (Config.Seed, link number, direction). How TCP cuts the
// byte stream into chunks is up to the kernel, so a run is reproducible in
// its fault schedule, not byte for byte.
//
// Goroutines: a Proxy runs one accept loop and, per connection, one serve
// goroutine that owns four pumps (a reader and a writer per direction). All
// are tracked by the Proxy's WaitGroup; Close stops and waits for every one.
//
// Locking: Proxy.mu guards the faults, the link set and each link's
// "lost bytes" marks, so the decision for a chunk read and a fault change
// are ordered; link.mu guards a link's connections. The two are never held
// together, and no I/O or Observe callback runs under either.
//
// Imports: the standard library only.
package proxy
