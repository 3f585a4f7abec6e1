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
