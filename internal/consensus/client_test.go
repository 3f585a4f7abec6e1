package consensus

import (
	"bytes"
	"fmt"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// client is a test client of the group: it registers, then sends one
// request at a time to every live node (backups drop it) and resends it
// until the reply arrives.
type client struct {
	c       *cluster
	id      wire.ClientID
	session uint64
	req     uint64
	replies chan []byte
}

func (c *cluster) newClient(n uint64) *client {
	cl := &client{c: c, id: wire.ClientID{Lo: n, Hi: 0xc0}, replies: make(chan []byte, 64)}
	c.mu.Lock()
	c.clients[cl.id] = cl
	c.mu.Unlock()
	return cl
}

// frame builds the client's next request: a Register while it has no
// session, else request req with body.
func (cl *client) frame(body []byte) []byte {
	h := wire.RequestHeader{Prefix: wire.Prefix{Size: wire.HeaderSize}, Client: cl.id, Operation: wire.OpRegister}
	if cl.session != 0 {
		h = wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(wire.HeaderSize + len(body))}, Client: cl.id,
			RequestChecksum: wire.Checksum(body), Request: cl.req, Session: cl.session, Operation: wire.OpSendMessages}
	} else {
		body = nil
	}
	f := make([]byte, wire.HeaderSize+len(body))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	return f
}

func (cl *client) send(f []byte) {
	for _, m := range cl.c.members {
		if m.node != nil {
			m.node.Propose(bytes.Clone(f)) // ErrBusy: the retry resends
		}
	}
}

// register opens the client's session.
func (cl *client) register() {
	cl.c.t.Helper()
	h := cl.roundTrip(cl.frame(nil), true)
	cl.session = uint64(h.Op)
}

// do sends the next request with body and returns its reply header.
func (cl *client) do(body []byte) wire.ReplyHeader {
	cl.c.t.Helper()
	cl.req++
	return cl.roundTrip(cl.frame(body), false)
}

func (cl *client) roundTrip(f []byte, register bool) wire.ReplyHeader {
	cl.c.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		cl.send(f)
		retry := time.NewTimer(retryAfter)
		for waiting := true; waiting; {
			select {
			case r := <-cl.replies:
				if wire.PeekCommand(r) == wire.CommandEviction {
					retry.Stop()
					cl.c.t.Fatalf("client %v evicted", cl.id)
				}
				var h wire.ReplyHeader
				if err := h.Decode(r); err != nil {
					retry.Stop()
					cl.c.t.Fatalf("client %v: %v", cl.id, err)
				}
				if (h.Operation == wire.OpRegister) == register && (register || h.Request == cl.req) {
					retry.Stop()
					return h
				}
			case <-retry.C:
				waiting = false
			case <-deadline.C:
				retry.Stop()
				cl.c.t.Fatalf("client %v: no reply to %s; %s", cl.id, describeReq(register, cl.req), cl.c.describe())
			}
		}
	}
}

func describeReq(register bool, req uint64) string {
	if register {
		return "Register"
	}
	return fmt.Sprint("request ", req)
}
