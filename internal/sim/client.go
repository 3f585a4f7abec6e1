package sim

import (
	"encoding/binary"
	"math"

	"github.com/anishathalye/porcupine"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// client registers, then issues one key-value operation at a time, resending
// it to every replica until a reply arrives. An eviction ends its session:
// the outstanding operation's outcome becomes unknown and it registers again
// under a new client id, as Iggy's SDK does.
type client struct {
	idx         int
	cid         wire.ClientID
	gen         uint64
	session     uint64
	req         uint64
	busy        bool
	registering bool
	hist        int // index of the outstanding operation in Sim.history
	frame       []byte
	retryAt     int
	done        int
}

func (c *client) newID(s *Sim) {
	c.gen++
	c.cid = wire.ClientID{Lo: uint64(c.idx+1) | c.gen<<32, Hi: 0x51}
	s.clientByID[c.cid] = c.idx
	c.session, c.req = 0, 0
}

func (c *client) tick(s *Sim) {
	if c.busy {
		if s.now >= c.retryAt {
			c.transmit(s)
		}
		return
	}
	if c.session == 0 {
		c.busy, c.registering = true, true
		var body []byte
		if s.oracle != nil {
			// A login: the Register carries the session's user binding.
			body = metadata.Encode(metadata.Register{Client: c.cid, UserID: uint32(s.workRand.IntN(3)), Timestamp: uint64(s.now)})
		}
		c.send(s, wire.RequestHeader{Client: c.cid, Operation: wire.OpRegister}, body)
		return
	}
	if !s.issuing || c.done >= s.opsPerClient || s.workRand.IntN(s.idleOdds) != 0 {
		return
	}
	if s.workRand.IntN(16) == 0 {
		c.newID(s) // reconnect: the old session lingers until evicted
		return
	}
	if s.oracle != nil {
		c.issueMeta(s)
		return
	}
	in := kvInput{kind: kvKind(s.workRand.IntN(3)), key: uint8(s.workRand.IntN(s.keys)), value: uint64(s.workRand.IntN(100))}
	c.req++
	c.hist = len(s.history)
	s.history = append(s.history, porcupine.Operation{ClientId: c.idx, Input: in, Call: int64(s.now),
		Output: kvOutput{unknown: true}, Return: math.MaxInt64})
	c.send(s, wire.RequestHeader{Client: c.cid, Request: c.req, Operation: wire.OpSendMessages, Session: c.session}, in.encode())
}

// issueMeta sends one metadata operation under the client's session, or
// (1 in 12) logs out, ending it.
func (c *client) issueMeta(s *Sim) {
	c.req++
	h := wire.RequestHeader{Client: c.cid, Request: c.req, Session: c.session}
	var op metadata.Op
	if s.workRand.IntN(12) == 0 {
		op, h.Operation = metadata.Logout{Client: c.cid, Epoch: wire.Epoch(c.session)}, wire.OpLogout
	} else {
		op = metaOp(s.workRand, uint64(s.now), c.cid)
		h.Operation = wire.Operation(op.Kind())
	}
	c.send(s, h, metadata.Encode(op))
}

// send makes h and body the outstanding request and transmits it.
func (c *client) send(s *Sim, h wire.RequestHeader, body []byte) {
	h.Size = uint32(wire.HeaderSize + len(body))
	if len(body) > 0 {
		h.RequestChecksum = wire.Checksum(body)
	}
	c.frame = make([]byte, wire.HeaderSize+len(body))
	h.Put(c.frame)
	copy(c.frame[wire.HeaderSize:], body)
	c.busy, c.registering = true, h.Operation == wire.OpRegister
	c.transmit(s)
}

func (c *client) transmit(s *Sim) {
	for i := range s.nodes {
		s.net.send(clientEP(c.idx), endpoint(i), c.frame)
	}
	c.retryAt = s.now + s.clientRetry + s.workRand.IntN(s.clientRetry)
}

func (c *client) deliver(s *Sim, f []byte) {
	switch wire.PeekCommand(f) {
	case wire.CommandReply:
		var h wire.ReplyHeader
		if err := h.Decode(f); err != nil {
			s.fail("client %d got an undecodable reply: %v", c.idx, err)
			return
		}
		if h.Client != c.cid || !c.busy {
			return
		}
		if c.registering {
			if h.Operation != wire.OpRegister {
				return
			}
			s.checkAck(&h)
			if s.oracle != nil {
				s.checkMetaAck(c, &h, f[wire.HeaderSize:])
			}
			c.session, c.busy, c.registering = uint64(h.Op), false, false
			return
		}
		if h.Request != c.req || h.Operation == wire.OpRegister {
			return
		}
		s.checkAck(&h)
		body := f[wire.HeaderSize:]
		if s.oracle != nil {
			s.checkMetaAck(c, &h, body)
			c.busy = false
			c.done++
			if h.Operation == wire.OpLogout {
				c.newID(s) // the session ended: log in again
			}
			return
		}
		if len(body) != 8 {
			s.fail("client %d: reply body of %d bytes", c.idx, len(body))
			return
		}
		op := &s.history[c.hist]
		op.Output, op.Return = kvOutput{value: binary.LittleEndian.Uint64(body)}, int64(s.now)
		c.busy = false
		c.done++
	case wire.CommandEviction:
		var h wire.EvictionHeader
		if err := h.Decode(f); err != nil {
			s.fail("client %d got an undecodable eviction: %v", c.idx, err)
			return
		}
		if h.Client != c.cid {
			return
		}
		s.res.Evictions++
		c.busy, c.registering = false, false
		c.newID(s)
	}
}
