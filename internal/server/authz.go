package server

import (
	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/wire"
)

// Authorization (internal/auth) by the request's scope: these tables say
// which requests need which grant.

// allowed reports whether c may do what check asks.
func (srv *Server) allowed(c caller, check func(p *wire.Permissions) bool) bool {
	return auth.Allowed(srv.state(), c.userID, check)
}

// readScopes are the NonReplicated reads that need a grant. Users, tokens
// and the caller's own session are checked by their handlers; polls and
// offsets after their bodies are decoded (auth.NeedPoll).
var readScopes = map[uint32]auth.Scope{
	codeStats:      auth.NeedServer,
	codeSnapshot:   auth.NeedServer,
	codeClient:     auth.NeedServer,
	codeClients:    auth.NeedServer,
	codeGetStream:  auth.NeedReadStream,
	codeGetStreams: auth.NeedStreamList,
	codeGetTopic:   auth.NeedReadTopic,
	codeGetTopics:  auth.NeedTopicList,
	codeGetGroup:   auth.NeedReadTopic,
	codeGetGroups:  auth.NeedReadTopic,
	codeSyncGroup:  auth.NeedReadTopic,
}

// opScopes are the replicated operations whose body opens with the
// stream (and topic) they act on. Users and tokens are checked by their
// handlers; messages and offsets after their bodies are decoded.
var opScopes = map[wire.Operation]auth.Scope{
	wire.OpCreateStream:        auth.NeedCreate,
	wire.OpUpdateStream:        auth.NeedManage,
	wire.OpDeleteStream:        auth.NeedManage,
	wire.OpPurgeStream:         auth.NeedManage,
	wire.OpCreateTopic:         auth.NeedCreateTopic,
	wire.OpUpdateTopic:         auth.NeedManageTopic,
	wire.OpDeleteTopic:         auth.NeedManageTopic,
	wire.OpPurgeTopic:          auth.NeedManageTopic,
	wire.OpCreatePartitions:    auth.NeedManageTopic,
	wire.OpDeletePartitions:    auth.NeedManageTopic,
	wire.OpDeleteSegments:      auth.NeedManageTopic,
	wire.OpCreateConsumerGroup: auth.NeedReadTopic,
	wire.OpDeleteConsumerGroup: auth.NeedReadTopic,
	wire.OpJoinConsumerGroup:   auth.NeedReadTopic,
	wire.OpLeaveConsumerGroup:  auth.NeedReadTopic,
}

// authorize checks a request body against its scope (auth.Authorize).
func (srv *Server) authorize(c caller, sc auth.Scope, body []byte) wire.Status {
	return auth.Authorize(srv.state(), c.userID, sc, body)
}

// authorizeTopic checks an already resolved stream and topic.
func (srv *Server) authorizeTopic(c caller, sc auth.Scope, stream, topic uint32) wire.Status {
	return auth.AuthorizeTopic(srv.state(), c.userID, sc, stream, topic)
}
