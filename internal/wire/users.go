package wire

import (
	"bytes"
	"encoding/binary"
)

// User requests. Their identifiers are read as Shoal's user commands
// always have (a kind or length that is neither numeric nor a name names
// no user; BodyReader.looseIdent), and usernames and passwords are
// [len u8][bytes] checked by the service, so the statuses stay the ones
// the SDKs have seen. Decoded values are copies.

// CreateUser is the body of CreateUser (operation 141, code 33):
//
//	[username_len u8][username][password_len u8][password][status u8]
//	[has_permissions u8][permissions_len u32][permissions]
//
// Permissions are Iggy's permissions body (DecodePermissions); nil means
// none. Status 0 means active.
type CreateUser struct {
	Username, Password string
	Status             UserStatus
	Permissions        []byte
}

// Append appends the encoding of c to dst.
func (c *CreateUser) Append(dst []byte) []byte {
	dst = appendStr8(appendStr8(dst, c.Username), c.Password)
	return appendPermissions(append(dst, byte(c.Status)), c.Permissions)
}

// Decode reads c from b; a short body is StatusInvalidFormat. A
// has_permissions byte other than 1 means none.
func (c *CreateUser) Decode(b []byte) Status {
	r := NewBodyReader(b)
	c.Username, c.Password = r.Str8(), r.Str8()
	c.Status = UserStatus(r.U8())
	c.Permissions = nil
	if r.U8() == 1 {
		c.Permissions = bytes.Clone(r.Bytes(int(r.U32())))
	}
	if r.err != nil {
		return StatusInvalidFormat
	}
	return StatusOK
}

// UpdateUser is the body of UpdateUser (operation 142, code 35):
//
//	[user Identifier][has_username u8][username str8]?[has_status u8][status u8]?[options TLV...]
//
// Users have no option keys; the service refuses any.
type UpdateUser struct {
	User     Identifier
	Username string     // "": unchanged
	Status   UserStatus // 0: unchanged
	Options  []byte     // raw TLV entries; nil when there are none
}

// Append appends the encoding of u to dst.
func (u *UpdateUser) Append(dst []byte) []byte {
	dst = u.User.Append(dst)
	if u.Username != "" {
		dst = appendStr8(append(dst, 1), u.Username)
	} else {
		dst = append(dst, 0)
	}
	if u.Status != 0 {
		dst = append(dst, 1, byte(u.Status))
	} else {
		dst = append(dst, 0)
	}
	return append(dst, u.Options...)
}

// Decode reads u from b: a username flagged but empty (or cut short) is
// StatusInvalidUsername, a status flagged but 0 StatusInvalidUserStatus,
// anything else malformed StatusInvalidCommand.
func (u *UpdateUser) Decode(b []byte) Status {
	r := NewBodyReader(b)
	u.User = r.looseIdent()
	u.Username, u.Status = "", 0
	if r.Flag() {
		if u.Username = r.Str8(); u.Username == "" {
			return StatusInvalidUsername
		}
	}
	if r.Flag() {
		if u.Status = UserStatus(r.U8()); u.Status == 0 {
			return StatusInvalidUserStatus
		}
	}
	u.Options = r.options()
	return r.Status()
}

// ChangePassword is the body of ChangePassword (operation 144, code 37):
// [user Identifier][current str8][new str8], nothing after.
type ChangePassword struct {
	User         Identifier
	Current, New string
}

// Append appends the encoding of c to dst.
func (c *ChangePassword) Append(dst []byte) []byte {
	return appendStr8(appendStr8(c.User.Append(dst), c.Current), c.New)
}

// Decode reads c from b; a malformed body, or bytes after it, is
// StatusInvalidCommand.
func (c *ChangePassword) Decode(b []byte) Status {
	r := NewBodyReader(b)
	c.User = r.looseIdent()
	c.Current, c.New = r.Str8(), r.Str8()
	r.End()
	return r.Status()
}

// UpdatePermissions is the body of UpdatePermissions (operation 145, code
// 36): [user Identifier][has_permissions u8][permissions_len u32]
// [permissions], nothing after. Permissions nil removes them all.
type UpdatePermissions struct {
	User        Identifier
	Permissions []byte
}

// Append appends the encoding of u to dst.
func (u *UpdatePermissions) Append(dst []byte) []byte {
	return appendPermissions(u.User.Append(dst), u.Permissions)
}

// Decode reads u from b; a malformed body, or bytes after it, is
// StatusInvalidCommand.
func (u *UpdatePermissions) Decode(b []byte) Status {
	r := NewBodyReader(b)
	u.User = r.looseIdent()
	u.Permissions = nil
	if r.Flag() {
		u.Permissions = bytes.Clone(r.Bytes(int(r.U32())))
	}
	r.End()
	return r.Status()
}

// UserRequest is [user Identifier]: the body of GetUser (code 31) and
// DeleteUser (operation 143, code 34).
type UserRequest struct{ User Identifier }

// Append appends the encoding of u to dst.
func (u *UserRequest) Append(dst []byte) []byte { return u.User.Append(dst) }

// Decode reads u from b; a short body is StatusResourceNotFound, as
// DeleteUser answers it (GetUser answers it as no user).
func (u *UserRequest) Decode(b []byte) Status {
	r := NewBodyReader(b)
	u.User = r.looseIdent()
	if r.err != nil {
		return StatusResourceNotFound
	}
	return StatusOK
}

// appendPermissions appends [has_permissions u8][permissions_len u32]
// [permissions], the flag 0 (and nothing else) for nil.
func appendPermissions(dst, perms []byte) []byte {
	if perms == nil {
		return append(dst, 0)
	}
	dst = binary.LittleEndian.AppendUint32(append(dst, 1), uint32(len(perms)))
	return append(dst, perms...)
}

// UserInfo is a user as replies describe it: an entry of GetUsers' reply
// (code 32) and the start of UserDetails.
//
//	[id u32][created_at u64 µs][status u8][username_len u8][username][options_len u32][options]
//
// Users have no options: Append writes options_len 0; decoding skips any.
type UserInfo struct {
	ID        uint32
	CreatedAt uint64 // µs since the Unix epoch
	Status    UserStatus
	Username  string
}

// userInfoMin is the size of a UserInfo with an empty name.
const userInfoMin = 18

// Append appends the encoding of u to dst.
func (u *UserInfo) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint32(dst, u.ID), u.CreatedAt)
	return binary.LittleEndian.AppendUint32(appendStr8(append(dst, byte(u.Status)), u.Username), 0)
}

func (u *UserInfo) read(r *BodyReader) {
	*u = UserInfo{ID: r.U32(), CreatedAt: r.U64(), Status: UserStatus(r.U8()), Username: r.Str8()}
	r.Bytes(int(r.U32())) // options
}

// UserDetails is a user and its permissions: GetUser's reply (code 31)
// and CreateUser's reply payload. [UserInfo][has_permissions u8]
// [permissions_len u32][permissions]; Permissions are Iggy's permissions
// body (DecodePermissions), empty for none.
type UserDetails struct {
	UserInfo
	Permissions []byte
}

// Append appends the encoding of u to dst; empty permissions are written
// as none.
func (u *UserDetails) Append(dst []byte) []byte {
	dst = u.UserInfo.Append(dst)
	if len(u.Permissions) == 0 {
		return append(dst, 0)
	}
	return appendPermissions(dst, u.Permissions)
}

// Decode reads u from a whole body.
func (u *UserDetails) Decode(b []byte) error {
	r := NewBodyReader(b)
	u.UserInfo.read(&r)
	u.Permissions = nil
	if r.U8() == 1 {
		u.Permissions = bytes.Clone(r.Bytes(int(r.U32())))
	}
	return r.End()
}

// AppendUsers appends GetUsers' reply: every UserInfo, with no count.
func AppendUsers(dst []byte, users []UserInfo) []byte { return appendAll(dst, users) }

// DecodeUsers reads GetUsers' reply.
func DecodeUsers(b []byte) ([]UserInfo, error) { return readAll(b, (*UserInfo).read) }
