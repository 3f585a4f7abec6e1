package service

import (
	"slices"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/wire"
)

// The data plane: sends, polls, consumer offsets and segment deletion run
// on the shard that owns the partition, which only the server reaches.
// What they need decided first, against the committed state and without a
// lock, is decided here once for every front end: which topic and
// partition a request names, whether the caller may do it, and whose
// offset it addresses. A Route is that decision.

// Route is where a data-plane request runs.
type Route struct {
	Topic     metadata.TopicInfo
	Partition metadata.Partition
	Consumer  partition.ConsumerKey // polls and offsets
}

// resolve finds the topic and the partition a request names, with the
// status of the first level that does not exist.
func resolve(st *metadata.State, stream, topic wire.Identifier, part uint32) (Route, wire.Status) {
	t, code := st.ResolveTopic(stream, topic)
	if code != wire.StatusOK {
		return Route{Topic: t}, code
	}
	if int(part) >= len(t.Partitions) {
		return Route{Topic: t}, wire.StatusPartitionNotFound
	}
	return Route{Topic: t, Partition: t.Partitions[part]}, wire.StatusOK
}

// consumerKey resolves whose offset a request addresses: a consumer by id,
// a group by its numeric id (a group name is rewritten to its id).
func consumerKey(st *metadata.State, cons wire.Consumer, stream, topic wire.Identifier) (partition.ConsumerKey, wire.Status) {
	if cons.Kind != wire.ConsumerGroup {
		return partition.ConsumerKeyOf(cons, 0), wire.StatusOK
	}
	id, code := st.ResolveGroup(stream, topic, cons.ID)
	return partition.ConsumerKeyOf(cons, id), code
}

// RouteSend picks the partition of a SendMessages: by id, by message key
// (XXH32(key) % partitions, as Iggy's SDKs pick it client-side, so a key
// lands on the same partition whichever side resolves it), or balanced,
// where next returns the caller's round-robin cursor for the topic.
func (s *Service) RouteSend(c Caller, stream, topic wire.Identifier, by wire.Partitioning, next func(t metadata.TopicInfo) uint32) (Route, wire.Status) {
	st := s.State()
	t, code := st.ResolveTopic(stream, topic)
	if code == wire.StatusOK {
		code = auth.AuthorizeTopic(st, c.UserID, auth.NeedSend, t.Stream, t.ID)
	}
	if code != wire.StatusOK {
		return Route{}, code
	}
	n := uint32(len(t.Partitions))
	if n == 0 {
		return Route{}, wire.StatusPartitionNotFound
	}
	var pid uint32
	switch by.Kind {
	case wire.PartitionByID:
		pid = by.Partition
	case wire.PartitionBalanced:
		pid = next(t) % n
	case wire.PartitionByMessageID:
		pid = partition.XXH32(by.Key) % n
	}
	if pid >= n {
		return Route{}, wire.StatusPartitionNotFound
	}
	return Route{Topic: t, Partition: t.Partitions[pid]}, wire.StatusOK
}

// RoutePoll routes a PollMessages. resync reports that the caller polls as
// a consumer group member for a partition that is not assigned to it: the
// answer is then the resync sentinel (wire.md §3.4), not a poll.
func (s *Service) RoutePoll(c Caller, req *wire.PollMessages) (r Route, resync bool, code wire.Status) {
	st := s.State()
	part := uint32(0)
	if req.HasPartition {
		part = req.Partition
	}
	if r, code = resolve(st, req.Stream, req.Topic, part); code == wire.StatusOK {
		code = auth.AuthorizeTopic(st, c.UserID, auth.NeedPoll, r.Topic.Stream, r.Topic.ID)
	}
	if code != wire.StatusOK {
		return r, false, code
	}
	if r.Consumer, code = consumerKey(st, req.Consumer, req.Stream, req.Topic); code != wire.StatusOK {
		return r, false, code
	}
	if req.Consumer.Kind == wire.ConsumerGroup {
		_, owned, ok, _ := st.Assignment(req.Stream, req.Topic, req.Consumer.ID, c.Client)
		if !req.HasPartition || !ok || !slices.Contains(owned, part) {
			return r, true, wire.StatusOK
		}
	}
	return r, false, wire.StatusOK
}

// RouteOffset routes a consumer-offset request (store, delete, get). A
// caller that may not poll the topic is StatusUnauthorized; otherwise the
// status is that of the first thing not found.
func (s *Service) RouteOffset(c Caller, req *wire.ConsumerOffsetRequest) (Route, wire.Status) {
	st := s.State()
	r, code := resolve(st, req.Stream, req.Topic, req.Partition)
	if code == wire.StatusOK {
		code = auth.AuthorizeTopic(st, c.UserID, auth.NeedPoll, r.Topic.Stream, r.Topic.ID)
	}
	if code != wire.StatusOK {
		return r, code
	}
	r.Consumer, code = consumerKey(st, req.Consumer, req.Stream, req.Topic)
	return r, code
}

// RoutePartition routes a request for one partition of a topic that needs
// no more than the scope sc (DeleteSegments: manage the topic).
func (s *Service) RoutePartition(c Caller, sc auth.Scope, stream, topic wire.Identifier, part uint32) (Route, wire.Status) {
	st := s.State()
	if code := auth.AuthorizeIDs(st, c.UserID, sc, stream, topic); code != wire.StatusOK {
		return Route{}, code
	}
	return resolve(st, stream, topic, part)
}
