package server

import (
	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// maxScratch bounds the poll buffer a shard keeps between polls.
const maxScratch = 4 << 20

// partitionOp serves SendMessages, StoreConsumerOffset and
// DeleteConsumerOffset on the partition's owning shard. They bypass the
// client table (at-least-once, wire.md §2.4).
func (srv *Server) partitionOp(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	switch h.Operation {
	case wire.OpStoreConsumerOffset, wire.OpDeleteConsumerOffset:
		kind := wire.OffsetStore
		if h.Operation == wire.OpDeleteConsumerOffset {
			kind = wire.OffsetDelete
		}
		var req wire.ConsumerOffsetRequest
		if st := req.Decode(kind, body); st != wire.StatusOK {
			srv.reply(s, c, h, st, nil)
			return
		}
		r, st := srv.svc.RouteOffset(c.caller(), &req)
		if st != wire.StatusOK {
			srv.reply(s, c, h, st, nil)
			return
		}
		work := partStoreOffset
		if kind == wire.OffsetDelete {
			work = partDeleteOffset
		}
		w := newPartWork(srv, work, c, h, r)
		w.offset, w.ack = req.Offset, partition.AckLevel(req.Ack)
		srv.dispatch(s, c, w)
	default:
		srv.reply(s, c, h, wire.StatusFeatureUnavailable, nil)
	}
}

// sendMessages admits a SendMessages body (every checksum verified, a bad
// one answered with its status: S11), picks the partition, and appends on
// its owner. With enforce_fsync the reply waits for the sync (S12). The
// batch is appended from the request frame itself: when it returns true it
// has kept f and releases it once the owner is done.
func (srv *Server) sendMessages(s *shard.Shard, c *session, h *wire.RequestHeader, f *wire.Frame) bool {
	// Admission verifies every checksum in one pass over the frames and
	// keeps the messages' checksums, from which the owner recomputes the
	// batch checksum after stamping it (no second walk).
	st0 := srv.shards[s.ID()]
	sm := wire.SendMessages{Sums: st0.sums[:0]}
	err := sm.Decode(f.Body())
	st0.sums = sm.Sums[:0]
	if err != nil {
		srv.reply(s, c, h, wire.StatusOf(err), nil)
		return false
	}
	r, st := srv.svc.RouteSend(c.caller(), sm.Stream, sm.Topic, sm.Partitioning, func(t metadata.TopicInfo) uint32 {
		rr := srv.shards[s.ID()].rr // the balanced cursor, per topic
		k := partKey{stream: t.Stream, topic: t.ID}
		n := rr[k]
		rr[k] = n + 1
		return n
	})
	if st != wire.StatusOK {
		srv.reply(s, c, h, st, nil)
		return false
	}
	w := newPartWork(srv, partSend, c, h, r)
	w.frame, w.batch = f, sm.Batch // the batch aliases f, which the work releases
	w.sums = append(w.sums, sm.Sums...)
	srv.dispatch(s, c, w)
	return true
}

// pollMessages serves PollMessages (read code 100) on the owner.
func (srv *Server) pollMessages(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	var req wire.PollMessages
	if err := req.Decode(body); err != nil {
		srv.reply(s, c, h, wire.StatusOf(err), nil)
		return
	}
	r, resync, st := srv.svc.RoutePoll(c.caller(), &req)
	switch {
	case st != wire.StatusOK:
		srv.reply(s, c, h, st, nil)
		return
	case resync:
		// Not this member's partition: the resync sentinel tells the SDK
		// to sync its assignment (wire.md §3.4).
		srv.reply(s, c, h, wire.StatusOK, (&wire.PollReply{PartitionID: wire.PollResyncPartition}).Append(nil))
		return
	}
	w := newPartWork(srv, partPoll, c, h, r)
	w.poll = partition.PollRequest{Strategy: req.Strategy, Count: req.Count, Consumer: r.Consumer, AutoCommit: req.AutoCommit}
	srv.dispatch(s, c, w)
}

// getConsumerOffset serves GetConsumerOffset (read code 120): the stored
// offset, or an empty body when there is none or the stream or topic is
// unknown; an unknown partition of a known topic is 3007 (wire.md §3.12-8).
func (srv *Server) getConsumerOffset(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	var req wire.ConsumerOffsetRequest
	if st := req.Decode(wire.OffsetGet, body); st != wire.StatusOK {
		srv.reply(s, c, h, st, nil)
		return
	}
	r, st := srv.svc.RouteOffset(c.caller(), &req)
	switch st {
	case wire.StatusOK:
	case wire.StatusUnauthorized, wire.StatusPartitionNotFound:
		srv.reply(s, c, h, st, nil)
		return
	default: // no such stream, topic or group: no offset (wire.md §3.12-8)
		srv.reply(s, c, h, wire.StatusOK, nil)
		return
	}
	srv.dispatch(s, c, newPartWork(srv, partGetOffset, c, h, r))
}

// deleteSegments serves DeleteSegments (a metadata-class request, so its
// reply is recorded in the client table): on the partition's owner it
// removes up to the requested number of the oldest sealed segments
// (partition.DeleteSegments: never the active one, never past the lowest
// consumer offset). Nothing to remove is success, as in Iggy.
func (srv *Server) deleteSegments(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	var req wire.DeleteSegments
	st := req.Decode(body)
	var r service.Route
	if st == wire.StatusOK {
		r, st = srv.svc.RoutePartition(c.caller(), auth.NeedManageTopic, req.Stream, req.Topic, req.Partition)
	}
	if st != wire.StatusOK {
		srv.answerRecorded(s, c, h, st, nil)
		return
	}
	w := newPartWork(srv, partDeleteSegments, c, h, r)
	w.count = req.Count
	srv.dispatch(s, c, w)
}
