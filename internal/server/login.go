package server

import (
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// login serves a Register (wire.md §2.3): protocol version check, then the
// password body (or the token body), then authentication and the Register
// commit on shard 0. The connection is parked until the answer returns.
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
	c.parked = true
	req, client, id := *h, h.Client, c.id
	username, password, token := string(lp.Username), string(lp.Password), string(lt.Token)
	finish := func(r loginResult) {
		srv.resume(id, func(s *shard.Shard, c *session) {
			if r.evict != 0 {
				srv.evict(s, c, req.Client, r.evict)
				return
			}
			c.client, c.epoch, c.userID, c.watermark, c.lastReply = req.Client, r.epoch, r.userID, 0, nil
			srv.dir.login(c.id, c.client, r.userID)
			srv.replyLogin(s, c, &req)
		})
	}
	queued := srv.onMeta(func(m *metaState) {
		if !isPassword {
			m.loginToken(client, token, finish)
			return
		}
		m.login(client, username, password, func(r loginResult) {
			if r.evict == wire.EvictInvalidCredentials && isToken {
				m.loginToken(client, token, finish)
				return
			}
			finish(r)
		})
	})
	if !queued {
		srv.busy(s, c, h)
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
	req, client, epoch, id := *h, c.client, c.epoch, c.id
	queued := srv.onMeta(func(m *metaState) {
		r := m.endSession(client, epoch)
		srv.resume(id, func(s *shard.Shard, c *session) {
			if !r.OK() {
				srv.reply(s, c, &req, r.Status, nil)
				return
			}
			srv.unbind(c)
			srv.reply(s, c, &req, wire.StatusOK, nil)
		})
	})
	if !queued {
		srv.busy(s, c, h)
	}
}

func (srv *Server) commitOp() wire.Op { return wire.Op(srv.commit.Load()) }
