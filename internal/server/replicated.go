package server

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// metaOp runs a replicated metadata operation, starting on shard 0: it
// decodes the request body, proposes (journal + fsync + apply) and calls
// done on shard 0 with the reply payload that follows the result section,
// or a status. An operation that must run argon2 does that off the shard
// loops (metaState.offload) and comes back to shard 0 to propose.
type metaOp func(m *metaState, c caller, body []byte, done func([]byte, wire.Status))

// now adapts an operation that finishes on shard 0 without waiting.
func now(fn func(m *metaState, c caller, body []byte) ([]byte, wire.Status)) metaOp {
	return func(m *metaState, c caller, body []byte, done func([]byte, wire.Status)) {
		done(fn(m, c, body))
	}
}

// metaOps are the replicated user operations; the streams family is in
// streams.go. The others are answered with FeatureUnavailable.
var metaOps = map[wire.Operation]metaOp{
	wire.OpCreateUser:        (*metaState).createUser,
	wire.OpUpdateUser:        now((*metaState).updateUser),
	wire.OpDeleteUser:        now((*metaState).deleteUser),
	wire.OpChangePassword:    (*metaState).changePassword,
	wire.OpUpdatePermissions: now((*metaState).updatePermissions),
}

// replicated serves a replicated operation other than Register and
// Logout: the session must be valid, a retry is answered from the client
// table, and a new request is committed on shard 0 before its reply (S12).
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
	if sc, ok := opScopes[h.Operation]; ok {
		if st := srv.authorize(c.caller(), sc, body); st != wire.StatusOK {
			srv.answerRecorded(s, c, h, st, nil)
			return false
		}
	}
	if h.Operation == wire.OpDeleteSegments {
		srv.deleteSegments(s, c, h, body)
		return false
	}
	fn := metaOps[h.Operation]
	if fn == nil {
		srv.answerRecorded(s, c, h, wire.StatusFeatureUnavailable, nil)
		return false
	}
	c.parked = true
	req, in, who, id := *h, append([]byte(nil), body...), c.caller(), c.id
	queued := srv.onMeta(func(m *metaState) {
		fn(m, who, in, func(payload []byte, st wire.Status) {
			srv.resume(id, func(s *shard.Shard, c *session) { srv.answerRecorded(s, c, &req, st, payload) })
		})
	})
	if !queued {
		srv.busy(s, c, h)
	}
	return false
}

// answerRecorded sends a replicated request's reply and records it in the
// client table, so a retry gets the same bytes (wire.md §2.4): a result
// section and payload when st is OK, the status alone otherwise.
func (srv *Server) answerRecorded(s *shard.Shard, c *session, req *wire.RequestHeader, st wire.Status, payload []byte) {
	var f *wire.Frame
	if st == wire.StatusOK {
		f = replyFrame(req, st, append(wire.AppendResultOK(nil), payload...), srv.commitOp(), srv.commitOp())
	} else {
		f = replyFrame(req, st, nil, 0, srv.commitOp())
	}
	srv.metrics.Status(st)
	srv.remember(c, req, f)
	srv.send(s, c, f)
}

// remember records a replicated request's reply in the client table, to
// re-send if the request is retried.
func (srv *Server) remember(c *session, h *wire.RequestHeader, f *wire.Frame) {
	c.watermark = h.Request
	c.lastReply = append(c.lastReply[:0], f.Bytes()...)
}

// manageUsers reports whether the caller may manage users: the root user,
// or a user granted manage_users.
func (m *metaState) manageUsers(c caller) wire.Status {
	if m.srv.allowed(c, (*wire.Permissions).ManageUser) {
		return wire.StatusOK
	}
	return wire.StatusUnauthorized
}

// createUser: [username_len u8][username][password_len u8][password]
// [status u8][has_permissions u8][permissions_len u32][permissions].
// Reply: UserInfoDetails. The password is hashed off shard 0.
func (m *metaState) createUser(c caller, body []byte, done func([]byte, wire.Status)) {
	if st := m.manageUsers(c); st != wire.StatusOK {
		done(nil, st)
		return
	}
	d := bodyReader{b: body}
	username := string(d.bytes(int(d.u8())))
	password := string(d.bytes(int(d.u8())))
	status := metadata.UserStatus(d.u8())
	var perms []byte
	if d.u8() == 1 {
		perms = append([]byte(nil), d.bytes(int(d.u32()))...)
	}
	if d.bad {
		done(nil, wire.StatusInvalidFormat)
		return
	}
	if _, err := wire.DecodePermissions(perms); err != nil {
		done(nil, wire.StatusInvalidCommand)
		return
	}
	if status == 0 {
		status = metadata.UserActive
	}
	if metadata.ValidatePassword(password) != nil {
		done(nil, wire.StatusInvalidPassword)
		return
	}
	var hash metadata.PasswordHash
	var err error
	m.offload(func() { hash, err = m.store.HashPassword(password, nil) }, done, func(m *metaState) {
		if err != nil {
			done(nil, wire.StatusError)
			return
		}
		r := m.propose(metadata.CreateUser{Timestamp: uint64(time.Now().UnixMicro()), Status: status,
			Username: username, Password: hash, Permissions: perms})
		if !r.OK() {
			done(nil, r.Status)
			return
		}
		var out []byte
		st := m.state()
		u, _ := st.User(r.UserID)
		out = appendUserDetails(nil, &u)
		done(out, wire.StatusOK)
	})
}

// offload runs work off the shard loops (argon2 is slow by design, and
// shard 0 also accepts every connection), then then on shard 0. If the
// runtime is shutting down, done gets StatusError instead.
func (m *metaState) offload(work func(), done func([]byte, wire.Status), then func(m *metaState)) {
	err := m.srv.rt.Shard(0).Bus().Go(func(context.Context) {
		work()
		if !m.srv.onMeta(then) {
			done(nil, wire.StatusTransientNotAccepted) // done only resumes the connection
		}
	})
	if err != nil {
		done(nil, wire.StatusError)
	}
}

// updateUser: [user Identifier][has_username u8][username str8]?
// [has_status u8][status u8]?[options TLV...] (users have no option keys).
// Reply: empty.
func (m *metaState) updateUser(c caller, body []byte) ([]byte, wire.Status) {
	if st := m.manageUsers(c); st != wire.StatusOK {
		return nil, st
	}
	d := bodyReader{b: body}
	id, found := m.userIdent(&d)
	var op metadata.UpdateUser
	if d.flag() {
		op.Username = string(d.bytes(int(d.u8())))
		if op.Username == "" {
			return nil, wire.StatusInvalidUsername
		}
	}
	if d.flag() {
		if op.Status = metadata.UserStatus(d.u8()); op.Status == 0 {
			return nil, wire.StatusInvalidUserStatus
		}
	}
	if d.bad {
		return nil, wire.StatusInvalidCommand
	}
	if st := metadata.ParseUserOptions(d.b); st != wire.StatusOK {
		return nil, st
	}
	if !found {
		return nil, wire.StatusResourceNotFound
	}
	op.UserID = id
	return nil, m.propose(op).Status
}

// changePassword: [user Identifier][current str8][new str8]. Reply: empty.
// A user may change their own password; another user's takes the root
// user. Either way the current password must match (as Iggy checks for
// self- and admin-initiated changes alike): a mismatch is
// StatusInvalidCredentials. Verifying and hashing run off shard 0.
func (m *metaState) changePassword(c caller, body []byte, done func([]byte, wire.Status)) {
	d := bodyReader{b: body}
	id, found := m.userIdent(&d)
	current := string(d.bytes(int(d.u8())))
	next := string(d.bytes(int(d.u8())))
	switch {
	case d.bad || len(d.b) != 0:
		done(nil, wire.StatusInvalidCommand)
		return
	case !found:
		done(nil, wire.StatusResourceNotFound)
		return
	}
	if id != c.userID {
		if st := m.manageUsers(c); st != wire.StatusOK {
			done(nil, st)
			return
		}
	}
	if metadata.ValidatePassword(next) != nil {
		done(nil, wire.StatusInvalidPassword)
		return
	}
	var stored metadata.PasswordHash
	st := m.state()
	u, _ := st.User(id)
	stored = u.Password // immutable once stored: a change replaces it
	var match bool
	var hash metadata.PasswordHash
	var err error
	m.offload(func() {
		if match = stored.Verify(current); match {
			hash, err = m.store.HashPassword(next, nil)
		}
	}, done, func(m *metaState) {
		switch {
		case !match:
			done(nil, wire.StatusInvalidCredentials)
		case err != nil:
			done(nil, wire.StatusError)
		default:
			done(nil, m.propose(metadata.ChangePassword{UserID: id, Password: hash}).Status)
		}
	})
}

// updatePermissions: [user Identifier][has_permissions u8]
// [permissions_len u32][permissions]. Reply: empty. The root user's
// permissions cannot change (StatusCannotChangePermissions). Shoal keeps
// them, returns them in GetUser and enforces them (authz.go).
func (m *metaState) updatePermissions(c caller, body []byte) ([]byte, wire.Status) {
	if st := m.manageUsers(c); st != wire.StatusOK {
		return nil, st
	}
	d := bodyReader{b: body}
	id, found := m.userIdent(&d)
	var perms []byte
	if d.flag() {
		perms = append([]byte(nil), d.bytes(int(d.u32()))...)
	}
	if _, err := wire.DecodePermissions(perms); err != nil {
		d.bad = true
	}
	switch {
	case d.bad || len(d.b) != 0:
		return nil, wire.StatusInvalidCommand
	case !found:
		return nil, wire.StatusResourceNotFound
	}
	return nil, m.propose(metadata.UpdatePermissions{UserID: id, Permissions: perms}).Status
}

// deleteUser: [user Identifier]. Reply: empty.
func (m *metaState) deleteUser(c caller, body []byte) ([]byte, wire.Status) {
	if st := m.manageUsers(c); st != wire.StatusOK {
		return nil, st
	}
	id, ok := m.resolveUser(body)
	if !ok {
		return nil, wire.StatusResourceNotFound
	}
	r := m.propose(metadata.DeleteUser{UserID: id})
	return nil, r.Status
}

// resolveUser finds the user the Identifier at the start of body names.
func (m *metaState) resolveUser(body []byte) (uint32, bool) {
	d := bodyReader{b: body}
	return m.userIdent(&d)
}

// userIdent reads an Identifier from d and finds the user it names.
func (m *metaState) userIdent(d *bodyReader) (uint32, bool) {
	kind, n := d.u8(), int(d.u8())
	val := d.bytes(n)
	if d.bad {
		return 0, false
	}
	var id uint32
	var ok bool
	st := m.state()
	switch {
	case kind == byte(wire.IdentifierNumeric) && n == 4:
		_, ok = st.User(binary.LittleEndian.Uint32(val))
		id = binary.LittleEndian.Uint32(val)
	case kind == byte(wire.IdentifierString):
		var u metadata.User
		u, ok = st.UserByName(string(val))
		id = u.ID
	}
	return id, ok
}

// appendUserInfo appends [id u32][created_at u64][status u8][username str8][options_len u32 = 0].
func appendUserInfo(b []byte, u *metadata.User) []byte {
	b = binary.LittleEndian.AppendUint32(b, u.ID)
	b = binary.LittleEndian.AppendUint64(b, u.CreatedAt)
	b = append(b, byte(u.Status), byte(len(u.Username)))
	b = append(b, u.Username...)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// appendUserDetails appends a UserInfo and its permissions.
func appendUserDetails(b []byte, u *metadata.User) []byte {
	b = appendUserInfo(b, u)
	if len(u.Permissions) == 0 {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(u.Permissions)))
	return append(b, u.Permissions...)
}

// readUsers answers GetUsers (32): concatenated UserInfos.
func (m *metaState) readUsers(c caller, _ []byte) ([]byte, wire.Status) {
	if !m.srv.allowed(c, (*wire.Permissions).ReadUser) {
		return nil, wire.StatusUnauthorized
	}
	var out []byte
	st := m.state()
	for _, u := range st.Users() {
		out = appendUserInfo(out, &u)
	}
	return out, wire.StatusOK
}

// readUser answers GetUser (31): [user Identifier] → UserInfoDetails, or an
// empty body when there is no such user.
func (m *metaState) readUser(c caller, body []byte) ([]byte, wire.Status) {
	id, ok := m.resolveUser(body)
	if !ok {
		return nil, wire.StatusOK
	}
	if id != c.userID && !m.srv.allowed(c, (*wire.Permissions).ReadUser) {
		return nil, wire.StatusUnauthorized
	}
	var out []byte
	st := m.state()
	u, _ := st.User(id)
	out = appendUserDetails(nil, &u)
	return out, wire.StatusOK
}

// bodyReader reads little-endian fields; bad sticks on the first short read.
type bodyReader struct {
	b   []byte
	bad bool
}

func (r *bodyReader) bytes(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *bodyReader) u8() uint8 {
	if v := r.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

// flag reads a presence byte: 0 or 1; anything else marks r bad.
func (r *bodyReader) flag() bool {
	v := r.u8()
	if v > 1 {
		r.bad = true
	}
	return v == 1
}

func (r *bodyReader) u64() uint64 {
	if v := r.bytes(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (r *bodyReader) u32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}
