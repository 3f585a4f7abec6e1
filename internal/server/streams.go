package server

import (
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// Reads of streams, topics and consumer groups: they run on the
// connection's shard on the committed state, without a lock. (Their
// writes are in writes.go.)

// state returns the committed metadata: immutable, read without a lock
// from any shard (metadata.Store.Current).
func (srv *Server) state() *metadata.State { return srv.store.Current() }

func (srv *Server) readDescribeOptions(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	var req wire.DescribeOptions
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	return metadata.AppendDescribeOptions(nil, req.Scope)
}

// request is a request body type of the wire package.
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

func (srv *Server) readStream(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.StreamRequest) ([]byte, wire.Status) {
		d, ok := s.StreamDetails(r.Stream, srv.stats)
		if !ok {
			return nil, wire.StatusOK // not found: an empty body
		}
		return d.Append(nil), wire.StatusOK
	})
}

func (srv *Server) readStreams(_ *shard.Shard, _ *session, _ []byte) ([]byte, wire.Status) {
	return wire.AppendStreams(nil, srv.state().StreamList(srv.stats)), wire.StatusOK
}

func (srv *Server) readTopic(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.TopicRequest) ([]byte, wire.Status) {
		d, ok := s.TopicDetails(r.Stream, r.Topic, srv.stats)
		if !ok {
			return nil, wire.StatusOK // not found: an empty body
		}
		return d.Append(nil), wire.StatusOK
	})
}

func (srv *Server) readTopics(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.StreamRequest) ([]byte, wire.Status) {
		topics, st := s.TopicList(r.Stream, srv.stats)
		if st != wire.StatusOK {
			return nil, st
		}
		return wire.AppendTopics(nil, topics), st
	})
}

func (srv *Server) readGroup(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.GroupRequest) ([]byte, wire.Status) {
		d, ok := s.GroupDetails(r.Stream, r.Topic, r.Group)
		if !ok {
			return nil, wire.StatusOK // not found: an empty body
		}
		return d.Append(nil), wire.StatusOK
	})
}

func (srv *Server) readGroups(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.TopicRequest) ([]byte, wire.Status) {
		groups, st := s.GroupList(r.Stream, r.Topic)
		if st != wire.StatusOK {
			return nil, st
		}
		return wire.AppendGroups(nil, groups), st
	})
}

// readSyncGroup answers SyncGroup: the caller's assignment, or an empty
// body when it is not a member.
func (srv *Server) readSyncGroup(_ *shard.Shard, c *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.GroupRequest) ([]byte, wire.Status) {
		a, member, st := s.GroupAssignment(r.Stream, r.Topic, r.Group, c.client)
		if !member {
			return nil, st
		}
		return a.Append(nil), st
	})
}
