package metadata

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/shoal-io/shoal/internal/wire"
)

// ErrMalformed is returned by Decode for bytes that are not a valid
// operation of a known layout.
var ErrMalformed = errors.New("metadata: malformed operation")

// Op is one metadata operation. Encode turns it into the bytes that are
// journaled; Decode turns them back.
type Op interface {
	Kind() Kind
	// appendBody appends the body (everything after the kind byte).
	appendBody(b []byte) []byte
}

// Encode returns the versioned encoding of op.
func Encode(op Op) []byte { return AppendOp(nil, op) }

// AppendOp appends the versioned encoding of op to b.
func AppendOp(b []byte, op Op) []byte {
	b = append(b, EncodingVersion, byte(op.Kind()))
	return op.appendBody(b)
}

// decoders holds the body decoder of every implemented Kind.
var decoders = map[Kind]func(d *decoder) Op{
	KindCreateUser:        decodeCreateUser,
	KindUpdateUser:        decodeUpdateUser,
	KindDeleteUser:        decodeDeleteUser,
	KindChangePassword:    decodeChangePassword,
	KindUpdatePermissions: decodeUpdatePermissions,
	KindRegister:          decodeRegister,
	KindLogout:            decodeLogout,
}

// errUnimplemented marks a declared kind that has no handler yet.
var errUnimplemented = errors.New("metadata: operation not implemented")

// Decode parses an encoded operation. The result does not alias b.
func Decode(b []byte) (Op, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	if b[0] != EncodingVersion {
		return nil, fmt.Errorf("%w: encoding version %d", ErrMalformed, b[0])
	}
	kind := Kind(b[1])
	dec, ok := decoders[kind]
	if !ok {
		return nil, fmt.Errorf("%w: %v", errUnimplemented, kind)
	}
	d := &decoder{b: b[2:]}
	op := dec(d)
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %v: %v", ErrMalformed, kind, d.err)
	}
	return op, nil
}

// UserStatus is a user's status (wire.UserStatus).
type UserStatus = wire.UserStatus

// User statuses.
const (
	UserActive   = wire.UserActive
	UserInactive = wire.UserInactive
)

// CreateUser adds a user. The state assigns the id: the next unused one,
// so the first user created (the root) gets RootUserID.
type CreateUser struct {
	Timestamp   uint64 // creation time, µs since the Unix epoch, from the proposer
	Status      UserStatus
	Username    string
	Password    PasswordHash
	Permissions []byte // Iggy's permissions body, opaque; empty means none
}

// UpdateUser renames a user and/or changes its status.
type UpdateUser struct {
	UserID   uint32
	Username string     // new name; empty leaves it
	Status   UserStatus // new status; 0 leaves it
}

// DeleteUser removes a user. The root user cannot be deleted.
type DeleteUser struct{ UserID uint32 }

// ChangePassword replaces a user's password hash. The proposer checks the
// current password before proposing.
type ChangePassword struct {
	UserID   uint32
	Password PasswordHash
}

// UpdatePermissions replaces a user's permissions.
type UpdatePermissions struct {
	UserID      uint32
	Permissions []byte
}

func (CreateUser) Kind() Kind        { return KindCreateUser }
func (UpdateUser) Kind() Kind        { return KindUpdateUser }
func (DeleteUser) Kind() Kind        { return KindDeleteUser }
func (ChangePassword) Kind() Kind    { return KindChangePassword }
func (UpdatePermissions) Kind() Kind { return KindUpdatePermissions }

const (
	updateUsername = 1 << 0
	updateStatus   = 1 << 1
)

func (o CreateUser) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, o.Timestamp)
	b = append(b, byte(o.Status))
	b = appendStr8(b, o.Username)
	b = appendHash(b, o.Password)
	return appendBytes32(b, o.Permissions)
}

func (o UpdateUser) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, o.UserID)
	var flags byte
	if o.Username != "" {
		flags |= updateUsername
	}
	if o.Status != 0 {
		flags |= updateStatus
	}
	b = append(b, flags)
	if o.Username != "" {
		b = appendStr8(b, o.Username)
	}
	if o.Status != 0 {
		b = append(b, byte(o.Status))
	}
	return b
}

func (o DeleteUser) appendBody(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, o.UserID)
}

func (o ChangePassword) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, o.UserID)
	return appendHash(b, o.Password)
}

func (o UpdatePermissions) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, o.UserID)
	return appendBytes32(b, o.Permissions)
}

func decodeCreateUser(d *decoder) Op {
	return CreateUser{Timestamp: d.u64(), Status: UserStatus(d.u8()), Username: d.str8(), Password: d.hash(), Permissions: d.bytes32()}
}

func decodeUpdateUser(d *decoder) Op {
	o := UpdateUser{UserID: d.u32()}
	flags := d.u8()
	if flags&^(updateUsername|updateStatus) != 0 {
		d.fail("unknown flags %#x", flags)
	}
	if flags&updateUsername != 0 {
		if o.Username = d.str8(); o.Username == "" {
			d.fail("empty username with the username flag")
		}
	}
	if flags&updateStatus != 0 {
		if o.Status = UserStatus(d.u8()); o.Status == 0 {
			d.fail("status 0 with the status flag")
		}
	}
	return o
}

func decodeDeleteUser(d *decoder) Op { return DeleteUser{UserID: d.u32()} }

func decodeChangePassword(d *decoder) Op {
	return ChangePassword{UserID: d.u32(), Password: d.hash()}
}

func decodeUpdatePermissions(d *decoder) Op {
	return UpdatePermissions{UserID: d.u32(), Permissions: d.bytes32()}
}

func appendStr8(b []byte, s string) []byte {
	if len(s) > 255 {
		panic(fmt.Sprintf("metadata: str8 of %d bytes", len(s))) // callers validate lengths first
	}
	return append(append(b, byte(len(s))), s...)
}

func appendBytes32(b, p []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

func appendHash(b []byte, h PasswordHash) []byte {
	b = append(b, hashArgon2id)
	b = binary.LittleEndian.AppendUint32(b, h.Time)
	b = binary.LittleEndian.AppendUint32(b, h.Memory)
	b = append(b, h.Threads, byte(len(h.Salt)))
	b = append(b, h.Salt...)
	b = append(b, byte(len(h.Key)))
	return append(b, h.Key...)
}

// decoder reads primitives from b; the first failure sticks in err and
// later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("need %d bytes, have %d", n, len(d.b))
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() uint8 {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) str8() string { return string(d.take(int(d.u8()))) }

func (d *decoder) bytes32() []byte {
	n := d.u32()
	if p := d.take(int(n)); len(p) > 0 {
		return append([]byte(nil), p...)
	}
	return nil
}

func (d *decoder) hash() PasswordHash {
	if alg := d.u8(); d.err == nil && alg != hashArgon2id {
		d.fail("unknown password hash algorithm %d", alg)
	}
	h := PasswordHash{Time: d.u32(), Memory: d.u32(), Threads: d.u8()}
	h.Salt = append([]byte(nil), d.take(int(d.u8()))...)
	h.Key = append([]byte(nil), d.take(int(d.u8()))...)
	if d.err == nil {
		if err := h.validate(len(h.Key)); err != nil {
			d.fail("%v", err)
		}
	}
	return h
}
