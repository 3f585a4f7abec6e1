package server

import (
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// Streams, topics, partitions and consumer groups: the metadata operations
// run on shard 0 (they change the metadata log); their reads run on the
// connection's shard on the committed state, without a lock.

func nowMicros() uint64 { return uint64(time.Now().UnixMicro()) }

func init() {
	for op, fn := range map[wire.Operation]func(*metaState, caller, []byte) ([]byte, wire.Status){
		wire.OpCreateStream:        (*metaState).createStream,
		wire.OpUpdateStream:        (*metaState).updateStream,
		wire.OpUpdateTopic:         (*metaState).updateTopic,
		wire.OpDeleteStream:        (*metaState).deleteStream,
		wire.OpPurgeStream:         (*metaState).purgeStream,
		wire.OpCreateTopic:         (*metaState).createTopic,
		wire.OpDeleteTopic:         (*metaState).deleteTopic,
		wire.OpPurgeTopic:          (*metaState).purgeTopic,
		wire.OpCreatePartitions:    (*metaState).createPartitions,
		wire.OpDeletePartitions:    (*metaState).deletePartitions,
		wire.OpCreateConsumerGroup: (*metaState).createGroup,
		wire.OpDeleteConsumerGroup: (*metaState).deleteGroup,
		wire.OpJoinConsumerGroup:   (*metaState).joinGroup,
		wire.OpLeaveConsumerGroup:  (*metaState).leaveGroup,
	} {
		metaOps[op] = now(fn)
	}
	for code, fn := range map[uint32]readHandler{
		codeDescribeOptions: (*Server).readDescribeOptions,
		codeGetStream:       (*Server).readStream,
		codeGetStreams:      (*Server).readStreams,
		codeGetTopic:        (*Server).readTopic,
		codeGetTopics:       (*Server).readTopics,
		codeGetGroup:        (*Server).readGroup,
		codeGetGroups:       (*Server).readGroups,
		codeSyncGroup:       (*Server).readSyncGroup,
	} {
		localReads[code] = fn
	}
}

// proposeStatus proposes op and returns its result and its status; a
// rejection becomes the reply status.
func (m *metaState) proposeStatus(op metadata.Op) (metadata.Result, wire.Status) {
	r := m.propose(op)
	return r, r.Status
}

func (m *metaState) createStream(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.CreateStreamRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	r, st := m.proposeStatus(req.Op(nowMicros()))
	if st != wire.StatusOK {
		return nil, st
	}
	var out []byte
	s := m.state()
	out, _ = s.AppendStream(nil, r.ID, m.srv.stats)
	return out, wire.StatusOK
}

// updateStream renames a stream. Reply: empty.
func (m *metaState) updateStream(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.UpdateStreamRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(req.Op())
	return nil, st
}

// updateTopic renames a topic and patches its updatable options. Reply:
// empty. Partitions are kept by id, so a rename leaves them alone.
func (m *metaState) updateTopic(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.UpdateTopicRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(req.Op())
	return nil, st
}

func (m *metaState) deleteStream(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.StreamRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(metadata.DeleteStream(req))
	return nil, st
}

func (m *metaState) purgeStream(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.StreamRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(metadata.PurgeStream(req))
	return nil, st
}

func (m *metaState) createTopic(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.CreateTopicRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	r, st := m.proposeStatus(req.Op(nowMicros(), uint32(m.srv.rt.Shards())))
	if st != wire.StatusOK {
		return nil, st
	}
	out, _ := m.store.Current().AppendGetTopic(nil, req.Stream, wire.NumericID(r.ID), m.srv.stats)
	return out, wire.StatusOK
}

func (m *metaState) deleteTopic(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.TopicRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(metadata.DeleteTopic(req))
	return nil, st
}

func (m *metaState) purgeTopic(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.TopicRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(metadata.PurgeTopic(req))
	return nil, st
}

func (m *metaState) createPartitions(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.PartitionsRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(req.CreateOp(nowMicros(), uint32(m.srv.rt.Shards())))
	return nil, st
}

func (m *metaState) deletePartitions(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.PartitionsRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(req.DeleteOp())
	return nil, st
}

func (m *metaState) createGroup(_ caller, body []byte) ([]byte, wire.Status) {
	var req metadata.CreateGroupRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	r, st := m.proposeStatus(req.Op())
	if st != wire.StatusOK {
		return nil, st
	}
	// wire.md §3.12-1: the reply carries the group header, never nothing.
	var out []byte
	s := m.state()
	out, _ = s.AppendGroup(nil, req.Stream, req.Topic, wire.NumericID(r.ID))
	return out, wire.StatusOK
}

func (m *metaState) groupOp(body []byte, op func(*metadata.GroupRequest) metadata.Op) ([]byte, wire.Status) {
	var req metadata.GroupRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	_, st := m.proposeStatus(op(&req))
	return nil, st
}

func (m *metaState) deleteGroup(_ caller, body []byte) ([]byte, wire.Status) {
	return m.groupOp(body, func(r *metadata.GroupRequest) metadata.Op { return r.DeleteOp() })
}

func (m *metaState) joinGroup(c caller, body []byte) ([]byte, wire.Status) {
	return m.groupOp(body, func(r *metadata.GroupRequest) metadata.Op { return r.JoinOp(c.client) })
}

func (m *metaState) leaveGroup(c caller, body []byte) ([]byte, wire.Status) {
	return m.groupOp(body, func(r *metadata.GroupRequest) metadata.Op { return r.LeaveOp(c.client) })
}

// state returns the committed metadata: immutable, read without a lock
// from any shard (metadata.Store.Current).
func (srv *Server) state() *metadata.State { return srv.meta.store.Current() }

func (m *metaState) state() *metadata.State { return m.store.Current() }

func (srv *Server) readDescribeOptions(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	var req metadata.DescribeOptionsRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	return metadata.AppendDescribeOptions(nil, req.Scope)
}

// request is a request body decoder of the metadata package.
type request[T any] interface {
	*T
	Decode([]byte) wire.Status
}

// readAs decodes body as an R and answers it from the committed metadata.
func readAs[R any, P request[R]](srv *Server, body []byte, fn func(s *metadata.State, req *R) ([]byte, wire.Status)) (out []byte, st wire.Status) {
	var req R
	if st := P(&req).Decode(body); st != wire.StatusOK {
		return nil, st
	}
	s := srv.state()
	out, st = fn(s, &req)
	return out, st
}

// found turns a lookup's ok into a status: not found is an empty body.
func found(b []byte, _ bool) ([]byte, wire.Status) { return b, wire.StatusOK }

func (srv *Server) readStream(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *metadata.StreamRequest) ([]byte, wire.Status) {
		return found(s.AppendGetStream(nil, r.Stream, srv.stats))
	})
}

func (srv *Server) readStreams(_ *shard.Shard, _ *session, _ []byte) (out []byte, st wire.Status) {
	s := srv.state()
	out = s.AppendGetStreams(nil, srv.stats)
	return out, wire.StatusOK
}

func (srv *Server) readTopic(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *metadata.TopicRequest) ([]byte, wire.Status) {
		return found(s.AppendGetTopic(nil, r.Stream, r.Topic, srv.stats))
	})
}

func (srv *Server) readTopics(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *metadata.StreamRequest) ([]byte, wire.Status) {
		return s.AppendGetTopics(nil, r.Stream, srv.stats)
	})
}

func (srv *Server) readGroup(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *metadata.GroupRequest) ([]byte, wire.Status) {
		return found(s.AppendGroup(nil, r.Stream, r.Topic, r.Group))
	})
}

func (srv *Server) readGroups(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *metadata.TopicRequest) ([]byte, wire.Status) {
		return s.AppendGroups(nil, r.Stream, r.Topic)
	})
}

func (srv *Server) readSyncGroup(_ *shard.Shard, c *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *metadata.GroupRequest) ([]byte, wire.Status) {
		return s.AppendSyncGroup(nil, r.Stream, r.Topic, r.Group, c.client)
	})
}
