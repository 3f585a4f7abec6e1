package wire

import "bytes"

// Stream requests (wire.md §3.2). Their Decode methods read the fields in
// order and ignore trailing bytes, as Iggy's decoders do, except for
// options blocks, which run to the end of the body and stay raw TLV bytes
// here (the metadata package owns the option catalog and parses them). A
// malformed body is StatusInvalidCommand. Decoded names, identifiers and
// options are copies: they do not alias the body.

// CreateStream is the body of CreateStream (operation 128, code 202):
//
//	[name_len u8][name][options TLV...]
//
// Streams have no option keys; metadata.CreateStreamOp refuses any.
type CreateStream struct {
	Name    string
	Options []byte // raw TLV entries; nil when there are none
}

// Append appends the encoding of c to dst.
func (c *CreateStream) Append(dst []byte) []byte {
	return append(appendStr8(dst, c.Name), c.Options...)
}

// Decode reads c from b.
func (c *CreateStream) Decode(b []byte) Status {
	r := NewBodyReader(b)
	c.Name = r.Name()
	c.Options = r.options()
	return r.Status()
}

// UpdateStream is the body of UpdateStream (operation 129, code 204):
//
//	[stream Identifier][name_len u8][name][options TLV...]
type UpdateStream struct {
	Stream  Identifier
	Name    string
	Options []byte // raw TLV entries; nil when there are none
}

// Append appends the encoding of u to dst.
func (u *UpdateStream) Append(dst []byte) []byte {
	return append(appendStr8(u.Stream.Append(dst), u.Name), u.Options...)
}

// Decode reads u from b.
func (u *UpdateStream) Decode(b []byte) Status {
	r := NewBodyReader(b)
	u.Stream = r.Identifier()
	u.Name = r.Name()
	u.Options = r.options()
	return r.Status()
}

// StreamRequest is [stream Identifier]: the body of DeleteStream,
// PurgeStream, GetStream and GetTopics.
type StreamRequest struct{ Stream Identifier }

// Append appends the encoding of s to dst.
func (s *StreamRequest) Append(dst []byte) []byte { return s.Stream.Append(dst) }

// Decode reads s from b.
func (s *StreamRequest) Decode(b []byte) Status {
	r := NewBodyReader(b)
	s.Stream = r.Identifier()
	return r.Status()
}

// options reads an options block, the rest of the body, as a copy; nil
// when the body ends here or r has failed.
func (r *BodyReader) options() []byte {
	if r.err != nil || r.Len() == 0 {
		return nil
	}
	return bytes.Clone(r.Rest())
}
