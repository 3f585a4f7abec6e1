package wire

import "encoding/binary"

// Personal access token requests. Names are [len u8][bytes], checked by
// the metadata; a body with bytes after its fields is
// StatusInvalidCommand.

// CreateToken is the body of CreatePersonalAccessToken (operation 146,
// code 42): [name str8][expiry u64 µs: 0 or math.MaxUint64 never expires].
type CreateToken struct {
	Name   string
	Expiry uint64
}

// Append appends the encoding of c to dst.
func (c *CreateToken) Append(dst []byte) []byte {
	return binary.LittleEndian.AppendUint64(appendStr8(dst, c.Name), c.Expiry)
}

// Decode reads c from b.
func (c *CreateToken) Decode(b []byte) Status {
	r := NewBodyReader(b)
	c.Name, c.Expiry = r.Str8(), r.U64()
	r.End()
	return r.Status()
}

// DeleteToken is the body of DeletePersonalAccessToken (operation 147,
// code 43): [name str8].
type DeleteToken struct{ Name string }

// Append appends the encoding of d to dst.
func (d *DeleteToken) Append(dst []byte) []byte { return appendStr8(dst, d.Name) }

// Decode reads d from b.
func (d *DeleteToken) Decode(b []byte) Status {
	r := NewBodyReader(b)
	d.Name = r.Str8()
	r.End()
	return r.Status()
}

// CreatedToken is CreatePersonalAccessToken's reply payload, the token
// itself: [token_len u8][token]. The server keeps only its hash.
type CreatedToken struct{ Token string }

// Append appends the encoding of c to dst.
func (c *CreatedToken) Append(dst []byte) []byte { return appendStr8(dst, c.Token) }

// Decode reads c from a whole body.
func (c *CreatedToken) Decode(b []byte) error {
	r := NewBodyReader(b)
	c.Token = r.Str8()
	return r.End()
}

// TokenInfo is an entry of GetPersonalAccessTokens' reply (code 41):
// [name_len u8][name][expiry_at u64 µs, 0 never].
type TokenInfo struct {
	Name     string
	ExpiryAt uint64
}

// Append appends the encoding of t to dst.
func (t *TokenInfo) Append(dst []byte) []byte {
	return binary.LittleEndian.AppendUint64(appendStr8(dst, t.Name), t.ExpiryAt)
}

func (t *TokenInfo) read(r *BodyReader) { *t = TokenInfo{Name: r.Str8(), ExpiryAt: r.U64()} }

// AppendTokens appends GetPersonalAccessTokens' reply: every TokenInfo,
// with no count.
func AppendTokens(dst []byte, tokens []TokenInfo) []byte { return appendAll(dst, tokens) }

// DecodeTokens reads GetPersonalAccessTokens' reply.
func DecodeTokens(b []byte) ([]TokenInfo, error) { return readAll(b, (*TokenInfo).read) }
