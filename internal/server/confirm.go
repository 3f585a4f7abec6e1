package server

import (
	"bytes"

	"github.com/shoal-io/shoal/internal/partgroup"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// Linearizable reads in a cluster. A node that was the primary of a group
// and was cut off or paused believes it still is until it hears of the
// newer view; serving reads from its own state then answers from the
// past (the chaos run's metadata and consumer-offset histories). So in a
// cluster a read of replicated state is served only after the group's
// node confirms it (consensus.Node.Read: one quorum round, shared by
// every read waiting for it, and nothing on disk; internal/vsr "Linearizable
// reads"): the state it is then served from holds every operation
// acknowledged before the read arrived. A read that cannot be confirmed
// (a backup, a deposed primary, a view change) is answered 58
// TransientNotAccepted, and the client looks for the leader (wire.md
// §2.6).
//
//   - Metadata reads (reads[code]) wait for the metadata group, except
//     localReads: this node's own view of the cluster and its counters,
//     and static answers.
//   - GetConsumerOffset waits for its partition's group; polls too when
//     confirmPolls is set (see its doc).
//
// The connection is parked while its read waits, so its replies keep
// their order (S10); the node's callback runs on the node's goroutine and
// only hands the read back: to the connection's shard (resume) for a
// metadata read, to the partition's owner (its data lane) for a
// partition read, which answers on the connection's shard as every
// partition request does. A standalone node serves reads as before, with
// no hand-off.

// localReads are the read codes a cluster node answers from its own
// state, without confirmation.
var localReads = map[wire.Code]bool{
	wire.CodeClusterMetadata: true, // each node reports its own view of the cluster
	wire.CodeStats:           true, // this node's counters
	wire.CodeDescribeOptions: true, // static
}

// confirmPolls gates polls on a confirmation by the partition's group, as
// offset reads are. It is off: a deposed leader may serve a poll from its
// partition as it stood (messages acknowledged by a newer leader missing:
// a stale end, never wrong messages), until it learns of the newer view
// or abdicates. Measured with shoal-bench -workload pinned-consumer (2
// consumers, batches of 100 × 1000 B, 10 s) against scripts/cluster.sh's
// three nodes on one 2-core machine (load average about 10 from other
// work): unconfirmed 244k-279k msgs/s, p50 381-414 µs; confirmed 180k-188k
// msgs/s, p50 745-762 µs. A consumer keeps one poll in flight, so rounds
// are not shared and each poll pays a replica round trip: about a third
// of poll throughput, for a staleness that clients of an at-least-once
// log already tolerate.
var confirmPolls = false

// confirmedRead serves the metadata read fn once the metadata group
// confirms it, on c's shard, with c parked meanwhile; it reports whether
// it took the read (in a cluster, for a gated code).
func (srv *Server) confirmedRead(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte, fn readHandler) bool {
	if !srv.opts.Cluster.Enabled || localReads[h.Code] {
		return false
	}
	g := srv.group.Load()
	if g == nil {
		srv.reply(s, c, h, wire.StatusTransientNotAccepted, nil)
		return true
	}
	conn, req, b := c.id, *h, bytes.Clone(body) // the frame is released when the handler returns
	err := g.Node().Read(func(ok bool) {
		srv.resume(conn, func(s *shard.Shard, c *session) {
			if !ok {
				srv.reply(s, c, &req, wire.StatusTransientNotAccepted, nil)
				return
			}
			out, st := fn(srv, s, c, b)
			srv.reply(s, c, &req, st, out)
		})
	})
	if err != nil {
		srv.reply(s, c, h, wire.StatusTransientNotAccepted, nil)
		return true
	}
	c.parked = true
	return true
}

// confirmedPartRead hands the partition read w to its owner once the
// partition's group g confirms it. The caller checked that g serves.
func (srv *Server) confirmedPartRead(s *shard.Shard, c *session, g *partgroup.Group, w *partWork) {
	err := g.Node().Read(func(ok bool) {
		if !ok {
			srv.groupAnswer(nil, nil, w, partgroup.Result{Status: wire.StatusTransientNotAccepted})
			return
		}
		if err := srv.owner(w.p).PostData(w); err != nil {
			srv.log.Warn("partition owner busy", "stream", w.k.stream, "topic", w.k.topic, "partition", w.k.partition, "err", err)
			srv.groupAnswer(nil, nil, w, partgroup.Result{Status: wire.StatusTransientNotAccepted})
		}
	})
	if err != nil {
		srv.groupAnswer(s, c, w, partgroup.Result{Status: wire.StatusTransientNotAccepted})
		return
	}
	if c != nil {
		c.parked = true
	}
}
