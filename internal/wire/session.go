package wire

import (
	"encoding/binary"
	"fmt"
)

// Login bodies (Register, operation 1) and replies, and the result section
// of metadata replies (wire.md §2.3, §2.6).

// LoginPassword is the body of a password login (legacy code 40):
//
//	[ClientVersionInfo][username_len u8 1..255][username][password_len u8][password]
//	[context_len u32][context]
type LoginPassword struct {
	Version  ClientVersionInfo
	Username []byte
	Password []byte
	Context  []byte
}

// Append appends the encoding of l to dst.
func (l *LoginPassword) Append(dst []byte) []byte {
	dst = l.Version.Append(dst)
	dst = appendName(dst, l.Username)
	dst = append(dst, byte(len(l.Password)))
	dst = append(dst, l.Password...)
	dst = appendU32(dst, uint32(len(l.Context)))
	return append(dst, l.Context...)
}

// Decode reads l from b. Trailing bytes are ignored, as Iggy does.
func (l *LoginPassword) Decode(b []byte) error {
	n, err := l.Version.Decode(b)
	if err != nil {
		return err
	}
	d := BodyReader{b: b, pos: n}
	l.Username = d.name()
	l.Password = d.str(int(d.U8()))
	l.Context = d.str(int(d.U32()))
	return d.err
}

// LoginToken is the body of a personal-access-token login (legacy code 45):
//
//	[ClientVersionInfo][token_len u8][token][context_len u32][context]
type LoginToken struct {
	Version ClientVersionInfo
	Token   []byte
	Context []byte
}

// Append appends the encoding of l to dst.
func (l *LoginToken) Append(dst []byte) []byte {
	dst = l.Version.Append(dst)
	dst = append(dst, byte(len(l.Token)))
	dst = append(dst, l.Token...)
	dst = appendU32(dst, uint32(len(l.Context)))
	return append(dst, l.Context...)
}

// Decode reads l from b.
func (l *LoginToken) Decode(b []byte) error {
	n, err := l.Version.Decode(b)
	if err != nil {
		return err
	}
	d := BodyReader{b: b, pos: n}
	l.Token = d.str(int(d.U8()))
	l.Context = d.str(int(d.U32()))
	return d.err
}

// LoginReply is the payload of a successful login reply, after the result
// section:
//
//	[user_id u32][session u64][server_protocol_version u32][server_version_len u8][server_version]
type LoginReply struct {
	UserID                uint32
	Session               Epoch
	ServerProtocolVersion ProtocolVersion
	ServerVersion         []byte
}

// Append appends the encoding of r to dst (without the result section).
func (r *LoginReply) Append(dst []byte) []byte {
	dst = appendU32(dst, r.UserID)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(r.Session))
	dst = appendU32(dst, uint32(r.ServerProtocolVersion))
	return appendName(dst, r.ServerVersion)
}

// Decode reads r from b (the payload after the result section).
func (r *LoginReply) Decode(b []byte) error {
	d := NewBodyReader(b)
	r.UserID = d.U32()
	r.Session = Epoch(d.U64())
	r.ServerProtocolVersion = ProtocolVersion(d.U32())
	r.ServerVersion = d.name()
	return d.err
}

// AppendResultOK appends an empty result section ([count u32 = 0]); the
// payload follows it.
func AppendResultOK(dst []byte) []byte { return appendU32(dst, 0) }

// AppendResultError appends a result section carrying one committed
// rejection: [1][index 0][code].
func AppendResultError(dst []byte, s Status) []byte {
	dst = appendU32(dst, 1)
	dst = appendU32(dst, 0)
	return appendU32(dst, uint32(s))
}

// SplitResult strips the result section from a result-framed reply body.
// It returns the payload and the first entry's status (StatusOK if the
// section is empty).
func SplitResult(body []byte) (payload []byte, status Status, err error) {
	d := NewBodyReader(body)
	count := d.U32()
	if d.err != nil {
		return nil, 0, d.err
	}
	if uint64(count)*8 > uint64(len(body)-4) {
		return nil, 0, fmt.Errorf("%w: result section of %d entries in %d bytes", ErrMalformedBody, count, len(body))
	}
	if count > 0 {
		d.U32() // index
		status = Status(d.U32())
	}
	return body[4+8*int(count):], status, nil
}
