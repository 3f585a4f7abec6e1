package server

import (
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/wire"
)

// The binary protocol's replicated metadata operations: each decodes its
// body (decoded values never alias the frame, which is released when the
// handler returns), calls the service and renders the reply payload from
// the committed state the outcome carries. answer runs on whatever
// goroutine finishes the operation; it only hands the result back to the
// connection's shard.

// answer delivers a write's reply payload (after the result section) or a
// non-OK status.
type answer func(payload []byte, st wire.Status)

// writeHandler serves one replicated operation. It returns the service's
// error when the operation was not taken (the caller answers it).
type writeHandler func(srv *Server, c service.Caller, body []byte, reply answer) error

// statusOnly renders an outcome with an empty payload.
func statusOnly(reply answer) service.Done {
	return func(o service.Outcome) { reply(nil, o.Status) }
}

// rendered renders an OK outcome with render.
func rendered(reply answer, render func(o service.Outcome) []byte) service.Done {
	return func(o service.Outcome) {
		if o.Status != wire.StatusOK {
			reply(nil, o.Status)
			return
		}
		reply(render(o), wire.StatusOK)
	}
}

// decoded decodes body into a wire request type; a bad body is answered
// at once.
func decoded[R any, P request[R]](body []byte, reply answer, fn func(req R) error) error {
	var req R
	if st := P(&req).Decode(body); st != wire.StatusOK {
		reply(nil, st)
		return nil
	}
	return fn(req)
}

// plain adapts a service write whose body is a wire request type and
// whose reply is empty.
func plain[R any, P request[R]](call func(*service.Service, service.Caller, R, service.Done) error) writeHandler {
	return func(srv *Server, c service.Caller, body []byte, reply answer) error {
		return decoded[R, P](body, reply, func(req R) error { return call(srv.svc, c, req, statusOnly(reply)) })
	}
}

func writeCreateStream(srv *Server, c service.Caller, body []byte, reply answer) error {
	return decoded(body, reply, func(req wire.CreateStream) error {
		return srv.svc.CreateStream(c, req, rendered(reply, func(o service.Outcome) []byte {
			info, _ := o.State.StreamInfo(o.Result.ID, srv.stats)
			return info.Append(nil)
		}))
	})
}

func writeCreateTopic(srv *Server, c service.Caller, body []byte, reply answer) error {
	return decoded(body, reply, func(req wire.CreateTopic) error {
		return srv.svc.CreateTopic(c, req, rendered(reply, func(o service.Outcome) []byte {
			topic, _ := o.State.TopicDetails(req.Stream, wire.NumericID(o.Result.ID), srv.stats)
			return topic.Append(nil)
		}))
	})
}

// writeCreateGroup replies with the group header (wire.md §3.12-1), never
// nothing.
func writeCreateGroup(srv *Server, c service.Caller, body []byte, reply answer) error {
	return decoded(body, reply, func(req wire.CreateGroup) error {
		return srv.svc.CreateGroup(c, req, rendered(reply, func(o service.Outcome) []byte {
			group, _ := o.State.GroupDetails(req.Stream, req.Topic, wire.NumericID(o.Result.ID))
			return group.Append(nil)
		}))
	})
}

// writeCreateUser replies with the user's details (wire.UserDetails).
func writeCreateUser(srv *Server, c service.Caller, body []byte, reply answer) error {
	return decoded(body, reply, func(req wire.CreateUser) error {
		return srv.svc.CreateUser(c, req, rendered(reply, func(o service.Outcome) []byte {
			u, _ := o.State.User(o.Result.UserID)
			details := u.Details()
			return details.Append(nil)
		}))
	})
}

// writeCreateToken replies with the token (wire.CreatedToken).
func writeCreateToken(srv *Server, c service.Caller, body []byte, reply answer) error {
	return decoded(body, reply, func(req wire.CreateToken) error {
		return srv.svc.CreateToken(c, req, func(o service.Outcome, token string) {
			if o.Status != wire.StatusOK {
				reply(nil, o.Status)
				return
			}
			reply((&wire.CreatedToken{Token: token}).Append(nil), wire.StatusOK)
		})
	})
}
