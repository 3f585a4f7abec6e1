package wire

import "encoding/binary"

// Consumer group requests (wire.md §3.2); see streams.go for what their
// decoders share.

// CreateGroup is the body of CreateConsumerGroup (operation 139, code
// 602): [stream Identifier][topic Identifier][name_len u8][name].
type CreateGroup struct {
	Stream, Topic Identifier
	Name          string
}

// Append appends the encoding of c to dst.
func (c *CreateGroup) Append(dst []byte) []byte {
	return appendStr8(c.Topic.Append(c.Stream.Append(dst)), c.Name)
}

// Decode reads c from b.
func (c *CreateGroup) Decode(b []byte) Status {
	r := NewBodyReader(b)
	c.Stream, c.Topic, c.Name = r.Identifier(), r.Identifier(), r.Name()
	return r.Status()
}

// GroupRequest is [stream Identifier][topic Identifier][group Identifier]:
// the body of DeleteConsumerGroup, JoinConsumerGroup, LeaveConsumerGroup,
// GetConsumerGroup and SyncGroup. (GetConsumerGroups is a TopicRequest.)
type GroupRequest struct{ Stream, Topic, Group Identifier }

// Append appends the encoding of g to dst.
func (g *GroupRequest) Append(dst []byte) []byte {
	return g.Group.Append(g.Topic.Append(g.Stream.Append(dst)))
}

// Decode reads g from b.
func (g *GroupRequest) Decode(b []byte) Status {
	r := NewBodyReader(b)
	g.Stream, g.Topic, g.Group = r.Identifier(), r.Identifier(), r.Identifier()
	return r.Status()
}

// GroupInfo is a consumer group as replies describe it (the group
// header): an entry of GetConsumerGroups' reply and the start of
// GetConsumerGroup's and CreateConsumerGroup's.
//
//	[id u32][partitions_count u32][members_count u32][name_len u8][name]
type GroupInfo struct {
	ID              uint32
	PartitionsCount uint32 // the topic's
	MembersCount    uint32
	Name            string
}

// Append appends the encoding of g to dst.
func (g *GroupInfo) Append(dst []byte) []byte {
	le := binary.LittleEndian
	return appendStr8(le.AppendUint32(le.AppendUint32(le.AppendUint32(dst, g.ID), g.PartitionsCount), g.MembersCount), g.Name)
}

func (g *GroupInfo) read(r *BodyReader) {
	*g = GroupInfo{ID: r.U32(), PartitionsCount: r.U32(), MembersCount: r.U32(), Name: r.Str8()}
}

// GroupMember is a member of a consumer group and the partitions it is
// assigned: [id u32][partitions_count u32][partition u32 × count].
type GroupMember struct {
	ID         uint32
	Partitions []uint32
}

// Append appends the encoding of m to dst.
func (m *GroupMember) Append(dst []byte) []byte {
	return appendU32s(binary.LittleEndian.AppendUint32(dst, m.ID), m.Partitions)
}

func (m *GroupMember) read(r *BodyReader) {
	m.ID = r.U32()
	m.Partitions = r.u32s()
}

// GroupDetails is GetConsumerGroup's reply (code 600), and
// CreateConsumerGroup's reply payload: the group header, then each member
// (MembersCount of them) with its partitions.
type GroupDetails struct {
	GroupInfo
	Members []GroupMember
}

// Append appends the encoding of g to dst; MembersCount is written as set.
func (g *GroupDetails) Append(dst []byte) []byte {
	return appendAll(g.GroupInfo.Append(dst), g.Members)
}

// Decode reads g from a whole body.
func (g *GroupDetails) Decode(b []byte) error {
	r := NewBodyReader(b)
	g.GroupInfo.read(&r)
	g.Members = readList(&r, g.MembersCount, 8, (*GroupMember).read)
	return r.End()
}

// AppendGroups appends GetConsumerGroups' reply (code 601): every
// GroupInfo, with no count.
func AppendGroups(dst []byte, groups []GroupInfo) []byte { return appendAll(dst, groups) }

// DecodeGroups reads GetConsumerGroups' reply.
func DecodeGroups(b []byte) ([]GroupInfo, error) { return readAll(b, (*GroupInfo).read) }

// GroupAssignment is SyncGroup's reply (code 606) to a member: the
// group's generation and the member's partitions,
// [generation u64][count u32][partition u32 × count]. A client that is
// not a member gets an empty body instead.
type GroupAssignment struct {
	Generation uint64
	Partitions []uint32
}

// Append appends the encoding of a to dst.
func (a *GroupAssignment) Append(dst []byte) []byte {
	return appendU32s(binary.LittleEndian.AppendUint64(dst, a.Generation), a.Partitions)
}

// Decode reads a from a whole body.
func (a *GroupAssignment) Decode(b []byte) error {
	r := NewBodyReader(b)
	a.Generation = r.U64()
	a.Partitions = r.u32s()
	return r.End()
}

// appendU32s appends [count u32][v u32 × count].
func appendU32s(dst []byte, vs []uint32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(vs)))
	for _, v := range vs {
		dst = binary.LittleEndian.AppendUint32(dst, v)
	}
	return dst
}

// u32s reads [count u32][v u32 × count]; nil for none.
func (r *BodyReader) u32s() []uint32 {
	return readList(r, r.U32(), 4, func(v *uint32, r *BodyReader) { *v = r.U32() })
}
