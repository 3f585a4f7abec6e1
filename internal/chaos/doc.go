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
// At the start a client creates the message stream and its topic with
// two partitions (recorded as metadata operations), retrying until the
// cluster has a leader that answers. Then, per node, one client runs
// metadata operations and one runs messages, each through the client
// package with every node's address (so it follows the leader and fails
// over as users' clients do). Metadata: create stream (a fresh name each
// time), delete stream, create topic, rename stream (to a fresh name),
// create user (a fresh name), get stream and list streams. Messages
// (msgClient): send a batch of 1-5 messages with unique payloads to an
// explicit partition, poll a partition from an offset (mostly near the
// newest known one), store a consumer's offset (one known to exist: the
// server refuses one past the partition's end) and read it. Each is
// recorded with its invocation and return and its outcome: Ok with the
// reply (a refusal such as "exists" or "not found" included), Failed when
// nothing was sent or a data-plane write was refused with 58
// TransientNotAccepted (the wire contract: not stored), or Unknown when
// the connection broke, the call timed out, or a metadata write's 58
// window ran out (it may still commit). Meanwhile a clusterNemesis heals
// and then applies one fault every FaultEvery: network faults on the
// replica links (partition, one-way partition, isolate, drop, blackhole,
// delay) and process faults found through GetClusterMetadata (kill -9 of
// the leader, kill -9 of a backup, SIGSTOP of the leader), each undone at
// the next change (a killed node restarts from its data directory, a
// stopped one gets SIGCONT). A node that exits on its own fails the run,
// as does a reply that breaks the wire contract (ErrBadReply: a poll's
// messages not at the offsets asked for).
//
// After the workload everything heals, a fresh client reads every stream
// name the history mentions and every message partition from offset 0
// (through the leader), and the checks run over the whole history:
//
//   - CheckMetadata with SplitLists; CheckLog per partition and
//     CheckOffsets per (consumer, partition), both with AtLeastOnce: an
//     Unknown send may have been stored more than once, each time as a
//     whole batch (Iggy's data plane is at-least-once);
//   - no acknowledged message lost, misplaced, reordered or torn
//     (CheckNoLostAcksWith): each acknowledged send's payloads are in the
//     final read at the offsets its reply gave; a duplicate is allowed
//     only for an Unknown send (the client package replays a request only
//     after a 58, which means not stored, so its replays cannot add one);
//   - every node, read on its own (localViewOf: the leader it names over
//     the wire protocol, its metadata over its HTTP API, since the wire
//     protocol's metadata reads are served only by a confirmed leader and
//     the client package would follow the leader), converges on the same streams,
//     topics, users and leader, and no acknowledged metadata change is
//     lost (checkFinal: an acknowledged stream that nothing may have
//     deleted is on every node, as is every acknowledged user; nothing
//     that an acknowledged delete removed, or that no operation could
//     have made, is);
//   - every node's partition files agree (checkReplicas): the nodes are
//     stopped and each node's copy of each message partition is read with
//     internal/partition; the copies hold the same messages (offset, id,
//     base timestamp, payload) up to the shortest copy's end, and the
//     leader's is the longest (a backup may lag, never lead).
//
// A failed run keeps
// its directory with the nodes' logs, data, history.txt and faults.txt.
//
// MeasureFailover kills -9 the leader repeatedly under a back-to-back
// writer (stream creates, or sends of 100 messages of 1 KiB) and measures
// the time from the last acknowledged write before each kill to the first
// one after it.
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
// Imports: the standard library, client, internal/wire (the probe, and
// decoding partition records), internal/partition and internal/vfs
// (reading the stopped nodes' partition files), internal/chaos/proxy and
// internal/chaos/history.
package chaos
