package server

import (
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// Authorization, as Iggy's permissioner decides it (wire.Permissions
// holds the rules). The root user may do everything. Every other user
// needs a grant: the global flags, or a stream's or a topic's. A request
// whose stream or topic does not exist is let through, to be answered
// "not found" by its handler as before.

// allowed reports whether c may do what check asks.
func (srv *Server) allowed(c caller, check func(p *wire.Permissions) bool) bool {
	if c.userID == metadata.RootUserID {
		return true
	}
	var p *wire.Permissions
	s := srv.state()
	p = s.UserPermissions(c.userID)
	return p != nil && check(p)
}

// scope says which identifiers open a request body and what it needs.
type scope struct {
	ids   int // 0, 1 (stream) or 2 (stream, topic)
	check func(p *wire.Permissions, stream, topic uint32) bool
}

var (
	needServer      = scope{0, func(p *wire.Permissions, _, _ uint32) bool { return p.ReadServer() }}
	needStreamList  = scope{0, func(p *wire.Permissions, _, _ uint32) bool { return p.ReadStreamList() }}
	needCreate      = scope{0, func(p *wire.Permissions, _, _ uint32) bool { return p.CreateStream() }}
	needReadStream  = scope{1, func(p *wire.Permissions, s, _ uint32) bool { return p.ReadStream(s) }}
	needManage      = scope{1, func(p *wire.Permissions, s, _ uint32) bool { return p.ManageStream(s) }}
	needTopicList   = scope{1, func(p *wire.Permissions, s, _ uint32) bool { return p.ReadTopicList(s) }}
	needCreateTopic = scope{1, func(p *wire.Permissions, s, _ uint32) bool { return p.CreateTopic(s) }}
	needReadTopic   = scope{2, func(p *wire.Permissions, s, t uint32) bool { return p.ReadTopic(s, t) }}
	needManageTopic = scope{2, func(p *wire.Permissions, s, t uint32) bool { return p.ManageTopic(s, t) }}
	needPoll        = scope{2, func(p *wire.Permissions, s, t uint32) bool { return p.Poll(s, t) }}
	needSend        = scope{2, func(p *wire.Permissions, s, t uint32) bool { return p.Send(s, t) }}
)

// readScopes are the NonReplicated reads that need a grant. Users, tokens
// and the caller's own session are checked by their handlers; polls and
// offsets after their bodies are decoded (needPoll).
var readScopes = map[uint32]scope{
	codeStats:      needServer,
	codeSnapshot:   needServer,
	codeClient:     needServer,
	codeClients:    needServer,
	codeGetStream:  needReadStream,
	codeGetStreams: needStreamList,
	codeGetTopic:   needReadTopic,
	codeGetTopics:  needTopicList,
	codeGetGroup:   needReadTopic,
	codeGetGroups:  needReadTopic,
	codeSyncGroup:  needReadTopic,
}

// opScopes are the replicated operations whose body opens with the
// stream (and topic) they act on. Users and tokens are checked by their
// handlers; messages and offsets after their bodies are decoded.
var opScopes = map[wire.Operation]scope{
	wire.OpCreateStream:        needCreate,
	wire.OpUpdateStream:        needManage,
	wire.OpDeleteStream:        needManage,
	wire.OpPurgeStream:         needManage,
	wire.OpCreateTopic:         needCreateTopic,
	wire.OpUpdateTopic:         needManageTopic,
	wire.OpDeleteTopic:         needManageTopic,
	wire.OpPurgeTopic:          needManageTopic,
	wire.OpCreatePartitions:    needManageTopic,
	wire.OpDeletePartitions:    needManageTopic,
	wire.OpDeleteSegments:      needManageTopic,
	wire.OpCreateConsumerGroup: needReadTopic,
	wire.OpDeleteConsumerGroup: needReadTopic,
	wire.OpJoinConsumerGroup:   needReadTopic,
	wire.OpLeaveConsumerGroup:  needReadTopic,
}

// authorize checks a request against its scope: StatusUnauthorized, or
// StatusOK (also when it needs no grant here, or names something that
// does not exist).
func (srv *Server) authorize(c caller, sc scope, body []byte) wire.Status {
	if c.userID == metadata.RootUserID || sc.check == nil {
		return wire.StatusOK
	}
	var ids [2]wire.Identifier
	for i := range sc.ids {
		var err error
		if ids[i], body, err = wire.CutIdentifier(body); err != nil {
			return wire.StatusOK // malformed: the handler says so
		}
	}
	var p *wire.Permissions
	var stream, topic uint32
	found := true
	s := srv.state()
	p = s.UserPermissions(c.userID)
	switch sc.ids {
	case 1:
		var st wire.Status
		stream, st = s.ResolveStream(ids[0])
		found = st == wire.StatusOK
	case 2:
		t, st := s.ResolveTopic(ids[0], ids[1])
		stream, topic, found = t.Stream, t.ID, st == wire.StatusOK
	}
	switch {
	case !found:
		return wire.StatusOK
	case p == nil || !sc.check(p, stream, topic):
		return wire.StatusUnauthorized
	}
	return wire.StatusOK
}

// authorizeTopic checks an already resolved stream and topic.
func (srv *Server) authorizeTopic(c caller, sc scope, stream, topic uint32) wire.Status {
	if srv.allowed(c, func(p *wire.Permissions) bool { return sc.check(p, stream, topic) }) {
		return wire.StatusOK
	}
	return wire.StatusUnauthorized
}
