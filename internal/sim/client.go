package sim

import (
	"encoding/binary"
	"math"

	"github.com/anishathalye/porcupine"
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
		h := wire.RequestHeader{Prefix: wire.Prefix{Size: wire.HeaderSize}, Client: c.cid, Operation: wire.OpRegister}
		c.frame = make([]byte, wire.HeaderSize)
		h.Put(c.frame)
		c.transmit(s)
		return
	}
	if !s.issuing || c.done >= s.opsPerClient || s.workRand.IntN(s.idleOdds) != 0 {
		return
	}
	if s.workRand.IntN(16) == 0 {
		c.newID(s) // reconnect: the old session lingers until evicted
		return
	}
	in := kvInput{kind: kvKind(s.workRand.IntN(3)), key: uint8(s.workRand.IntN(s.keys)), value: uint64(s.workRand.IntN(100))}
	c.req++
	body := in.encode()
	h := wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(wire.HeaderSize + len(body))}, Client: c.cid,
		RequestChecksum: wire.Checksum(body), Request: c.req, Operation: wire.OpSendMessages, Session: c.session}
	c.frame = make([]byte, wire.HeaderSize+len(body))
	h.Put(c.frame)
	copy(c.frame[wire.HeaderSize:], body)
	c.busy, c.registering = true, false
	c.hist = len(s.history)
	s.history = append(s.history, porcupine.Operation{ClientId: c.idx, Input: in, Call: int64(s.now),
		Output: kvOutput{unknown: true}, Return: math.MaxInt64})
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
			c.session, c.busy, c.registering = uint64(h.Op), false, false
			return
		}
		if h.Request != c.req || h.Operation == wire.OpRegister {
			return
		}
		s.checkAck(&h)
		body := f[wire.HeaderSize:]
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
