// Package chaos runs Shoal's chaos tests (issue #14, point 4): clients
// record a history of produce, poll, offset and metadata operations while a
// nemesis injects network faults through a proxy.Mesh, then the history is
// checked with package history (linearizability, no lost acknowledged
// message). Every random choice (workload, targets, faults, delay jitter)
// derives from Config.Seed, and Config.Repro prints the command line that
// repeats a run; socket timing is real, so a seed reproduces the schedule of
// operations and faults, not every interleaving.
//
// Today Run is a self-test of the tools: the nodes are frontends of one
// in-process log service (a line protocol over loopback TCP, backed by a
// single mutex-guarded store, so a correct run is linearizable by
// construction) and Bug plants known defects the checkers must catch. The
// cluster run will replace the service with three `shoal-server`
// processes replicating through VSR over the proxy mesh (one proxy per
// directed replica link), drive them with the Go client, add kill -9 and
// SIGSTOP/SIGCONT to the nemesis, and keep the same history, checks,
// seed and reproducer.
//
// Goroutines: Run starts, per node, an accept loop and one goroutine per
// connection; one goroutine per client and one that closes a channel when
// they are all done; and the proxies' goroutines. It waits for all of them
// before it returns. The nemesis runs on Run's goroutine.
//
// Imports: the standard library, internal/chaos/proxy and
// internal/chaos/history.
package chaos
