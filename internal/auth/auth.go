package auth

import (
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// Scope says which identifiers open a request body and what it needs.
type Scope struct {
	ids   int // 0, 1 (stream) or 2 (stream, topic)
	check func(p *wire.Permissions, stream, topic uint32) bool
}

// The scopes of Iggy's operations.
var (
	NeedServer      = Scope{0, func(p *wire.Permissions, _, _ uint32) bool { return p.ReadServer() }}
	NeedStreamList  = Scope{0, func(p *wire.Permissions, _, _ uint32) bool { return p.ReadStreamList() }}
	NeedCreate      = Scope{0, func(p *wire.Permissions, _, _ uint32) bool { return p.CreateStream() }}
	NeedReadStream  = Scope{1, func(p *wire.Permissions, s, _ uint32) bool { return p.ReadStream(s) }}
	NeedManage      = Scope{1, func(p *wire.Permissions, s, _ uint32) bool { return p.ManageStream(s) }}
	NeedTopicList   = Scope{1, func(p *wire.Permissions, s, _ uint32) bool { return p.ReadTopicList(s) }}
	NeedCreateTopic = Scope{1, func(p *wire.Permissions, s, _ uint32) bool { return p.CreateTopic(s) }}
	NeedReadTopic   = Scope{2, func(p *wire.Permissions, s, t uint32) bool { return p.ReadTopic(s, t) }}
	NeedManageTopic = Scope{2, func(p *wire.Permissions, s, t uint32) bool { return p.ManageTopic(s, t) }}
	NeedPoll        = Scope{2, func(p *wire.Permissions, s, t uint32) bool { return p.Poll(s, t) }}
	NeedSend        = Scope{2, func(p *wire.Permissions, s, t uint32) bool { return p.Send(s, t) }}
)

// Allowed reports whether user may do what check asks in st.
func Allowed(st *metadata.State, user uint32, check func(p *wire.Permissions) bool) bool {
	if user == metadata.RootUserID {
		return true
	}
	p := st.UserPermissions(user)
	return p != nil && check(p)
}

// Authorize checks a request body against its scope: StatusUnauthorized,
// or StatusOK (also for the zero Scope, and when the body is malformed or
// names something that does not exist, which the operation's handler then
// answers).
func Authorize(st *metadata.State, user uint32, sc Scope, body []byte) wire.Status {
	if user == metadata.RootUserID || sc.check == nil {
		return wire.StatusOK
	}
	var ids [2]wire.Identifier
	for i := range sc.ids {
		var err error
		if ids[i], body, err = wire.CutIdentifier(body); err != nil {
			return wire.StatusOK // malformed: the handler says so
		}
	}
	return AuthorizeIDs(st, user, sc, ids[:sc.ids]...)
}

// AuthorizeIDs is Authorize for a request already decoded: ids are its
// stream (and topic) identifiers, as many as the scope needs.
func AuthorizeIDs(st *metadata.State, user uint32, sc Scope, ids ...wire.Identifier) wire.Status {
	if user == metadata.RootUserID || sc.check == nil {
		return wire.StatusOK
	}
	if len(ids) < sc.ids {
		panic("auth: fewer identifiers than the scope needs")
	}
	var stream, topic uint32
	found := true
	switch sc.ids {
	case 1:
		var s wire.Status
		stream, s = st.ResolveStream(ids[0])
		found = s == wire.StatusOK
	case 2:
		t, s := st.ResolveTopic(ids[0], ids[1])
		stream, topic, found = t.Stream, t.ID, s == wire.StatusOK
	}
	if !found {
		return wire.StatusOK
	}
	return AuthorizeTopic(st, user, sc, stream, topic)
}

// AuthorizeTopic checks an already resolved stream and topic.
func AuthorizeTopic(st *metadata.State, user uint32, sc Scope, stream, topic uint32) wire.Status {
	if Allowed(st, user, func(p *wire.Permissions) bool { return sc.check(p, stream, topic) }) {
		return wire.StatusOK
	}
	return wire.StatusUnauthorized
}
