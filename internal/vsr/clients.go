package vsr

import (
	"github.com/shoal-io/shoal/internal/wire"
)

// clientEntry is one session. Entries change only when ops commit, so every
// replica holds the same table (pitfall 12: never consult the pipeline).
type clientEntry struct {
	client    wire.ClientID
	session   uint64  // op of the Register that opened it (TigerBeetle rule)
	watermark uint64  // highest committed request number; at or below is a duplicate
	lastOp    wire.Op // op of the latest reply; eviction order
	reply     []byte  // latest reply frame, resent on retry
}

// clientTable is the VSR client table, bounded to max entries.
// Invariant: index[e.client] == i for every entries[i].
type clientTable struct {
	max     int
	entries []clientEntry
	index   map[wire.ClientID]int
}

func (t *clientTable) init(n int) {
	t.max = n
	t.index = make(map[wire.ClientID]int, n)
}

func (t *clientTable) get(c wire.ClientID) *clientEntry {
	if i, ok := t.index[c]; ok {
		return &t.entries[i]
	}
	return nil
}

// register opens (or reopens) c's session at op. When the table is full it
// evicts the entry whose latest reply is oldest, which is the same on every
// replica, and returns it.
func (t *clientTable) register(c wire.ClientID, op wire.Op, reply []byte) (evicted wire.ClientID, ok bool) {
	if e := t.get(c); e != nil {
		*e = clientEntry{client: c, session: uint64(op), lastOp: op, reply: reply}
		return evicted, false
	}
	if len(t.entries) >= t.max {
		v := 0
		for i := range t.entries {
			if t.entries[i].lastOp < t.entries[v].lastOp {
				v = i
			}
		}
		evicted, ok = t.entries[v].client, true
		t.remove(evicted)
	}
	t.index[c] = len(t.entries)
	t.entries = append(t.entries, clientEntry{client: c, session: uint64(op), lastOp: op, reply: reply})
	return evicted, ok
}

// remove ends c's session.
func (t *clientTable) remove(c wire.ClientID) {
	i, ok := t.index[c]
	if !ok {
		return
	}
	delete(t.index, c)
	last := len(t.entries) - 1
	if i != last {
		t.entries[i] = t.entries[last]
		t.index[t.entries[i].client] = i
	}
	t.entries = t.entries[:last]
}

// Clients returns the number of sessions in the client table.
func (r *Replica) Clients() int { return len(r.clients.entries) }

// apply applies one committed op: a Register opens a session; any other op
// runs the state machine unless its request is at or below the client's
// watermark. The reply is cached; the normal primary also sends it.
func (r *Replica) apply(s *slot) {
	h := &s.h
	r.committed = append(r.committed, Committed{Op: h.Op, Checksum: h.Checksum, Parent: h.Parent,
		Client: h.Client, Request: h.Request, Operation: h.Operation})
	primary := r.status == StatusNormal && r.IsPrimary()
	var reply []byte
	if r.cfg.Sessionless {
		out := r.cfg.StateMachine.Apply(h.Op, h, s.frame[wire.HeaderSize:])
		if primary {
			r.replies = append(r.replies, ClientFrame{Client: h.Client, Frame: replyFrame(h, out)})
		}
		return
	}
	switch h.Operation {
	case wire.OpRegister:
		// A Register with a body (a login its shell checked) is applied
		// too, once its session is open; the state machine's output is
		// the reply body (Iggy binds the session's user this way).
		var out []byte
		if body := s.frame[wire.HeaderSize:]; len(body) > 0 {
			out = r.cfg.StateMachine.Apply(h.Op, h, body)
		}
		reply = replyFrame(h, out)
		if ev, ok := r.clients.register(h.Client, h.Op, reply); ok {
			if e, ok := r.cfg.StateMachine.(Evicter); ok {
				e.Evicted(ev) // on every replica, at the same op
			}
			if primary {
				r.evict(ev, wire.EvictNoSession)
			}
		}
	default:
		e := r.clients.get(h.Client)
		if e != nil && h.Request <= e.watermark {
			return // already applied under this session
		}
		out := r.cfg.StateMachine.Apply(h.Op, h, s.frame[wire.HeaderSize:])
		if e == nil {
			return // evicted meanwhile: applied, but nobody to answer
		}
		reply = replyFrame(h, out)
		e.reply, e.watermark, e.lastOp = reply, h.Request, h.Op
		if h.Operation == wire.OpLogout {
			r.clients.remove(h.Client) // the session ends with its Logout
		}
	}
	if primary {
		r.replies = append(r.replies, ClientFrame{Client: h.Client, Frame: reply})
	}
}

// replyFrame builds the reply to a committed prepare. It depends only on the
// prepare and the result, so it is byte-identical on every replica: view
// and replica are 0 and op = commit = prepare.op (Iggy plane_helpers.rs:346).
func replyFrame(h *wire.PrepareHeader, body []byte) []byte {
	rh := wire.ReplyHeader{
		Prefix:          wire.Prefix{Size: uint32(wire.HeaderSize + len(body))},
		RequestChecksum: h.RequestChecksum,
		Client:          h.Client,
		Op:              h.Op,
		Commit:          h.Op,
		Timestamp:       h.Timestamp,
		Request:         h.Request,
		Operation:       h.Operation,
	}
	f := make([]byte, wire.HeaderSize+len(body))
	rh.Put(f)
	copy(f[wire.HeaderSize:], body)
	return f
}

func (r *Replica) evict(c wire.ClientID, reason wire.EvictionReason) {
	h := wire.EvictionHeader{Prefix: wire.Prefix{Cluster: r.cfg.Cluster, View: r.view, Replica: r.self},
		Client: c, Reason: reason}
	f := make([]byte, wire.HeaderSize)
	h.Put(f)
	r.replies = append(r.replies, ClientFrame{Client: c, Frame: f})
}

// stepRequest handles a client Request on the primary: session and request
// checks against the committed client table, then a prepare. Backups and
// replicas outside normal status drop requests; clients retry.
func (r *Replica) stepRequest(frame []byte) error {
	var h wire.RequestHeader
	if err := h.Decode(frame); err != nil {
		return errInvalid(err)
	}
	body := frame[wire.HeaderSize:]
	if !h.CheckRequestChecksum(body) {
		return errInvalid(wire.ErrChecksum)
	}
	if h.Operation == wire.OpNonReplicated {
		return ErrUnsupported
	}
	if r.cfg.Sessionless && (h.Operation == wire.OpRegister || h.Operation == wire.OpLogout) {
		return ErrUnsupported
	}
	if r.status != StatusNormal || !r.IsPrimary() || r.standDown {
		return nil
	}
	if r.cfg.Sessionless {
		return r.prepareSessionless(&h, frame, body)
	}
	e := r.clients.get(h.Client)
	if h.Operation == wire.OpRegister {
		if e != nil {
			// Already registered: answer with the session again (S11),
			// the Register's own reply while it is the latest.
			reply := e.reply
			if e.watermark != 0 {
				ph := wire.PrepareHeader{Client: h.Client, Op: wire.Op(e.session), Operation: wire.OpRegister}
				reply = replyFrame(&ph, nil)
			}
			r.replies = append(r.replies, ClientFrame{Client: h.Client, Frame: reply})
			return nil
		}
		switch {
		case r.inPipeline(h.Client):
		case r.PipelineLen() >= r.cfg.PipelineMax:
			r.enqueue(&h, frame)
		default:
			r.prepare(&h, body)
		}
		return nil
	}
	switch {
	case e == nil:
		r.evict(h.Client, wire.EvictNoSession)
	case h.Session < e.session:
		r.evict(h.Client, wire.EvictSessionTooLow)
	case h.Session > e.session:
	case h.Request <= e.watermark:
		if h.Request == e.watermark {
			r.replies = append(r.replies, ClientFrame{Client: h.Client, Frame: e.reply})
		}
	case r.inPipeline(h.Client):
	case r.PipelineLen() >= r.cfg.PipelineMax:
		r.enqueue(&h, frame)
	default:
		r.prepare(&h, body)
	}
	return nil
}

// prepareSessionless prepares a request of a sessionless group, or queues
// it in arrival order while the pipeline is full (ErrQueueFull beyond
// RequestQueueMax: the request is dropped and its proposer must not wait
// for it).
func (r *Replica) prepareSessionless(h *wire.RequestHeader, frame, body []byte) error {
	if len(r.queue) == 0 && r.PipelineLen() < r.cfg.PipelineMax {
		r.prepare(h, body)
		return nil
	}
	if len(r.queue) >= r.cfg.RequestQueueMax {
		return ErrQueueFull
	}
	r.queue = append(r.queue, frame)
	return nil
}

// enqueue holds a request until the pipeline has room: one per client, the
// newest wins.
func (r *Replica) enqueue(h *wire.RequestHeader, frame []byte) {
	for i, q := range r.queue {
		if wire.ClientID(leU128(q[128:])) == h.Client {
			if leU64(q[168:]) < h.Request || h.Operation == wire.OpRegister {
				r.queue[i] = frame
			}
			return
		}
	}
	if len(r.queue) < r.cfg.RequestQueueMax {
		r.queue = append(r.queue, frame)
	}
}

// drainQueue prepares queued requests while the pipeline has room, each
// checked again against the client table.
func (r *Replica) drainQueue() {
	for len(r.queue) > 0 && r.status == StatusNormal && r.IsPrimary() && !r.standDown && r.PipelineLen() < r.cfg.PipelineMax {
		f := r.queue[0]
		r.queue = r.queue[1:]
		if r.cfg.Sessionless {
			var h wire.RequestHeader
			_ = h.Decode(f) // checked when it was queued
			r.prepare(&h, f[wire.HeaderSize:])
			continue
		}
		_ = r.stepRequest(f)
	}
}

func leU128(b []byte) wire.Uint128 { return wire.Uint128{Lo: leU64(b), Hi: leU64(b[8:])} }

// inPipeline reports whether c has an uncommitted op (one request in flight
// per client).
func (r *Replica) inPipeline(c wire.ClientID) bool {
	for op := r.commitMax + 1; op <= r.head(); op++ {
		if s := r.slot(op); s.present && s.h.Client == c {
			return true
		}
	}
	return false
}

// ClientsDigest hashes the client table (sessions, watermarks and cached
// reply bytes, in client order). Replicas that applied the same ops have
// equal digests (pitfall 12); the simulator checks it.
func (r *Replica) ClientsDigest() wire.Uint128 {
	return wire.Checksum(r.clients.appendSorted(nil))
}
