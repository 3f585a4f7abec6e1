package server

import (
	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/wire"
)

// Authorization (internal/auth) by the request's scope: these tables say
// which requests need which grant.

// allowed reports whether c may do what check asks.

// readScopes are the NonReplicated reads that need a grant. Users, tokens
// and the caller's own session are checked by their handlers; polls and
// offsets after their bodies are decoded (auth.NeedPoll).
var readScopes = map[wire.Code]auth.Scope{
	wire.CodeStats:      auth.NeedServer,
	wire.CodeSnapshot:   auth.NeedServer,
	wire.CodeClient:     auth.NeedServer,
	wire.CodeClients:    auth.NeedServer,
	wire.CodeGetStream:  auth.NeedReadStream,
	wire.CodeGetStreams: auth.NeedStreamList,
	wire.CodeGetTopic:   auth.NeedReadTopic,
	wire.CodeGetTopics:  auth.NeedTopicList,
	wire.CodeGetGroup:   auth.NeedReadTopic,
	wire.CodeGetGroups:  auth.NeedReadTopic,
	wire.CodeSyncGroup:  auth.NeedReadTopic,
}

// authorize checks a request body against its scope (auth.Authorize).
func (srv *Server) authorize(c service.Caller, sc auth.Scope, body []byte) wire.Status {
	return auth.Authorize(srv.state(), c.UserID, sc, body)
}

// authorizeTopic checks an already resolved stream and topic.
func (srv *Server) authorizeTopic(c service.Caller, sc auth.Scope, stream, topic uint32) wire.Status {
	return auth.AuthorizeTopic(srv.state(), c.UserID, sc, stream, topic)
}
