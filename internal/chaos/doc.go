// Package chaos runs Shoal's chaos tests (issue #14, points 3 and 4):
// clients record a history of operations while a nemesis injects faults,
// then the history is checked with package history (linearizability with
// porcupine, and what was acknowledged must survive). Every random choice
// (workload, targets, faults, delay jitter) derives from Config.Seed, and
// Config.Repro prints the command line that repeats a run; socket and
// process timing is real, so a seed reproduces the schedule of operations
// and faults, not every interleaving.
//
// # The cluster run (LayoutCluster)
//
// Run builds cmd/shoal-server once (BuildServer, unless Config.Binary names
// one) and starts Nodes (three) real shoal-server processes, each with its
// own config file written by the run (data directory, TCP port, replica
// port, [cluster.auth] secret, short consensus timeouts: see nodeConfig).
// Every replica link goes through a proxy.Mesh: the replica plane
// connects each pair once and the lower id dials the higher
// (internal/replica Config.Peers), so node i's config lists each higher
// node at the address of proxy (i, j) and the others at their real
// addresses. Clients reach the nodes directly.
//
// One client per node runs metadata operations through the client package
// with every node's address (so it follows the leader and fails over as
// users' clients do): create stream (a fresh name each time), delete
// stream, create topic, rename stream (to a fresh name), create user (a
// fresh name), get stream and list streams. Each is recorded with its
// invocation and return and its outcome: Ok with the reply (a refusal
// such as "exists" or "not found" included), or Unknown when the
// connection broke, the call timed out, or a 58 TransientNotAccepted
// window ran out (it may still commit). Meanwhile a clusterNemesis heals
// and then applies one fault every FaultEvery: network faults on the
// replica links (partition, one-way partition, isolate, drop, blackhole,
// delay) and process faults found through GetClusterMetadata (kill -9 of
// the leader, kill -9 of a backup, SIGSTOP of the leader), each undone at
// the next change (a killed node restarts from its data directory, a
// stopped one gets SIGCONT). A node that exits on its own fails the run.
//
// After the workload everything heals, a fresh client reads every stream
// name the history mentions, and the checks run: CheckMetadata with
// SplitLists over the whole history; every node, read through its own
// wire-protocol probe (the client package would follow the leader),
// converges on the same streams, topics, users and leader; and no
// acknowledged change is lost (checkFinal: an acknowledged stream that
// nothing may have deleted is on every node, as is every acknowledged
// user; nothing that an acknowledged delete removed, or that no operation
// could have made, is). A failed run keeps its directory with the nodes'
// logs, history.txt and faults.txt.
//
// MeasureFailover kills -9 the leader repeatedly under a back-to-back
// writer and measures the time from the last acknowledged write before
// each kill to the first one after it.
//
// # The self-test (LayoutMesh, LayoutDirect)
//
// The nodes are frontends of one in-process log service (a line protocol
// over loopback TCP, backed by a single mutex-guarded store, so a correct
// run is linearizable by construction) reached through the proxies, with
// produce, poll and offset operations too, and Bug plants known defects
// the checkers must catch. Process faults do not apply there.
//
// Goroutines: Run starts one goroutine per client and one that closes a
// channel when they are all done, and the proxies' goroutines; the
// self-test adds, per node, an accept loop and one goroutine per
// connection; the cluster run one per shoal-server process, waiting for
// it. Run waits for all of them (and kills every process) before it
// returns. The nemesis runs on Run's goroutine. MeasureFailover runs one
// writer goroutine and waits for it.
//
// Imports: the standard library, client, internal/wire (the probe),
// internal/chaos/proxy and internal/chaos/history.
package chaos
