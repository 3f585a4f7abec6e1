package server

import (
	"github.com/shoal-io/shoal/internal/wire"
)

// replyFrame builds the reply to req with the given status and body. A
// non-zero status carries no body (wire.md §1.6). op and commit fill the
// reply's op and commit fields.
func replyFrame(req *wire.RequestHeader, status wire.Status, body []byte, op, commit wire.Op) *wire.Frame {
	if status != wire.StatusOK {
		body = nil
	}
	var h wire.ReplyHeader
	h.ReplyTo(req, len(body))
	h.Status, h.Op, h.Commit = status, op, commit
	f := wire.NewFrame(int(h.Size))
	h.Put(f.Bytes())
	copy(f.Body(), body)
	return f
}

// evictionFrame builds an Eviction for client with reason r. For
// IncompatibleProtocol it carries the server's version window.
func evictionFrame(client wire.ClientID, r wire.EvictionReason) *wire.Frame {
	if client.IsZero() {
		client = wire.ClientID{Lo: 1} // the header requires a non-zero client
	}
	h := wire.EvictionHeader{Client: client, Reason: r}
	if r == wire.EvictIncompatibleProtocol {
		h.ServerProtocolVersion, h.ServerProtocolVersionMin = wire.CurrentProtocolVersion, wire.MinProtocolVersion
	}
	f := wire.NewFrame(wire.HeaderSize)
	h.Put(f.Bytes())
	return f
}
