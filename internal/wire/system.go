package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Bodies of the system reads: GetMe (20) and GetClient (21) reply with a
// ClientInfo and its consumer groups; GetClients (22) with concatenated
// ClientInfos; GetStats (10) with Stats.

// ClientTransport is ClientInfo's transport byte.
type ClientTransport uint8

const (
	ClientTransportTCP  ClientTransport = 1
	ClientTransportQUIC ClientTransport = 2
	// Shoal's additions; Iggy's SDK shows them as "Unknown".
	ClientTransportWebSocket ClientTransport = 3
	ClientTransportHTTP      ClientTransport = 4
)

// ClientGroup is one consumer group a client belongs to.
type ClientGroup struct {
	Stream, Topic, Group uint32
}

// ClientInfo describes a connected client:
//
//	[id u32][user_id u32][transport u8][address_len u32][address][consumer_groups_count u32]
//	then, in GetMe and GetClient only, {stream u32, topic u32, group u32} × count
type ClientInfo struct {
	ID        uint32
	UserID    uint32
	Transport ClientTransport
	Address   string
	Groups    []ClientGroup
}

// Append appends c to dst; withGroups appends the group list too (GetMe,
// GetClient).
func (c *ClientInfo) Append(dst []byte, withGroups bool) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, c.ID)
	dst = binary.LittleEndian.AppendUint32(dst, c.UserID)
	dst = append(dst, byte(c.Transport))
	dst = appendLongString(dst, c.Address)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(c.Groups)))
	if withGroups {
		for _, g := range c.Groups {
			dst = binary.LittleEndian.AppendUint32(dst, g.Stream)
			dst = binary.LittleEndian.AppendUint32(dst, g.Topic)
			dst = binary.LittleEndian.AppendUint32(dst, g.Group)
		}
	}
	return dst
}

// DecodeClientInfo reads one ClientInfo from the front of b and returns the
// bytes consumed. With withGroups it reads the group list as well.
func DecodeClientInfo(b []byte, withGroups bool) (ClientInfo, int, error) {
	d := NewBodyReader(b)
	c := ClientInfo{ID: d.U32(), UserID: d.U32(), Transport: ClientTransport(d.U8())}
	c.Address = d.String32()
	n := d.U32()
	if withGroups && d.err == nil {
		if uint64(n)*12 > uint64(len(b)-d.pos) {
			return c, 0, fmt.Errorf("%w: %d groups", ErrMalformedBody, n)
		}
		c.Groups = make([]ClientGroup, n)
		for i := range c.Groups {
			c.Groups[i] = ClientGroup{Stream: d.U32(), Topic: d.U32(), Group: d.U32()}
		}
	}
	return c, d.pos, d.err
}

// Stats is the GetStats reply body.
type Stats struct {
	ProcessID           uint32
	CPUUsage            float32
	TotalCPUUsage       float32
	MemoryUsage         uint64
	TotalMemory         uint64
	AvailableMemory     uint64
	RunTime             uint64 // µs
	StartTime           uint64 // µs since the epoch
	ReadBytes           uint64
	WrittenBytes        uint64
	MessagesSizeBytes   uint64
	StreamsCount        uint32
	TopicsCount         uint32
	PartitionsCount     uint32
	SegmentsCount       uint32
	MessagesCount       uint64
	ClientsCount        uint32
	ConsumerGroupsCount uint32
	Hostname            string
	OSName              string
	OSVersion           string
	KernelVersion       string
	ServerVersion       string
	ServerSemver        uint32
	// Cache metrics (32 bytes each) are not kept by Shoal; the count is 0.
	ThreadsCount   uint32
	FreeDiskSpace  uint64
	TotalDiskSpace uint64
}

// Append appends s to dst.
func (s *Stats) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, s.ProcessID)
	dst = le.AppendUint32(dst, math.Float32bits(s.CPUUsage))
	dst = le.AppendUint32(dst, math.Float32bits(s.TotalCPUUsage))
	for _, v := range []uint64{s.MemoryUsage, s.TotalMemory, s.AvailableMemory, s.RunTime, s.StartTime,
		s.ReadBytes, s.WrittenBytes, s.MessagesSizeBytes} {
		dst = le.AppendUint64(dst, v)
	}
	for _, v := range []uint32{s.StreamsCount, s.TopicsCount, s.PartitionsCount, s.SegmentsCount} {
		dst = le.AppendUint32(dst, v)
	}
	dst = le.AppendUint64(dst, s.MessagesCount)
	dst = le.AppendUint32(dst, s.ClientsCount)
	dst = le.AppendUint32(dst, s.ConsumerGroupsCount)
	for _, str := range []string{s.Hostname, s.OSName, s.OSVersion, s.KernelVersion, s.ServerVersion} {
		dst = appendLongString(dst, str)
	}
	dst = le.AppendUint32(dst, s.ServerSemver)
	dst = le.AppendUint32(dst, 0) // cache metrics
	dst = le.AppendUint32(dst, s.ThreadsCount)
	dst = le.AppendUint64(dst, s.FreeDiskSpace)
	return le.AppendUint64(dst, s.TotalDiskSpace)
}

// Decode reads s from b; cache metrics entries are skipped.
func (s *Stats) Decode(b []byte) error {
	d := NewBodyReader(b)
	s.ProcessID = d.U32()
	s.CPUUsage = math.Float32frombits(d.U32())
	s.TotalCPUUsage = math.Float32frombits(d.U32())
	for _, p := range []*uint64{&s.MemoryUsage, &s.TotalMemory, &s.AvailableMemory, &s.RunTime, &s.StartTime,
		&s.ReadBytes, &s.WrittenBytes, &s.MessagesSizeBytes} {
		*p = d.U64()
	}
	for _, p := range []*uint32{&s.StreamsCount, &s.TopicsCount, &s.PartitionsCount, &s.SegmentsCount} {
		*p = d.U32()
	}
	s.MessagesCount = d.U64()
	s.ClientsCount = d.U32()
	s.ConsumerGroupsCount = d.U32()
	for _, p := range []*string{&s.Hostname, &s.OSName, &s.OSVersion, &s.KernelVersion, &s.ServerVersion} {
		*p = d.String32()
	}
	s.ServerSemver = d.U32()
	d.Bytes(int(d.U32()) * 32)
	s.ThreadsCount = d.U32()
	s.FreeDiskSpace = d.U64()
	s.TotalDiskSpace = d.U64()
	return d.err
}

// ClientRequest is the body of GetClient (code 21): [client_id u32]. A
// short body is StatusInvalidFormat.
type ClientRequest struct{ ID uint32 }

// Append appends the encoding of c to dst.
func (c *ClientRequest) Append(dst []byte) []byte { return binary.LittleEndian.AppendUint32(dst, c.ID) }

// Decode reads c from b.
func (c *ClientRequest) Decode(b []byte) Status {
	r := NewBodyReader(b)
	c.ID = r.U32()
	if r.err != nil {
		return StatusInvalidFormat
	}
	return StatusOK
}

// DescribeOptions is the body of DescribeOptions (code 13): [scope u8]
// (1 topic, 2 stream, 3 user; the metadata answers the scope).
type DescribeOptions struct{ Scope uint8 }

// Append appends the encoding of d to dst.
func (d *DescribeOptions) Append(dst []byte) []byte { return append(dst, d.Scope) }

// Decode reads d from b.
func (d *DescribeOptions) Decode(b []byte) Status {
	r := NewBodyReader(b)
	d.Scope = r.U8()
	return r.Status()
}

// SnapshotRequest is the body of GetSnapshot (code 11):
// [compression u8][types_count u8][type u8 × count]. internal/admin
// checks the values.
type SnapshotRequest struct {
	Compression uint8
	Types       []uint8 // nil when there are none
}

// Append appends the encoding of s to dst; at most 255 types.
func (s *SnapshotRequest) Append(dst []byte) []byte {
	if len(s.Types) > 255 {
		panic("wire: more than 255 snapshot types")
	}
	return append(append(dst, s.Compression, byte(len(s.Types))), s.Types...)
}

// Decode reads s from b.
func (s *SnapshotRequest) Decode(b []byte) Status {
	r := NewBodyReader(b)
	s.Compression = r.U8()
	s.Types = append([]uint8(nil), r.Bytes(int(r.U8()))...)
	return r.Status()
}
