package wire

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
