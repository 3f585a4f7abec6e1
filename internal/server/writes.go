package server

import (
	"bytes"

	"github.com/shoal-io/shoal/internal/metadata"
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

// decoded decodes body into a request of the metadata package's request
// types; a bad body is answered at once.
func decoded[R any, P request[R]](body []byte, reply answer, fn func(req R) error) error {
	var req R
	if st := P(&req).Decode(body); st != wire.StatusOK {
		reply(nil, st)
		return nil
	}
	return fn(req)
}

// plain adapts a service write whose body is one of the metadata
// package's request types and whose reply is empty.
func plain[R any, P request[R]](call func(*service.Service, service.Caller, R, service.Done) error) writeHandler {
	return func(srv *Server, c service.Caller, body []byte, reply answer) error {
		return decoded[R, P](body, reply, func(req R) error { return call(srv.svc, c, req, statusOnly(reply)) })
	}
}

func writeCreateStream(srv *Server, c service.Caller, body []byte, reply answer) error {
	return decoded(body, reply, func(req metadata.CreateStreamRequest) error {
		return srv.svc.CreateStream(c, req, rendered(reply, func(o service.Outcome) []byte {
			out, _ := o.State.AppendStream(nil, o.Result.ID, srv.stats)
			return out
		}))
	})
}

func writeCreateTopic(srv *Server, c service.Caller, body []byte, reply answer) error {
	return decoded(body, reply, func(req metadata.CreateTopicRequest) error {
		return srv.svc.CreateTopic(c, req, rendered(reply, func(o service.Outcome) []byte {
			out, _ := o.State.AppendGetTopic(nil, req.Stream, wire.NumericID(o.Result.ID), srv.stats)
			return out
		}))
	})
}

// writeCreateGroup replies with the group header (wire.md §3.12-1), never
// nothing.
func writeCreateGroup(srv *Server, c service.Caller, body []byte, reply answer) error {
	return decoded(body, reply, func(req metadata.CreateGroupRequest) error {
		return srv.svc.CreateGroup(c, req, rendered(reply, func(o service.Outcome) []byte {
			out, _ := o.State.AppendGroup(nil, req.Stream, req.Topic, wire.NumericID(o.Result.ID))
			return out
		}))
	})
}

// writeCreateUser: [username_len u8][username][password_len u8][password]
// [status u8][has_permissions u8][permissions_len u32][permissions].
// Reply: UserInfoDetails.
func writeCreateUser(srv *Server, c service.Caller, body []byte, reply answer) error {
	d := bodyReader{b: body}
	var req service.CreateUserRequest
	req.Username = string(d.bytes(int(d.u8())))
	req.Password = string(d.bytes(int(d.u8())))
	req.Status = metadata.UserStatus(d.u8())
	if d.u8() == 1 {
		req.Permissions = bytes.Clone(d.bytes(int(d.u32())))
	}
	if d.bad {
		reply(nil, wire.StatusInvalidFormat)
		return nil
	}
	return srv.svc.CreateUser(c, req, rendered(reply, func(o service.Outcome) []byte {
		u, _ := o.State.User(o.Result.UserID)
		return appendUserDetails(nil, &u)
	}))
}

// writeUpdateUser: [user Identifier][has_username u8][username str8]?
// [has_status u8][status u8]?[options TLV...] (users have no option keys).
func writeUpdateUser(srv *Server, c service.Caller, body []byte, reply answer) error {
	d := bodyReader{b: body}
	user := d.ident()
	var username string
	var status metadata.UserStatus
	if d.flag() {
		if username = string(d.bytes(int(d.u8()))); username == "" {
			reply(nil, wire.StatusInvalidUsername)
			return nil
		}
	}
	if d.flag() {
		if status = metadata.UserStatus(d.u8()); status == 0 {
			reply(nil, wire.StatusInvalidUserStatus)
			return nil
		}
	}
	if d.bad {
		reply(nil, wire.StatusInvalidCommand)
		return nil
	}
	if st := metadata.ParseUserOptions(d.b); st != wire.StatusOK {
		reply(nil, st)
		return nil
	}
	return srv.svc.UpdateUser(c, user, username, status, statusOnly(reply))
}

// writeChangePassword: [user Identifier][current str8][new str8].
func writeChangePassword(srv *Server, c service.Caller, body []byte, reply answer) error {
	d := bodyReader{b: body}
	user := d.ident()
	current := string(d.bytes(int(d.u8())))
	next := string(d.bytes(int(d.u8())))
	if d.bad || len(d.b) != 0 {
		reply(nil, wire.StatusInvalidCommand)
		return nil
	}
	return srv.svc.ChangePassword(c, user, current, next, statusOnly(reply))
}

// writeUpdatePermissions: [user Identifier][has_permissions u8]
// [permissions_len u32][permissions].
func writeUpdatePermissions(srv *Server, c service.Caller, body []byte, reply answer) error {
	d := bodyReader{b: body}
	user := d.ident()
	var perms []byte
	if d.flag() {
		perms = bytes.Clone(d.bytes(int(d.u32())))
	}
	if d.bad || len(d.b) != 0 {
		reply(nil, wire.StatusInvalidCommand)
		return nil
	}
	return srv.svc.UpdatePermissions(c, user, perms, statusOnly(reply))
}

// writeDeleteUser: [user Identifier].
func writeDeleteUser(srv *Server, c service.Caller, body []byte, reply answer) error {
	d := bodyReader{b: body}
	user := d.ident()
	if d.bad {
		reply(nil, wire.StatusResourceNotFound)
		return nil
	}
	return srv.svc.DeleteUser(c, user, statusOnly(reply))
}

// writeCreateToken: [name str8][expiry u64 µs: 0 or math.MaxUint64 never
// expires]. Reply: [token_len u8][token].
func writeCreateToken(srv *Server, c service.Caller, body []byte, reply answer) error {
	d := bodyReader{b: body}
	name := string(d.bytes(int(d.u8())))
	expiry := d.u64()
	if d.bad || len(d.b) != 0 {
		reply(nil, wire.StatusInvalidCommand)
		return nil
	}
	return srv.svc.CreateToken(c, name, expiry, func(o service.Outcome, token string) {
		if o.Status != wire.StatusOK {
			reply(nil, o.Status)
			return
		}
		reply(append([]byte{byte(len(token))}, token...), wire.StatusOK)
	})
}

// writeDeleteToken: [name str8].
func writeDeleteToken(srv *Server, c service.Caller, body []byte, reply answer) error {
	d := bodyReader{b: body}
	name := string(d.bytes(int(d.u8())))
	if d.bad || len(d.b) != 0 {
		reply(nil, wire.StatusInvalidCommand)
		return nil
	}
	return srv.svc.DeleteToken(c, name, statusOnly(reply))
}
