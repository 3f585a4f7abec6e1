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
//   - GetConsumerOffset and polls wait for their partition's group (polls
//     only while confirmPolls is set, as it is: see its doc for the cost).
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
// offset reads are. It is on: without it a poll is served from the
// partition as this node applied it, and the chaos run (seed 20261206)
// caught two polls that missed a message acknowledged before they began,
// served by a new leader whose group had not yet committed the ops its
// view started with (a deposed leader can serve such polls too). The
// cost, measured with shoal-bench -workload pinned-consumer (batches of
// 100 × 1000 B, 10 s) against scripts/cluster.sh's three nodes, all on
// one 2-core machine with a load average of 5 to 10 from other work: with
// 2 consumers, 244k-279k msgs/s and p50 381-414 µs unconfirmed, 147k-188k
// msgs/s and p50 745-844 µs confirmed; with 8 consumers, 273k against
// 185k msgs/s. A consumer keeps one poll in flight, so each poll waits
// for a replica round trip (shared by the polls that wait together), and
// the round's frames take CPU from the same two cores.
var confirmPolls = true

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
