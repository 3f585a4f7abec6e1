package server

import (
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// replicated serves a replicated operation other than Register and
// Logout: the session must be valid, a retry is answered from the client
// table, and a new request is committed by the service's metadata writer
// before its reply (S12).
// It reports whether it kept f (the caller then must not release it).
func (srv *Server) replicated(s *shard.Shard, c *session, h *wire.RequestHeader, f *wire.Frame) bool {
	if !srv.checkSession(s, c, h) {
		return false
	}
	if h.Operation == wire.OpSendMessages {
		return srv.sendMessages(s, c, h, f)
	}
	body := f.Body()
	if h.Operation.IsPartition() {
		srv.partitionOp(s, c, h, body)
		return false
	}
	if srv.replay(s, c, h) {
		return false
	}
	if h.Operation == wire.OpDeleteSegments {
		srv.deleteSegments(s, c, h, body)
		return false
	}
	w := writes[h.Operation]
	if w == nil {
		srv.answerRecorded(s, c, h, wire.StatusFeatureUnavailable, nil)
		return false
	}
	c.parked = true
	req, id := *h, c.id
	err := w(srv, c.caller(), body, func(payload []byte, st wire.Status) {
		srv.resume(id, func(s *shard.Shard, c *session) { srv.answerRecorded(s, c, &req, st, payload) })
	})
	if err != nil {
		srv.busy(s, c, h, err)
	}
	return false
}

// answerRecorded sends a replicated request's reply and records it in the
// client table, so a retry gets the same bytes (wire.md §2.4): a result
// section and payload when st is OK, the status alone otherwise.
func (srv *Server) answerRecorded(s *shard.Shard, c *session, req *wire.RequestHeader, st wire.Status, payload []byte) {
	f := recordedFrame(req, st, payload, srv.commitOp())
	srv.metrics.Status(st)
	srv.remember(c, req, f)
	srv.send(s, c, f)
}

// recordedFrame builds a recorded reply: a result section and payload when
// st is OK, the status alone otherwise.
func recordedFrame(req *wire.RequestHeader, st wire.Status, payload []byte, commit wire.Op) *wire.Frame {
	if st == wire.StatusOK {
		return replyFrame(req, st, append(wire.AppendResultOK(nil), payload...), commit, commit)
	}
	return replyFrame(req, st, nil, 0, commit)
}

// remember records a replicated request's reply in the client table, to
// re-send if the request is retried.
func (srv *Server) remember(c *session, h *wire.RequestHeader, f *wire.Frame) {
	c.watermark = h.Request
	c.lastReply = append(c.lastReply[:0], f.Bytes()...)
}

// readUsers answers GetUsers (32): every wire.UserInfo.
func (srv *Server) readUsers(_ *shard.Shard, c *session, _ []byte) ([]byte, wire.Status) {
	if !srv.svc.CanReadUsers(c.caller()) {
		return nil, wire.StatusUnauthorized
	}
	return wire.AppendUsers(nil, srv.state().UserList()), wire.StatusOK
}

// readUser answers GetUser (31): a wire.UserRequest → wire.UserDetails,
// or an empty body when there is no such user.
func (srv *Server) readUser(_ *shard.Shard, c *session, body []byte) ([]byte, wire.Status) {
	var req wire.UserRequest
	req.Decode(body) // a short body names no user
	st := srv.state()
	id, ok := service.ResolveUser(st, req.User)
	if !ok {
		return nil, wire.StatusOK
	}
	if id != c.userID && !srv.svc.CanReadUsers(c.caller()) {
		return nil, wire.StatusUnauthorized
	}
	u, _ := st.User(id)
	details := u.Details()
	return details.Append(nil), wire.StatusOK
}
