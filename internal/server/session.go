package server

import (
	"fmt"
	"time"

	"github.com/shoal-io/shoal/internal/partset"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// maxBacklog bounds the requests one connection may queue while an earlier
// one waits on shard 0; past it the connection is closed (S11: logged).
const maxBacklog = 256

// shardState is one shard's part of the server. Only that shard's
// goroutine touches it (S5).
type shardState struct {
	conns map[wire.ClientID]*session
	set   *partset.Set       // the partitions this shard owns, opened on use
	rr    map[partKey]uint32 // balanced partitioning cursor per topic (partition unused)
	// scratch is the owner's buffer for poll bodies; a reply frame copies
	// out of it before the next request reuses it.
	scratch []byte
	// sums is the buffer SendMessages admission collects the messages'
	// checksums in, reused by the shard's next send.
	sums []byte
}

// session is the state of one client connection.
type session struct {
	id       wire.ClientID // the transport id: the bus key, routes replies (S10)
	client   wire.ClientID // the VSR client id the session was bound with
	epoch    wire.Epoch    // the bound session's epoch; 0 while unbound
	userID   uint32
	lastSeen time.Time

	// parked is set while a request waits on another goroutine; later requests queue
	// in backlog and run in arrival order when it returns.
	parked  bool
	backlog []*wire.Frame

	// The client table entry of the bound session (wire.md §2.4): the
	// highest replicated request id seen and the reply it got, re-sent
	// when the request is retried.
	watermark uint64
	lastReply []byte
}

func (c *session) bound() bool { return c.epoch != 0 }

// caller is what the service may know of a session: a copy taken on the
// session's own shard (S5: no other goroutine reads the session itself).
func (c *session) caller() service.Caller { return service.Caller{UserID: c.userID, Client: c.client} }

// onClientInstalled is the shard handler for a new client connection: it
// is counted (shoal_client_connections) and listed (GetClients) before its
// first request (issue 15).
func (srv *Server) onClientInstalled(s *shard.Shard, id wire.ClientID) { srv.connect(s, id) }

// connect returns connection id's session on its shard, creating it (and
// counting the connection) the first time.
func (srv *Server) connect(s *shard.Shard, id wire.ClientID) *session {
	st := srv.shards[s.ID()]
	c := st.conns[id]
	if c == nil {
		c = &session{id: id, lastSeen: srv.now()}
		st.conns[id] = c
		kind, addr, _ := s.Bus().ClientConn(id)
		srv.dir.add(id, kind, addr)
		srv.metrics.Connections.Inc()
	}
	return c
}

// onRequest is the shard handler for a client Request, on the shard that
// owns the connection.
func (srv *Server) onRequest(s *shard.Shard, id wire.ClientID, f *wire.Frame) {
	c := srv.connect(s, id)
	c.lastSeen = srv.now()
	if c.parked {
		if len(c.backlog) >= maxBacklog {
			f.Release()
			srv.closeClient(s, c, fmt.Errorf("more than %d requests queued behind a pending one", maxBacklog))
			return
		}
		c.backlog = append(c.backlog, f)
		return
	}
	srv.handle(s, c, f)
}

// resume runs fn for connection id on its owning shard, then unparks the
// connection and serves its backlog. It is how answers of the metadata
// service and of other goroutines come back to the connection's shard,
// through its reply lane.
func (srv *Server) resume(id wire.ClientID, fn func(s *shard.Shard, c *session)) {
	if err := srv.rt.Shard(int(id.Shard())).PostReply(resumeTask{srv, id, fn}); err != nil {
		srv.undeliverable(id, err)
	}
}

// undeliverable closes a connection whose answer could not reach its
// shard: it cannot be delivered in order, so the connection must go (S11).
func (srv *Server) undeliverable(id wire.ClientID, err error) {
	srv.log.Error("answer could not reach the connection's shard; closing it", "client", id, "err", err)
	srv.rt.Shard(int(id.Shard())).Bus().CloseClient(id)
}

// resumeTask is resume's work on the connection's shard.
type resumeTask struct {
	srv *Server
	id  wire.ClientID
	fn  func(s *shard.Shard, c *session)
}

func (t resumeTask) Run(s *shard.Shard) {
	c := t.srv.shards[s.ID()].conns[t.id]
	if c == nil {
		return // the connection closed meanwhile
	}
	t.fn(s, c)
	t.srv.unpark(s, c)
}

// unpark lets c's next requests run: those queued behind the one just
// answered, in arrival order, until one parks it again.
func (srv *Server) unpark(s *shard.Shard, c *session) {
	c.parked = false
	for len(c.backlog) > 0 && !c.parked {
		f := c.backlog[0]
		c.backlog[0] = nil
		c.backlog = c.backlog[1:]
		srv.handle(s, c, f)
	}
}

// send queues a frame to the connection that carried the request (S10).
func (srv *Server) send(s *shard.Shard, c *session, f *wire.Frame) {
	if err := s.Bus().SendToClient(c.id, f); err != nil {
		f.Release()
		srv.log.Debug("reply not sent", "client", c.id, "err", err)
	}
}

func (srv *Server) reply(s *shard.Shard, c *session, req *wire.RequestHeader, status wire.Status, body []byte) {
	srv.metrics.Status(status)
	srv.send(s, c, replyFrame(req, status, body, wire.Op(req.Session), srv.commitOp()))
}

func (srv *Server) evict(s *shard.Shard, c *session, client wire.ClientID, r wire.EvictionReason) {
	srv.metrics.Evictions.Inc()
	srv.log.Info("session evicted", "client", c.id, "reason", r)
	if c.bound() {
		srv.unbind(c)
	}
	srv.send(s, c, evictionFrame(client, r))
}

// closeClient closes a connection with a logged cause (S11).
func (srv *Server) closeClient(s *shard.Shard, c *session, cause error) {
	srv.log.Warn("closing client connection", "client", c.id, "cause", cause)
	s.Bus().CloseClient(c.id)
}

// onClientLost forgets a closed connection's session on its shard. A bound
// session is logged out, as a disconnect is a logout (wire.md §2.10).
func (srv *Server) onClientLost(s *shard.Shard, id wire.ClientID) {
	st := srv.shards[s.ID()]
	c := st.conns[id]
	if c == nil {
		return
	}
	delete(st.conns, id)
	for _, f := range c.backlog {
		f.Release()
	}
	c.backlog = nil
	if c.bound() {
		client, epoch := c.client, c.epoch
		srv.unbind(c)
		if err := srv.svc.Logout(client, epoch, nil); err != nil {
			// The session stays in the client table until a restart or
			// a later login of the same client id replaces it.
			srv.log.Warn("logout of a closed connection not committed", "client", id, "err", err)
		}
	}
	srv.dir.remove(id)
	srv.metrics.Connections.Dec()
}

func (srv *Server) unbind(c *session) {
	c.epoch, c.userID, c.client = 0, 0, wire.ClientID{}
	c.watermark, c.lastReply = 0, nil
	srv.dir.bind(c.id, 0, false)
}

// handle serves one request of connection c. It owns f.
func (srv *Server) handle(s *shard.Shard, c *session, f *wire.Frame) {
	kept := false // a SendMessages hands its frame to the partition owner
	defer func() {
		if !kept {
			f.Release()
		}
	}()
	var h wire.RequestHeader
	if err := h.Decode(f.Bytes()); err != nil {
		// Iggy drops such a frame silently; Shoal closes the connection
		// with the cause logged instead, so nothing is lost unseen (S11).
		srv.closeClient(s, c, fmt.Errorf("invalid request header: %w", err))
		return
	}
	srv.metrics.Request(h.Operation)
	body := f.Body()
	if !h.CheckRequestChecksum(body) {
		srv.reply(s, c, &h, wire.StatusInvalidFormat, nil)
		return
	}
	switch h.Operation {
	case wire.OpRegister:
		srv.login(s, c, &h, body)
	case wire.OpNonReplicated:
		srv.read(s, c, &h, body)
	case wire.OpLogout:
		srv.logout(s, c, &h)
	default:
		kept = srv.replicated(s, c, &h, f)
	}
}

// checkSession applies the session rules to a replicated request: it must
// come on a bound connection, under the bound client id and epoch. It
// reports whether the request may proceed (if not, it has been answered).
func (srv *Server) checkSession(s *shard.Shard, c *session, h *wire.RequestHeader) bool {
	switch {
	case !c.bound():
		srv.evict(s, c, h.Client, wire.EvictNoSession)
		return false
	case h.Client != c.client:
		// The connection is bound to another client id (a stale identity).
		srv.evict(s, c, h.Client, wire.EvictSessionError)
		return false
	case wire.Epoch(h.Session) < c.epoch:
		srv.evict(s, c, h.Client, wire.EvictSessionTooLow)
		return false
	case wire.Epoch(h.Session) > c.epoch:
		// From a session this server never granted: Iggy drops it; Shoal
		// closes the connection with a logged cause (S11).
		srv.closeClient(s, c, fmt.Errorf("request for session %d, bound to %d", h.Session, c.epoch))
		return false
	}
	return true
}

// replay answers a retried replicated request from the client table
// (wire.md §2.4). It reports whether the request was a retry.
func (srv *Server) replay(s *shard.Shard, c *session, h *wire.RequestHeader) bool {
	if h.Request > c.watermark {
		return false
	}
	if h.Request == c.watermark && c.lastReply != nil {
		srv.metrics.Replays.Inc()
		srv.send(s, c, wire.FrameOf(c.lastReply))
		return true
	}
	srv.reply(s, c, h, wire.StatusRequestAlreadyApplied, nil)
	return true
}
