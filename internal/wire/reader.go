package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// BodyReader reads the fields of a request or reply body in order
// (wire.md §3.1): little-endian integers, presence flags, names,
// identifiers and consumers. The first failure sticks: later reads return
// zero values and Err reports the first one, so a decoder checks once, at
// the end. Every decoder of this package, the server's and the client's
// reads bodies through it.
//
// Bytes and Rest alias the body; Name, Str8, String32, Identifier and
// Consumer copy, so what they return outlives the frame (the server
// releases a request frame when its handler returns). Apart from those
// copies, a BodyReader allocates only to describe a failure.
type BodyReader struct {
	b   []byte
	pos int
	err error
}

// NewBodyReader returns a reader at the start of b.
func NewBodyReader(b []byte) BodyReader { return BodyReader{b: b} }

// Err returns the first failure, an ErrMalformedBody, or nil.
func (r *BodyReader) Err() error { return r.err }

// Status is StatusInvalidCommand after a failure, Iggy's answer to a
// request body that does not decode, and StatusOK otherwise.
func (r *BodyReader) Status() Status {
	if r.err != nil {
		return StatusInvalidCommand
	}
	return StatusOK
}

// Pos returns how many bytes have been read.
func (r *BodyReader) Pos() int { return r.pos }

// Len returns how many bytes are left to read.
func (r *BodyReader) Len() int { return len(r.b) - r.pos }

// Fail records a failure, unless one is recorded already.
func (r *BodyReader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at %d", ErrMalformedBody, fmt.Sprintf(format, args...), r.pos)
	}
}

// need reports whether n more bytes can be read, failing r if not. It is
// small enough to inline; short describes the failure.
func (r *BodyReader) need(n int) bool {
	if uint(n) <= uint(len(r.b)-r.pos) && r.err == nil { // a negative n is huge
		return true
	}
	r.short(n)
	return false
}

func (r *BodyReader) short(n int) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: need %d bytes at %d, have %d", ErrMalformedBody, n, r.pos, len(r.b)-r.pos)
	}
}

// U8 reads a byte.
func (r *BodyReader) U8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.pos]
	r.pos++
	return v
}

// U16 reads a little-endian u16.
func (r *BodyReader) U16() uint16 {
	if !r.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(r.b[r.pos:])
	r.pos += 2
	return v
}

// U32 reads a little-endian u32.
func (r *BodyReader) U32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.pos:])
	r.pos += 4
	return v
}

// U64 reads a little-endian u64.
func (r *BodyReader) U64() uint64 {
	if !r.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.pos:])
	r.pos += 8
	return v
}

// Flag reads a presence byte: 0 or 1; any other value fails r.
func (r *BodyReader) Flag() bool {
	v := r.U8()
	if v > 1 {
		r.Fail("flag %d", v)
	}
	return v == 1
}

// Bytes reads n bytes; the slice aliases the body and cannot grow into
// what follows.
func (r *BodyReader) Bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	v := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return v
}

// Rest reads every byte left (nil after a failure); the slice aliases the
// body.
func (r *BodyReader) Rest() []byte { return r.Bytes(r.Len()) }

// str reads n bytes that must be valid UTF-8; the slice aliases the body.
func (r *BodyReader) str(n int) []byte {
	v := r.Bytes(n)
	if r.err == nil && !utf8.Valid(v) {
		r.Fail("invalid UTF-8 of %d bytes", n)
	}
	return v
}

// name reads a WireName, [len u8 1..255][UTF-8]; the slice aliases the
// body.
func (r *BodyReader) name() []byte {
	n := int(r.U8())
	if r.err == nil && n == 0 {
		r.Fail("empty name")
		return nil
	}
	return r.str(n)
}

// Name reads a WireName, [len u8 1..255][UTF-8], as a copy.
func (r *BodyReader) Name() string { return string(r.name()) }

// Str8 reads [len u8][bytes] as a copy: empty and non-UTF-8 values pass
// (passwords and the user commands' names, which their handlers check).
func (r *BodyReader) Str8() string { return string(r.Bytes(int(r.U8()))) }

// String32 reads [len u32][UTF-8] as a copy.
func (r *BodyReader) String32() string { return string(r.str(int(r.U32()))) }

// ident reads an Identifier whose name aliases the body.
func (r *BodyReader) ident() (id Identifier) {
	r.readIdent(&id, false)
	return id
}

// Identifier reads an Identifier: numeric with length 4, or a name of
// 1..255 bytes of UTF-8, copied out of the body. Anything else fails r.
func (r *BodyReader) Identifier() (id Identifier) {
	r.readIdent(&id, true)
	return id
}

// readIdent reads an Identifier into id (filled in place: the decoders'
// hot paths avoid copying it), its name copied if clone is set.
func (r *BodyReader) readIdent(id *Identifier, clone bool) {
	kind := IdentifierKind(r.U8())
	n := int(r.U8())
	switch {
	case r.err != nil:
	case kind == IdentifierNumeric && n == 4:
		id.Kind, id.ID = kind, r.U32()
		return
	case kind == IdentifierString && n > 0:
		id.Kind, id.Name = kind, r.str(n)
		if clone && id.Name != nil {
			id.Name = bytes.Clone(id.Name)
		}
		return
	default:
		r.Fail("identifier kind %d length %d", kind, n)
	}
	*id = Identifier{}
}

// looseIdent reads an Identifier the way Shoal's user commands always
// have: one that is neither numeric (length 4) nor a name decodes as the
// zero Identifier, which names no user, and only a short body fails r. A
// name is copied and may be empty or not UTF-8.
func (r *BodyReader) looseIdent() Identifier {
	kind, n := IdentifierKind(r.U8()), int(r.U8())
	val := r.Bytes(n)
	switch {
	case r.err != nil:
	case kind == IdentifierNumeric && n == 4:
		return NumericID(binary.LittleEndian.Uint32(val))
	case kind == IdentifierString:
		return Identifier{Kind: IdentifierString, Name: bytes.Clone(val)}
	}
	return Identifier{}
}

// consumer reads a Consumer whose name aliases the body.
func (r *BodyReader) consumer() (c Consumer) {
	r.readConsumer(&c, false)
	return c
}

// Consumer reads a Consumer, [kind u8 1..2][Identifier], its name copied.
func (r *BodyReader) Consumer() (c Consumer) {
	r.readConsumer(&c, true)
	return c
}

func (r *BodyReader) readConsumer(c *Consumer, clone bool) {
	c.Kind = ConsumerKind(r.U8())
	r.readIdent(&c.ID, clone)
	if r.err == nil && c.Kind != ConsumerSingle && c.Kind != ConsumerGroup {
		r.Fail("consumer kind %d", c.Kind)
	}
}

// partitioning reads a Partitioning whose key aliases the body.
func (r *BodyReader) partitioning() Partitioning {
	kind := PartitioningKind(r.U8())
	n := int(r.U8())
	if r.err != nil {
		return Partitioning{}
	}
	switch {
	case kind == PartitionBalanced && n == 0:
		return Partitioning{Kind: kind}
	case kind == PartitionByID && n == 4:
		return Partitioning{Kind: kind, Partition: r.U32()}
	case kind == PartitionByMessageID && n > 0:
		return Partitioning{Kind: kind, Key: r.Bytes(n)}
	}
	r.Fail("partitioning kind %d length %d", kind, n)
	return Partitioning{}
}

// counted checks a list count read from the body against the bytes left,
// each entry taking at least min bytes, so a hostile count cannot make a
// decoder allocate more than the body could hold.
func (r *BodyReader) counted(n uint32, min int) bool {
	if r.err != nil {
		return false
	}
	if uint64(n)*uint64(min) > uint64(r.Len()) {
		r.Fail("%d entries of at least %d bytes in %d", n, min, r.Len())
		return false
	}
	return true
}

// End fails r if bytes are left; it returns Err.
func (r *BodyReader) End() error {
	if r.err == nil && r.Len() > 0 {
		r.err = fmt.Errorf("%w: %d bytes after the body", ErrMalformedBody, r.Len())
	}
	return r.err
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

// appendStr8 appends [len u8][s]; s must be at most 255 bytes (the
// caller's check).
func appendStr8(dst []byte, s string) []byte {
	if len(s) > 255 {
		panic(fmt.Sprintf("wire: string of %d bytes", len(s)))
	}
	return append(append(dst, byte(len(s))), s...)
}

// appendLongString appends [len u32][s].
func appendLongString(dst []byte, s string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}
