package server

import (
	"errors"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// login serves a Register (wire.md §2.3): protocol version check, then the
// password body (or the token body), then authentication and the Register
// commit by the service. The connection is parked until the answer returns.
func (srv *Server) login(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	if c.bound() {
		// Already bound: answer with the existing session, commit nothing.
		srv.replyLogin(s, c, h)
		return
	}
	var v wire.ClientVersionInfo
	if _, err := v.Decode(body); err != nil {
		srv.evict(s, c, h.Client, wire.EvictMalformedLogin)
		return
	}
	if !v.Protocol.Compatible() {
		srv.evict(s, c, h.Client, wire.EvictIncompatibleProtocol)
		return
	}
	// The password shape first, then the token shape (wire.md §2.3): a
	// password login that fails gives EvictInvalidCredentials, unless the
	// body also parses as a token body (an empty password, say), which
	// is then tried as a token.
	var lp wire.LoginPassword
	var lt wire.LoginToken
	isPassword, isToken := lp.Decode(body) == nil, lt.Decode(body) == nil
	if !isPassword && !isToken {
		srv.evict(s, c, h.Client, wire.EvictMalformedLogin)
		return
	}
	// Failed logins are limited per address and per username, with
	// back-off (auth.Limiter, issue 15): a guesser is refused before any
	// password work, and every failure is logged with both.
	_, remote, _ := s.Bus().ClientConn(c.id)
	addr, user := auth.AddrOf(remote), ""
	if isPassword {
		user = string(lp.Username)
	}
	if ok, retry := srv.limiter.Allow(addr, user); !ok {
		srv.log.Info("login refused: too many failures", "client", c.id, "addr", remote, "user", user, "retry_after", retry)
		srv.reply(s, c, h, wire.StatusTransientNotAccepted, nil)
		return
	}
	c.parked = true
	req, id := *h, c.id
	finish := func(r service.Login) {
		switch r.Evict {
		case 0:
			srv.limiter.Succeeded(addr, user)
		case wire.EvictInvalidCredentials, wire.EvictInvalidToken:
			srv.limiter.Failed(addr, user)
		}
		srv.resume(id, func(s *shard.Shard, c *session) {
			if r.Transient {
				srv.busy(s, c, &req, errors.New("login not committed now"))
				return
			}
			if r.Evict != 0 {
				srv.evict(s, c, req.Client, r.Evict)
				return
			}
			c.client, c.epoch, c.userID, c.watermark, c.lastReply = req.Client, r.Epoch, r.UserID, 0, nil
			srv.dir.login(c.id, c.client, r.UserID)
			// Before the reply: the client's next frame may be large, and
			// must meet the lifted frame cap (issue 15).
			if err := s.Bus().Authenticated(c.id); err != nil {
				srv.log.Debug("login of a connection already gone", "client", c.id, "err", err)
			}
			srv.replyLogin(s, c, &req)
		})
	}
	var err error
	switch {
	case isPassword:
		token := ""
		if isToken {
			token = string(lt.Token)
		}
		err = srv.svc.LoginPassword(h.Client, string(lp.Username), string(lp.Password), token, finish)
	default:
		err = srv.svc.LoginToken(h.Client, string(lt.Token), finish)
	}
	if err != nil {
		srv.busy(s, c, h, err)
	}
}

// replyLogin sends the login reply for c's session: a result section and
// [user_id][session][server protocol version][server version].
func (srv *Server) replyLogin(s *shard.Shard, c *session, h *wire.RequestHeader) {
	body := (&wire.LoginReply{UserID: c.userID, Session: c.epoch, ServerProtocolVersion: wire.CurrentProtocolVersion,
		ServerVersion: []byte(Version)}).Append(wire.AppendResultOK(nil))
	srv.metrics.Status(wire.StatusOK)
	srv.send(s, c, replyFrame(h, wire.StatusOK, body, wire.Op(c.epoch), max(wire.Op(c.epoch), srv.commitOp())))
}

// logout serves a Logout (wire.md §2.10): on an unbound connection an
// empty OK; otherwise the Logout is committed, the session unbound, and an
// empty OK sent. The connection stays open.
func (srv *Server) logout(s *shard.Shard, c *session, h *wire.RequestHeader) {
	if !c.bound() {
		srv.reply(s, c, h, wire.StatusOK, nil)
		return
	}
	if !srv.checkSession(s, c, h) || srv.replay(s, c, h) {
		return
	}
	c.parked = true
	req, id := *h, c.id
	err := srv.svc.Logout(c.client, c.epoch, func(o service.Outcome) {
		srv.resume(id, func(s *shard.Shard, c *session) {
			if o.Status != wire.StatusOK {
				srv.reply(s, c, &req, o.Status, nil)
				return
			}
			srv.unbind(c)
			// Back to the pre-login frame cap and login deadline.
			if err := s.Bus().LoggedOut(c.id); err != nil {
				srv.log.Debug("logout of a connection already gone", "client", c.id, "err", err)
			}
			srv.reply(s, c, &req, wire.StatusOK, nil)
		})
	})
	if err != nil {
		srv.busy(s, c, h, err)
	}
}

// commitOp is the metadata commit position, for reply headers.
func (srv *Server) commitOp() wire.Op { return wire.Op(srv.store.Current().CommitOp()) }
