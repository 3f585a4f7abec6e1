package server

import (
	"slices"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// maxScratch bounds the poll buffer a shard keeps between polls.
const maxScratch = 4 << 20

// resolve finds the topic and the partition a request names, with the
// status of the first level that does not exist.
func (srv *Server) resolve(stream, topic wire.Identifier, part uint32) (metadata.TopicInfo, metadata.Partition, wire.Status) {
	var t metadata.TopicInfo
	st := wire.StatusOK
	s := srv.state()
	t, st = s.ResolveTopic(stream, topic)
	if st != wire.StatusOK {
		return t, metadata.Partition{}, st
	}
	if int(part) >= len(t.Partitions) {
		return t, metadata.Partition{}, wire.StatusPartitionNotFound
	}
	return t, t.Partitions[part], wire.StatusOK
}

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
		t, p, st := srv.resolve(req.Stream, req.Topic, req.Partition)
		if st == wire.StatusOK {
			st = srv.authorizeTopic(c.caller(), auth.NeedPoll, t.Stream, t.ID)
		}
		if st != wire.StatusOK {
			srv.reply(s, c, h, st, nil)
			return
		}
		key, st := srv.offsetKey(req.Consumer, req.Stream, req.Topic)
		if st != wire.StatusOK {
			srv.reply(s, c, h, st, nil)
			return
		}
		work := partStoreOffset
		if kind == wire.OffsetDelete {
			work = partDeleteOffset
		}
		w := newPartWork(srv, work, c, h, t, p)
		w.consumer, w.offset, w.ack = key, req.Offset, partition.AckLevel(req.Ack)
		srv.dispatch(s, c, w, p)
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
	var sm wire.SendMessages
	if err := sm.Decode(f.Body()); err != nil {
		srv.reply(s, c, h, wire.StatusOf(err), nil)
		return false
	}
	var t metadata.TopicInfo
	st := wire.StatusOK
	ms := srv.state()
	t, st = ms.ResolveTopic(sm.Stream, sm.Topic)
	if st == wire.StatusOK {
		st = srv.authorizeTopic(c.caller(), auth.NeedSend, t.Stream, t.ID)
	}
	if st != wire.StatusOK {
		srv.reply(s, c, h, st, nil)
		return false
	}
	n := uint32(len(t.Partitions))
	if n == 0 {
		srv.reply(s, c, h, wire.StatusPartitionNotFound, nil)
		return false
	}
	var pid uint32
	switch sm.Partitioning.Kind {
	case wire.PartitionByID:
		pid = sm.Partitioning.Partition
	case wire.PartitionBalanced:
		rr := srv.shards[s.ID()].rr
		k := partKey{stream: t.Stream, topic: t.ID}
		pid = rr[k] % n
		rr[k] = pid + 1
	case wire.PartitionByMessageID:
		// XXH32(key) % partitions, as Iggy's SDKs pick it client-side, so a
		// key lands on the same partition whichever side resolves it.
		pid = partition.XXH32(sm.Partitioning.Key) % n
	}
	if pid >= n {
		srv.reply(s, c, h, wire.StatusPartitionNotFound, nil)
		return false
	}
	w := newPartWork(srv, partSend, c, h, t, t.Partitions[pid])
	w.frame, w.batch = f, sm.Batch // the batch aliases f, which the work releases
	srv.dispatch(s, c, w, t.Partitions[pid])
	return true
}

// offsetKey resolves whose offset a request addresses: a consumer by id,
// a group by its numeric id (a group name is rewritten to its id).
func (srv *Server) offsetKey(cons wire.Consumer, stream, topic wire.Identifier) (partition.ConsumerKey, wire.Status) {
	if cons.Kind != wire.ConsumerGroup {
		return partition.ConsumerKeyOf(cons, 0), wire.StatusOK
	}
	var id uint32
	st := wire.StatusOK
	s := srv.state()
	id, st = s.ResolveGroup(stream, topic, cons.ID)
	return partition.ConsumerKeyOf(cons, id), st
}

// pollMessages serves PollMessages (read code 100) on the owner.
func (srv *Server) pollMessages(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	var req wire.PollMessages
	if err := req.Decode(body); err != nil {
		srv.reply(s, c, h, wire.StatusOf(err), nil)
		return
	}
	part := uint32(0)
	if req.HasPartition {
		part = req.Partition
	}
	t, p, st := srv.resolve(req.Stream, req.Topic, part)
	if st == wire.StatusOK {
		st = srv.authorizeTopic(c.caller(), auth.NeedPoll, t.Stream, t.ID)
	}
	if st != wire.StatusOK {
		srv.reply(s, c, h, st, nil)
		return
	}
	key, st := srv.offsetKey(req.Consumer, req.Stream, req.Topic)
	if st != wire.StatusOK {
		srv.reply(s, c, h, st, nil)
		return
	}
	if req.Consumer.Kind == wire.ConsumerGroup {
		var owned []uint32
		var ok bool
		ms := srv.state()
		_, owned, ok, _ = ms.Assignment(req.Stream, req.Topic, req.Consumer.ID, c.client)
		if !req.HasPartition || !ok || !slices.Contains(owned, part) {
			// Not this member's partition: the resync sentinel tells the
			// SDK to sync its assignment (wire.md §3.4).
			srv.reply(s, c, h, wire.StatusOK, (&wire.PollReply{PartitionID: wire.PollResyncPartition}).Append(nil))
			return
		}
	}
	w := newPartWork(srv, partPoll, c, h, t, p)
	w.poll = partition.PollRequest{Strategy: req.Strategy, Count: req.Count, Consumer: key, AutoCommit: req.AutoCommit}
	srv.dispatch(s, c, w, p)
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
	t, p, st := srv.resolve(req.Stream, req.Topic, req.Partition)
	if st == wire.StatusOK {
		if ast := srv.authorizeTopic(c.caller(), auth.NeedPoll, t.Stream, t.ID); ast != wire.StatusOK {
			srv.reply(s, c, h, ast, nil)
			return
		}
	}
	switch st {
	case wire.StatusOK:
	case wire.StatusPartitionNotFound:
		srv.reply(s, c, h, st, nil)
		return
	default:
		srv.reply(s, c, h, wire.StatusOK, nil)
		return
	}
	key, st := srv.offsetKey(req.Consumer, req.Stream, req.Topic)
	if st != wire.StatusOK {
		srv.reply(s, c, h, wire.StatusOK, nil)
		return
	}
	w := newPartWork(srv, partGetOffset, c, h, t, p)
	w.consumer = key
	srv.dispatch(s, c, w, p)
}

// deleteSegments serves DeleteSegments (a metadata-class request, so its
// reply is recorded in the client table): on the partition's owner it
// removes up to the requested number of the oldest sealed segments
// (partition.DeleteSegments: never the active one, never past the lowest
// consumer offset). Nothing to remove is success, as in Iggy.
func (srv *Server) deleteSegments(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	var req wire.DeleteSegments
	st := req.Decode(body)
	var t metadata.TopicInfo
	var p metadata.Partition
	if st == wire.StatusOK {
		t, p, st = srv.resolve(req.Stream, req.Topic, req.Partition)
	}
	if st != wire.StatusOK {
		srv.answerRecorded(s, c, h, st, nil)
		return
	}
	w := newPartWork(srv, partDeleteSegments, c, h, t, p)
	w.count = req.Count
	srv.dispatch(s, c, w, p)
}
