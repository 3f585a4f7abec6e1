package server

import (
	"net"
	"strconv"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// readHandler answers a NonReplicated read on the connection's shard. It
// returns the reply body (no result section) or a non-zero status.
type readHandler func(srv *Server, s *shard.Shard, c *session, body []byte) ([]byte, wire.Status)

// read serves a NonReplicated request (wire.md §1.10, §2.5): Ping works
// before login, session-control codes evict, everything else needs a bound
// session and gets status 40 without one.
func (srv *Server) read(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	code := h.Code
	switch {
	case code == wire.CodePing:
		srv.reply(s, c, h, wire.StatusOK, nil)
		return
	case code == wire.CodeLoginUser || code == wire.CodeLoginWithToken:
		srv.evict(s, c, h.Client, wire.EvictMalformedLogin)
		return
	case !c.bound():
		srv.reply(s, c, h, wire.StatusUnauthenticated, nil)
		return
	}
	if sc, ok := readScopes[code]; ok {
		if st := srv.authorize(c.caller(), sc, body); st != wire.StatusOK {
			srv.reply(s, c, h, st, nil)
			return
		}
	}
	switch code {
	case wire.CodePollMessages:
		srv.pollMessages(s, c, h, body)
		return
	case wire.CodeGetConsumerOffset:
		srv.getConsumerOffset(s, c, h, body)
		return
	case wire.CodeSnapshot:
		srv.snapshot(s, c, h, body)
		return
	}
	if fn := reads[code]; fn != nil {
		if srv.confirmedRead(s, c, h, body, fn) {
			return // in a cluster: served once the metadata group confirms it (confirm.go)
		}
		b, st := fn(srv, s, c, body)
		srv.reply(s, c, h, st, b)
		return
	}
	if _, replicated := wire.OperationForCode(code); replicated || code == wire.CodeLegacySendMessages {
		// A replicated command sent as a read.
		srv.reply(s, c, h, wire.StatusFeatureUnavailable, nil)
		return
	}
	srv.log.Debug("unknown read code", "client", c.id, "code", strconv.FormatUint(uint64(code), 10))
	srv.reply(s, c, h, wire.StatusInvalidCommand, nil)
}

// port returns a listener's bound port, or 0 when it is disabled.
func (srv *Server) port(name string) uint16 {
	a := srv.Addr(name)
	if a == nil {
		return 0
	}
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(p, 10, 16)
	return uint16(n)
}

// readMe answers GetMe: the connection's ClientInfo with the consumer
// groups its session's VSR client id belongs to (wire.md §2.8).
func (srv *Server) readMe(_ *shard.Shard, c *session, _ []byte) ([]byte, wire.Status) {
	info, ok := srv.dir.get(c.id)
	if !ok {
		return nil, wire.StatusClientNotFound
	}
	if c.bound() {
		info.Groups = srv.state().GroupsOf(c.client)
	}
	return info.Append(nil, true), wire.StatusOK
}

func (srv *Server) readClient(_ *shard.Shard, _ *session, body []byte) ([]byte, wire.Status) {
	var req wire.ClientRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return nil, st
	}
	info, ok := srv.dir.lookup(req.ID, srv.state())
	if !ok {
		return nil, wire.StatusClientNotFound
	}
	return info.Append(nil, true), wire.StatusOK
}

func (srv *Server) readClients(_ *shard.Shard, _ *session, _ []byte) ([]byte, wire.Status) {
	var b []byte
	for _, info := range srv.dir.list(srv.state()) {
		b = info.Append(b, false)
	}
	return b, wire.StatusOK
}

// authorize checks a request body against its scope (auth.Authorize).
func (srv *Server) authorize(c service.Caller, sc auth.Scope, body []byte) wire.Status {
	return auth.Authorize(srv.state(), c.UserID, sc, body)
}
