package wire

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
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
	d := decoder{b: b, pos: n}
	l.Username = d.name()
	l.Password = d.str(int(d.u8()))
	l.Context = d.str(int(d.u32()))
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
	d := decoder{b: b, pos: n}
	l.Token = d.str(int(d.u8()))
	l.Context = d.str(int(d.u32()))
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
	d := decoder{b: b}
	r.UserID = d.u32()
	r.Session = Epoch(d.u64())
	r.ServerProtocolVersion = ProtocolVersion(d.u32())
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
	d := decoder{b: body}
	count := d.u32()
	if d.err != nil {
		return nil, 0, d.err
	}
	if uint64(count)*8 > uint64(len(body)-4) {
		return nil, 0, fmt.Errorf("%w: result section of %d entries in %d bytes", ErrMalformedBody, count, len(body))
	}
	if count > 0 {
		d.u32() // index
		status = Status(d.u32())
	}
	return body[4+8*int(count):], status, nil
}

// decoder reads little-endian fields from b, remembering the first error so
// callers check once at the end. It never allocates.
type decoder struct {
	b   []byte
	pos int
	err error
}

func (d *decoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || len(d.b)-d.pos < n {
		d.err = fmt.Errorf("%w: need %d bytes at %d, have %d", ErrMalformedBody, n, d.pos, len(d.b)-d.pos)
		return false
	}
	return true
}

func (d *decoder) u8() uint8 {
	if !d.need(1) {
		return 0
	}
	v := d.b[d.pos]
	d.pos++
	return v
}

func (d *decoder) u32() uint32 {
	if !d.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.pos:])
	d.pos += 4
	return v
}

func (d *decoder) u64() uint64 {
	if !d.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.pos:])
	d.pos += 8
	return v
}

func (d *decoder) bytes(n int) []byte {
	if !d.need(n) {
		return nil
	}
	v := d.b[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return v
}

// str reads n bytes that must be valid UTF-8.
func (d *decoder) str(n int) []byte {
	v := d.bytes(n)
	if d.err == nil && !utf8.Valid(v) {
		d.err = fmt.Errorf("%w: invalid UTF-8 at %d", ErrMalformedBody, d.pos-n)
	}
	return v
}

// name reads a WireName: [len u8 1..255][UTF-8].
func (d *decoder) name() []byte {
	n := int(d.u8())
	if d.err == nil && n == 0 {
		d.err = fmt.Errorf("%w: empty name at %d", ErrMalformedBody, d.pos-1)
		return nil
	}
	return d.str(n)
}

func appendU32(dst []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(dst, v) }

// appendName appends a WireName. Names longer than 255 bytes are a caller
// bug.
func appendName(dst, name []byte) []byte {
	if len(name) == 0 || len(name) > 255 {
		panic(fmt.Sprintf("wire: name of %d bytes", len(name)))
	}
	dst = append(dst, byte(len(name)))
	return append(dst, name...)
}
