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

// found turns a lookup's ok into a status: not found is an empty body.
func found(b []byte, _ bool) ([]byte, wire.Status) { return b, wire.StatusOK }

func (srv *Server) readStream(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.StreamRequest) ([]byte, wire.Status) {
		return found(s.AppendGetStream(nil, r.Stream, srv.stats))
	})
}

func (srv *Server) readStreams(_ *shard.Shard, _ *session, _ []byte) (out []byte, st wire.Status) {
	s := srv.state()
	out = s.AppendGetStreams(nil, srv.stats)
	return out, wire.StatusOK
}

func (srv *Server) readTopic(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.TopicRequest) ([]byte, wire.Status) {
		return found(s.AppendGetTopic(nil, r.Stream, r.Topic, srv.stats))
	})
}

func (srv *Server) readTopics(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.StreamRequest) ([]byte, wire.Status) {
		return s.AppendGetTopics(nil, r.Stream, srv.stats)
	})
}

func (srv *Server) readGroup(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.GroupRequest) ([]byte, wire.Status) {
		return found(s.AppendGroup(nil, r.Stream, r.Topic, r.Group))
	})
}

func (srv *Server) readGroups(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.TopicRequest) ([]byte, wire.Status) {
		return s.AppendGroups(nil, r.Stream, r.Topic)
	})
}

func (srv *Server) readSyncGroup(_ *shard.Shard, c *session, body []byte) ([]byte, wire.Status) {
	return readAs(srv, body, func(s *metadata.State, r *wire.GroupRequest) ([]byte, wire.Status) {
		return s.AppendSyncGroup(nil, r.Stream, r.Topic, r.Group, c.client)
	})
}
