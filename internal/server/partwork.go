package server

import (
	"bytes"
	"sync"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// Requests for a partition run on the shard that owns it (S5). When that
// is the connection's own shard the request runs inline, with no hand-off
// before the writer; otherwise it travels to the owner as a partWork on
// its data lane and its answer comes back as a partAnswer on the
// connection shard's reply lane, and the connection stays parked in
// between, so its replies keep their order. Both are pooled: the send
// path allocates nothing of its own in the steady state.

// partKind says what a partWork does.
type partKind uint8

const (
	partSend           partKind = iota + 1 // append batch
	partPoll                               // poll
	partStoreOffset                        // store a consumer offset
	partDeleteOffset                       // delete a consumer offset
	partGetOffset                          // read a consumer offset
	partDeleteSegments                     // remove the oldest sealed segments
	partFlush                              // sync written messages to disk (HTTP's flush)
)

// partWork is one request for a partition.
type partWork struct {
	srv  *Server
	kind partKind
	conn wire.ClientID // the connection that carried the request (S10)
	req  wire.RequestHeader
	t    metadata.TopicInfo
	p    metadata.Partition
	k    partKey

	// partSend: the batch aliases frame, which the work releases; sums
	// are its messages' checksums, collected at admission.
	frame *wire.Frame
	batch []byte
	sums  []byte
	// partPoll, the offset kinds.
	poll     partition.PollRequest
	consumer partition.ConsumerKey
	offset   uint64
	ack      partition.AckLevel
	// partDeleteSegments: how many.
	count uint32
	// partFlush: fsync, not only write.
	fsync bool

	// detached, when set, receives the reply body (a copy) and status
	// instead of a connection: the work of a front end without one (the
	// HTTP API, httpnode.go). It runs on the owner and must not block.
	detached func(body []byte, st wire.Status)
}

// recorded reports whether w's reply goes into the client table (a
// metadata-class operation, wire.md §2.4): it is result-framed and kept
// for a retry.
func (w *partWork) recorded() bool { return w.kind == partDeleteSegments }

var partWorks = sync.Pool{New: func() any { return new(partWork) }}

func newPartWork(srv *Server, kind partKind, c *session, req *wire.RequestHeader, r service.Route) *partWork {
	w := srv.takeWork(kind, r)
	w.conn, w.req = c.id, *req
	return w
}

// takeWork is a pooled partWork for route r, without a connection.
func (srv *Server) takeWork(kind partKind, r service.Route) *partWork {
	w := partWorks.Get().(*partWork)
	t, p := r.Topic, r.Partition
	sums := w.sums[:0] // kept across uses
	*w = partWork{srv: srv, kind: kind, t: t, p: p, k: partKey{t.Stream, t.ID, p.ID}, consumer: r.Consumer}
	w.sums = sums
	return w
}

// maxKeptSums bounds the checksum buffer a pooled partWork keeps: 8 bytes
// a message, so 8,192 messages.
const maxKeptSums = 64 << 10

func (w *partWork) free() {
	if w.frame != nil {
		w.frame.Release()
	}
	sums := w.sums[:0]
	if cap(sums) > maxKeptSums {
		sums = nil
	}
	*w = partWork{}
	w.sums = sums
	partWorks.Put(w)
}

// dispatch runs w on its partition's owner: inline when s owns it,
// otherwise through the owner's data lane with c parked. When the owner's
// lane is full the request is answered TransientNotAccepted at once (S11:
// answered, not dropped), which clients replay.
func (srv *Server) dispatch(s *shard.Shard, c *session, w *partWork) {
	if !srv.servesData() {
		// Only the leader serves the data plane: clients that reach a
		// backup look for the leader (58, wire.md §2.6).
		srv.reply(s, c, &w.req, wire.StatusTransientNotAccepted, nil)
		w.free()
		return
	}
	if srv.replicate(s, c, w) {
		return
	}
	owner := srv.owner(w.p)
	if owner == s {
		f, status := w.run(s)
		srv.answer(s, c, &w.req, w.recorded(), f, status)
		w.free()
		return
	}
	c.parked = true
	if err := owner.PostData(w); err != nil {
		c.parked = false
		srv.log.Warn("partition owner busy", "stream", w.k.stream, "topic", w.k.topic, "partition", w.k.partition, "err", err)
		srv.reply(s, c, &w.req, wire.StatusTransientNotAccepted, nil)
		w.free()
	}
}

// Run is w on the owner's data lane: it runs the request and hands the
// reply frame to the connection's shard.
func (w *partWork) Run(s *shard.Shard) {
	if w.detached != nil {
		body, status := w.exec(s)
		w.srv.metrics.Status(status)
		answer := w.detached
		body = bytes.Clone(body) // it may live in the owner's scratch buffer
		w.free()
		answer(body, status)
		return
	}
	f, status := w.run(s)
	a := partAnswers.Get().(*partAnswer)
	*a = partAnswer{srv: w.srv, conn: w.conn, req: w.req, recorded: w.recorded(), frame: f, status: status}
	srv, conn := w.srv, w.conn
	w.free()
	if err := srv.rt.Shard(int(conn.Shard())).PostReply(a); err != nil {
		a.frame.Release()
		a.free()
		srv.undeliverable(conn, err)
	}
}

// run serves w on the owner s and builds the reply frame there, so a poll
// body may live in the owner's scratch buffer (reused by its next
// request).
func (w *partWork) run(s *shard.Shard) (*wire.Frame, wire.Status) {
	body, status := w.exec(s)
	if w.recorded() {
		return recordedFrame(&w.req, status, body, w.srv.commitOp()), status
	}
	return replyFrame(&w.req, status, body, wire.Op(w.req.Session), w.srv.commitOp()), status
}

// exec does w on its open partition on the owner s and returns the reply
// body, which may live in s's scratch buffer until s's next request.
func (w *partWork) exec(s *shard.Shard) ([]byte, wire.Status) {
	srv, k := w.srv, w.k
	st := srv.shards[s.ID()]
	part, err := srv.partition(st, k, w.t)
	if err != nil {
		srv.log.Error("partition unavailable", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
		return nil, wire.StatusCannotReadPartitions
	}
	body, status := w.apply(part, &st.scratch)
	srv.publish(k, part)
	return body, status
}

// apply does w's operation on its open partition.
func (w *partWork) apply(part *partition.Partition, scratch *[]byte) ([]byte, wire.Status) {
	switch w.kind {
	case partSend:
		res, err := part.AppendSummed(w.batch, w.sums, uint64(w.srv.now().UnixMicro()))
		if err != nil {
			w.srv.log.Error("append failed", "stream", w.k.stream, "topic", w.k.topic, "partition", w.k.partition, "err", err)
			return nil, partition.StatusOf(err)
		}
		if w.t.Options.EnforceFsync && !res.Durable {
			return nil, wire.StatusCannotSaveMessagesToSegment
		}
		// The reply frame copies the body out of the scratch buffer.
		*scratch = wire.AppendSendConfirmations((*scratch)[:0], wire.SendConfirmation{Stream: w.t.Stream, Topic: w.t.ID,
			Partition: w.k.partition, BaseOffset: res.BaseOffset})
		return *scratch, wire.StatusOK
	case partPoll:
		// In a cluster an auto-commit goes through the partition's group
		// (autoCommit), not into this replica's partition alone.
		commit := w.poll.AutoCommit && w.srv.opts.Cluster.Enabled
		if commit {
			w.poll.AutoCommit = false
		}
		if w.srv.opts.Cluster.Enabled && w.poll.Strategy.Kind == wire.PollNext {
			// A store still in the group (an auto-commit of the previous
			// poll) is where Next continues; no other strategy reads the
			// stored offset.
			if g := w.srv.partGroup(w.k); g != nil {
				w.poll.Pending, w.poll.HasPending = g.PendingOffset(w.poll.Consumer)
			}
		}
		out, res, err := part.Poll((*scratch)[:0], w.poll)
		if err == nil && commit && res.Messages > 0 {
			w.srv.autoCommit(w.k, w.poll.Consumer, res.First+uint64(res.Messages)-1)
		}
		// Keep the grown buffer for the next poll on this shard, unless an
		// unusually large poll grew it past what is worth holding.
		if *scratch = out[:0]; cap(out) > maxScratch {
			*scratch = nil
		}
		if err != nil {
			return nil, partition.StatusOf(err)
		}
		return out, wire.StatusOK
	case partStoreOffset, partDeleteOffset:
		var err error
		if w.kind == partStoreOffset {
			err = part.StoreOffset(w.consumer, w.offset, w.ack)
		} else {
			err = part.DeleteOffset(w.consumer, w.ack)
		}
		if err != nil {
			return nil, partition.StatusOf(err)
		}
		return wire.AppendResultOK(nil), wire.StatusOK
	case partGetOffset:
		return part.AppendConsumerOffset(nil, w.consumer), wire.StatusOK
	case partFlush:
		// Appends are written through at once; only an fsync is left to do.
		if w.fsync {
			if err := part.Sync(); err != nil {
				return nil, partition.StatusOf(err)
			}
		}
		return nil, wire.StatusOK
	case partDeleteSegments:
		// Never the active segment, never past the lowest stored consumer
		// offset; nothing to remove is success, as in Iggy.
		n, err := part.DeleteSegments(w.count)
		if err != nil {
			w.srv.log.Error("delete segments", "stream", w.k.stream, "topic", w.k.topic, "partition", w.k.partition, "err", err)
			return nil, wire.StatusError
		}
		if n > 0 {
			w.srv.metrics.SegmentsDeleted.Add(float64(n))
			w.srv.log.Info("deleted segments", "stream", w.k.stream, "topic", w.k.topic, "partition", w.k.partition, "segments", n)
		}
		return nil, wire.StatusOK
	}
	panic("server: unknown partition work")
}

// partAnswer is a partWork's reply on its way to the connection's shard.
type partAnswer struct {
	srv      *Server
	conn     wire.ClientID
	req      wire.RequestHeader
	recorded bool
	frame    *wire.Frame
	status   wire.Status
}

var partAnswers = sync.Pool{New: func() any { return new(partAnswer) }}

func (a *partAnswer) free() {
	*a = partAnswer{}
	partAnswers.Put(a)
}

// Run sends the reply on the connection that carried the request (S10)
// and lets the connection's next requests run.
func (a *partAnswer) Run(s *shard.Shard) {
	srv := a.srv
	c := srv.shards[s.ID()].conns[a.conn]
	if c == nil {
		a.frame.Release() // the connection closed meanwhile
		a.free()
		return
	}
	srv.answer(s, c, &a.req, a.recorded, a.frame, a.status)
	a.free()
	srv.unpark(s, c)
}

// answer sends a partition request's reply frame f on c, recording it in
// the client table first when the operation's replies are recorded.
func (srv *Server) answer(s *shard.Shard, c *session, req *wire.RequestHeader, recorded bool, f *wire.Frame, status wire.Status) {
	srv.metrics.Status(status)
	if recorded {
		srv.remember(c, req, f)
	}
	srv.send(s, c, f)
}
