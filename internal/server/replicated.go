package server

import (
	"encoding/binary"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// metaOp prepares a replicated metadata operation on shard 0: it decodes
// the request body, proposes (journal + fsync + apply) and returns the
// reply payload that follows the result section, or a status. prepare
// runs off the shard loop when it must hash a password.
type metaOp func(m *metaState, c caller, body []byte) ([]byte, wire.Status)

// metaOps are the replicated operations served so far; the others are
// answered with FeatureUnavailable (streams, topics and partitions arrive
// with the streams issue).
var metaOps = map[wire.Operation]metaOp{
	wire.OpCreateUser: (*metaState).createUser,
	wire.OpDeleteUser: (*metaState).deleteUser,
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
	fn := metaOps[h.Operation]
	if fn == nil {
		srv.remember(c, h, replyFrame(h, wire.StatusFeatureUnavailable, nil, 0, srv.commitOp()))
		srv.reply(s, c, h, wire.StatusFeatureUnavailable, nil)
		return false
	}
	c.parked = true
	req, in, who, id := *h, append([]byte(nil), body...), c.caller(), c.id
	srv.onMeta(func(m *metaState) {
		payload, st := fn(m, who, in)
		srv.resume(id, func(s *shard.Shard, c *session) {
			var f *wire.Frame
			if st == wire.StatusOK {
				f = replyFrame(&req, wire.StatusOK, append(wire.AppendResultOK(nil), payload...), srv.commitOp(), srv.commitOp())
			} else {
				f = replyFrame(&req, st, nil, 0, srv.commitOp())
			}
			srv.metrics.status(st)
			srv.remember(c, &req, f)
			srv.send(s, c, f)
		})
	})
	return false
}

// remember records a replicated request's reply in the client table, to
// re-send if the request is retried.
func (srv *Server) remember(c *session, h *wire.RequestHeader, f *wire.Frame) {
	c.watermark = h.Request
	c.lastReply = append(c.lastReply[:0], f.Bytes()...)
}

// requireRoot reports whether the session's user may manage users. Iggy
// grants it by permission; Shoal does not read permissions yet, so only
// the root user may.
func requireRoot(c caller) wire.Status {
	if c.userID != metadata.RootUserID {
		return wire.StatusUnauthorized
	}
	return wire.StatusOK
}

// createUser: [username_len u8][username][password_len u8][password]
// [status u8][has_permissions u8][permissions_len u32][permissions].
// Reply: UserInfoDetails.
func (m *metaState) createUser(c caller, body []byte) ([]byte, wire.Status) {
	if st := requireRoot(c); st != wire.StatusOK {
		return nil, st
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
		return nil, wire.StatusInvalidFormat
	}
	if status == 0 {
		status = metadata.UserActive
	}
	if metadata.ValidatePassword(password) != nil {
		return nil, wire.StatusInvalidPassword
	}
	hash, err := m.store.HashPassword(password, nil)
	if err != nil {
		return nil, wire.StatusError
	}
	r := m.propose(metadata.CreateUser{Timestamp: uint64(time.Now().UnixMicro()), Status: status,
		Username: username, Password: hash, Permissions: perms})
	if !r.OK() {
		return nil, r.Status
	}
	var out []byte
	m.store.View(func(st *metadata.State) {
		u, _ := st.User(r.UserID)
		out = appendUserDetails(nil, &u)
	})
	return out, wire.StatusOK
}

// deleteUser: [user Identifier]. Reply: empty.
func (m *metaState) deleteUser(c caller, body []byte) ([]byte, wire.Status) {
	if st := requireRoot(c); st != wire.StatusOK {
		return nil, st
	}
	id, ok := m.resolveUser(body)
	if !ok {
		return nil, wire.StatusResourceNotFound
	}
	r := m.propose(metadata.DeleteUser{UserID: id})
	return nil, r.Status
}

// resolveUser finds the user an Identifier names.
func (m *metaState) resolveUser(body []byte) (uint32, bool) {
	d := bodyReader{b: body}
	kind, n := d.u8(), int(d.u8())
	val := d.bytes(n)
	if d.bad {
		return 0, false
	}
	var id uint32
	var ok bool
	m.store.View(func(st *metadata.State) {
		switch {
		case kind == byte(wire.IdentifierNumeric) && n == 4:
			_, ok = st.User(binary.LittleEndian.Uint32(val))
			id = binary.LittleEndian.Uint32(val)
		case kind == byte(wire.IdentifierString):
			var u metadata.User
			u, ok = st.UserByName(string(val))
			id = u.ID
		}
	})
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
	if st := requireRoot(c); st != wire.StatusOK {
		return nil, st
	}
	var out []byte
	m.store.View(func(st *metadata.State) {
		for _, u := range st.Users() {
			out = appendUserInfo(out, &u)
		}
	})
	return out, wire.StatusOK
}

// readUser answers GetUser (31): [user Identifier] → UserInfoDetails, or an
// empty body when there is no such user.
func (m *metaState) readUser(c caller, body []byte) ([]byte, wire.Status) {
	id, ok := m.resolveUser(body)
	if !ok {
		return nil, wire.StatusOK
	}
	if id != c.userID {
		if st := requireRoot(c); st != wire.StatusOK {
			return nil, st
		}
	}
	var out []byte
	m.store.View(func(st *metadata.State) {
		u, _ := st.User(id)
		out = appendUserDetails(nil, &u)
	})
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

func (r *bodyReader) u32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}
