// Package history records the operations clients run against a Shoal
// cluster under faults and checks the record (issue #14, point 4).
//
// A Recorder stamps each operation's invocation and return with a Clock
// (logical by default, or monotonic), together with its client, Kind,
// arguments and outcome: Ok, Failed (it certainly did not take effect) or
// Unknown (a timeout or lost reply: it may or may not have taken effect, at
// any time after its invocation). Operations still open when the history is
// read are Unknown.
//
// Checkers:
//
//   - CheckLog: linearizability of produce (append a batch, returns its base
//     offset) and poll (read a range by offset) against a partition log.
//   - CheckOffsets: linearizability of consumer offset store/get per
//     (consumer, partition).
//   - CheckMetadata: linearizability of stream create/delete/rename/get,
//     topic create/delete, user create and stream listing against a name
//     map, split into groups of related names (a rename joins two); with
//     Options.SplitLists a list is checked in every group, projected onto
//     its names, which scales to thousands of streams but no longer checks
//     that a list is one snapshot.
//   - CheckNoLostAcks: every acknowledged message is read back exactly once,
//     at its acknowledged offset and in order; a failed produce's messages
//     never appear; an unknown one's appear at most once.
//
// Options.AtLeastOnce reads a history as at-least-once delivery (Iggy's
// data plane, the cluster run): an Unknown produce may have taken effect
// several times, each as a whole batch; CheckLog checks one copy at each
// base offset it was read at, and CheckNoLostAcksWith allows its
// duplicates (and checks each copy for tears). Options.ReplayDups also
// allows them for Ok produces, with one copy at the acknowledged offset:
// a tolerance for servers that answer 58 for a request that still commits.
//
// The three linearizability checks use porcupine; each model's Partition
// splits the history by key (partition, consumer and partition, stream) so
// the keys are checked independently and in parallel. Unknown operations
// are given an infinite return time, the standard encoding of "may take
// effect at any later point or never" — except that the log and offsets
// checks first resolve Unknown writes from what reads showed (see CheckLog):
// left open, a few hundred of them make the search explode. A Verdict can
// write porcupine's HTML visualization to a file the caller names.
//
// Message payloads identify messages: a history's produced payloads must be
// unique (the workload generates them so), or CheckNoLostAcks cannot tell a
// duplicate from a second message.
//
// Goroutines: the Recorder starts none. A check runs porcupine, which starts
// one goroutine per key and returns only after all of them have finished
// (the verbose mode is always used, also to keep the visualization data).
//
// Imports: the standard library and github.com/anishathalye/porcupine.
package history
