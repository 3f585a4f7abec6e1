package wire

import (
	"bytes"
	"encoding/binary"
)

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

// StreamInfo is a stream as replies describe it (StreamResponse): the
// payload of CreateStream's reply, an entry of GetStreams' and the start
// of GetStream's.
//
//	[id u32][created_at u64 µs][topics_count u32][size_bytes u64][messages_count u64]
//	[name_len u8][name][options_len u32][options TLV]
//
// Reply decoders read names as [len u8][bytes] without checks, and fail
// on a short body, on counts the body cannot hold and, for a whole body,
// on bytes after it.
type StreamInfo struct {
	ID          uint32
	CreatedAt   uint64 // µs since the Unix epoch
	TopicsCount uint32
	Size        uint64 // bytes of its partitions' messages
	Messages    uint64
	Name        string
	Options     []byte // raw TLV entries; streams have none
}

// streamInfoMin is the size of a StreamInfo with an empty name.
const streamInfoMin = 37

// Append appends the encoding of s to dst.
func (s *StreamInfo) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint64(le.AppendUint32(dst, s.ID), s.CreatedAt)
	dst = le.AppendUint64(le.AppendUint64(le.AppendUint32(dst, s.TopicsCount), s.Size), s.Messages)
	return appendBlock(appendStr8(dst, s.Name), s.Options)
}

func (s *StreamInfo) read(r *BodyReader) {
	*s = StreamInfo{ID: r.U32(), CreatedAt: r.U64(), TopicsCount: r.U32(), Size: r.U64(), Messages: r.U64(), Name: r.Str8()}
	s.Options = r.block()
}

// Decode reads s from a whole body.
func (s *StreamInfo) Decode(b []byte) error {
	r := NewBodyReader(b)
	s.read(&r)
	return r.End()
}

// StreamDetails is GetStream's reply (code 200): the stream, then a
// TopicInfo per topic (TopicsCount of them), by id.
type StreamDetails struct {
	StreamInfo
	Topics []TopicInfo
}

// Append appends the encoding of s to dst; TopicsCount is written as set.
func (s *StreamDetails) Append(dst []byte) []byte {
	return appendAll(s.StreamInfo.Append(dst), s.Topics)
}

// Decode reads s from a whole body.
func (s *StreamDetails) Decode(b []byte) error {
	r := NewBodyReader(b)
	s.StreamInfo.read(&r)
	s.Topics = readList(&r, s.TopicsCount, topicInfoMin, (*TopicInfo).read)
	return r.End()
}

// AppendStreams appends GetStreams' reply (code 201): every StreamInfo,
// with no count.
func AppendStreams(dst []byte, streams []StreamInfo) []byte { return appendAll(dst, streams) }

// DecodeStreams reads GetStreams' reply.
func DecodeStreams(b []byte) ([]StreamInfo, error) {
	return readAll(b, (*StreamInfo).read)
}

// appendBlock appends [len u32][entries].
func appendBlock(dst, entries []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(dst, uint32(len(entries))), entries...)
}

// block reads [len u32][entries] as a copy of the entries; nil when empty.
func (r *BodyReader) block() []byte {
	b := r.Bytes(int(r.U32()))
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// appendAll appends every entry of vs.
func appendAll[T any, P interface {
	*T
	Append([]byte) []byte
}](dst []byte, vs []T) []byte {
	for i := range vs {
		dst = P(&vs[i]).Append(dst)
	}
	return dst
}

// readList reads n entries, each at least min bytes, into a new slice
// (nil for none); a count the body cannot hold fails r.
func readList[T any](r *BodyReader, n uint32, min int, read func(*T, *BodyReader)) []T {
	if n == 0 || !r.counted(n, min) {
		return nil
	}
	out := make([]T, n)
	for i := range out {
		read(&out[i], r)
	}
	if r.err != nil {
		return nil
	}
	return out
}

// readAll reads entries until the body ends, for the lists with no count.
func readAll[T any](b []byte, read func(*T, *BodyReader)) ([]T, error) {
	r := NewBodyReader(b)
	var out []T
	for r.Len() > 0 && r.err == nil {
		var v T
		read(&v, &r)
		out = append(out, v)
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}
