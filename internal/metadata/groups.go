package metadata

import (
	"cmp"
	"encoding/binary"
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// Group is a consumer group of a topic.
//
// Invariant: Members is sorted by ID; member ids are the lowest free at
// join; every partition id appears in at most one member's Partitions.
type Group struct {
	ID         uint32
	Name       string
	Generation uint64 // bumped by every rebalance
	Members    []Member
}

// Member is a group member: the VSR client id of the session that joined.
type Member struct {
	ID         uint32
	Client     wire.ClientID
	Partitions []uint32
}

func (g *Group) member(c wire.ClientID) int {
	return slices.IndexFunc(g.Members, func(m Member) bool { return m.Client == c })
}

func (tp *Topic) partitionIDs() []uint32 {
	ids := make([]uint32, len(tp.Partitions))
	for i := range ids {
		ids[i] = uint32(i)
	}
	return ids
}

// rebalance assigns every partition afresh, round robin over the members
// in id order (Leave, and partition count changes).
func (g *Group) rebalance(partitions []uint32) {
	g.Generation++
	for i := range g.Members {
		g.Members[i].Partitions = nil
	}
	if len(g.Members) == 0 {
		return
	}
	for i, p := range partitions {
		m := &g.Members[i%len(g.Members)]
		m.Partitions = append(m.Partitions, p)
	}
}

// rebalanceCooperative is Join's rebalance: unassigned partitions go to
// idle members round robin, then members above their fair share hand
// their excess (highest ids first) to members still idle. Nothing else
// moves, so a single member gets every partition.
func (g *Group) rebalanceCooperative(partitions []uint32) {
	g.Generation++
	n := len(g.Members)
	if n == 0 || len(partitions) == 0 {
		return
	}
	assigned := map[uint32]bool{}
	for _, m := range g.Members {
		for _, p := range m.Partitions {
			assigned[p] = true
		}
	}
	idle := func() []int {
		var out []int
		for i, m := range g.Members {
			if len(m.Partitions) == 0 {
				out = append(out, i)
			}
		}
		return out
	}
	if ids := idle(); len(ids) > 0 {
		k := 0
		for _, p := range partitions {
			if !assigned[p] {
				m := &g.Members[ids[k%len(ids)]]
				m.Partitions = append(m.Partitions, p)
				k++
			}
		}
	}
	ids := idle()
	if len(ids) == 0 {
		return
	}
	fair, extra := len(partitions)/n, len(partitions)%n
	var excess []uint32
	for i := range g.Members {
		m := &g.Members[i]
		allowed := fair
		if extra > 0 {
			allowed++
			extra--
		}
		if len(m.Partitions) > allowed && allowed > 0 {
			excess = append(excess, m.Partitions[allowed:]...)
			m.Partitions = m.Partitions[:allowed:allowed]
		}
	}
	for i, p := range excess {
		m := &g.Members[ids[i%len(ids)]]
		m.Partitions = append(m.Partitions, p)
	}
	for i := range g.Members {
		slices.Sort(g.Members[i].Partitions)
	}
}

// rebalanceGroups rebalances every group of tp after its partitions
// changed.
func (tp *Topic) rebalanceGroups() {
	ids := tp.partitionIDs()
	for _, gid := range slices.Sorted(maps.Keys(tp.groups)) {
		tp.groups[gid].rebalance(ids)
	}
}

func (s *State) checkGroup(o Op) Result {
	t := &s.streams
	fail := func(st wire.Status) Result { return Result{Status: st} }
	switch o := o.(type) {
	case CreateConsumerGroup:
		if !validName(o.Name) {
			return fail(wire.StatusInvalidConsumerGroupName)
		}
		tp, st := t.topic(o.Stream, o.Topic)
		if tp == nil {
			return fail(st)
		}
		if _, taken := tp.groupIDs[o.Name]; taken {
			return fail(wire.StatusConsumerGroupNameAlreadyExists)
		}
		if tp.nextGroup >= maxGroupsPerTopic {
			return fail(wire.StatusInvalidConsumerGroupId)
		}
	case DeleteConsumerGroup:
		_, _, st := t.group(o.Stream, o.Topic, o.Group)
		return fail(st)
	case JoinConsumerGroup:
		if o.Client.IsZero() {
			return fail(wire.StatusInvalidCommand)
		}
		_, g, st := t.group(o.Stream, o.Topic, o.Group)
		if g != nil && g.member(o.Client) < 0 && len(g.Members) >= maxMembersPerGroup {
			return fail(wire.StatusInvalidConsumerGroupId)
		}
		return fail(st)
	case LeaveConsumerGroup:
		_, g, st := t.group(o.Stream, o.Topic, o.Group)
		if g == nil {
			return fail(st)
		}
		if g.member(o.Client) < 0 {
			return fail(wire.StatusConsumerGroupMemberNotFound)
		}
	}
	return Result{}
}

func (s *State) applyGroup(o Op) Result {
	t := &s.streams
	switch o := o.(type) {
	case CreateConsumerGroup:
		tp, _ := t.topic(o.Stream, o.Topic)
		id := tp.nextGroup
		tp.nextGroup++
		tp.groups[id] = &Group{ID: id, Name: o.Name}
		tp.groupIDs[o.Name] = id
		return Result{ID: id}
	case DeleteConsumerGroup:
		tp, g, _ := t.group(o.Stream, o.Topic, o.Group)
		delete(tp.groupIDs, g.Name)
		delete(tp.groups, g.ID)
	case JoinConsumerGroup:
		tp, g, _ := t.group(o.Stream, o.Topic, o.Group)
		if g.member(o.Client) >= 0 {
			return Result{ID: g.ID} // joining again keeps the membership
		}
		used := map[uint32]bool{}
		for _, m := range g.Members {
			used[m.ID] = true
		}
		id := uint32(0)
		for used[id] {
			id++
		}
		g.Members = append(g.Members, Member{ID: id, Client: o.Client})
		slices.SortFunc(g.Members, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
		g.rebalanceCooperative(tp.partitionIDs())
		return Result{ID: g.ID}
	case LeaveConsumerGroup:
		tp, g, _ := t.group(o.Stream, o.Topic, o.Group)
		g.Members = slices.Delete(g.Members, g.member(o.Client), g.member(o.Client)+1)
		g.rebalance(tp.partitionIDs())
		return Result{ID: g.ID}
	}
	return Result{}
}

// onLogout drops a client whose session a Logout ends from every group
// it joined (wire.md §2.10), rebalancing those groups. A stale Logout
// (another epoch) changes nothing.
func (s *State) onLogout(o Logout) {
	if e := s.sessions[o.Client]; e == nil || e.Epoch != o.Epoch {
		return
	}
	t := &s.streams
	for _, sid := range slices.Sorted(maps.Keys(t.streams)) {
		st := t.streams[sid]
		for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
			tp := st.topics[tid]
			for _, gid := range slices.Sorted(maps.Keys(tp.groups)) {
				g := tp.groups[gid]
				if i := g.member(o.Client); i >= 0 {
					g.Members = slices.Delete(g.Members, i, i+1)
					g.rebalance(tp.partitionIDs())
				}
			}
		}
	}
}

func (g *Group) appendDigest(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, g.ID)
	b = appendStr8(b, g.Name)
	b = binary.LittleEndian.AppendUint64(b, g.Generation)
	for _, m := range g.Members {
		b = binary.LittleEndian.AppendUint32(b, m.ID)
		b = appendClient(b, m.Client)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Partitions)))
		for _, p := range m.Partitions {
			b = binary.LittleEndian.AppendUint32(b, p)
		}
	}
	return b
}

// Assignment returns client's partitions in a group and the group's
// generation; ok is false if the client is not a member (SyncGroup's
// empty reply) and status says why when the group is not found.
func (s *State) Assignment(stream, topic, group wire.Identifier, client wire.ClientID) (gen uint64, partitions []uint32, ok bool, status wire.Status) {
	_, g, status := s.streams.group(stream, topic, group)
	if g == nil {
		return 0, nil, false, status
	}
	i := g.member(client)
	if i < 0 {
		return g.Generation, nil, false, wire.StatusOK
	}
	return g.Generation, slices.Clone(g.Members[i].Partitions), true, wire.StatusOK
}

// ResolveGroup returns the id of a group (consumer offsets of a group are
// keyed by it, wire.md §3.5), or the status of the level not found.
func (s *State) ResolveGroup(stream, topic, group wire.Identifier) (uint32, wire.Status) {
	_, g, status := s.streams.group(stream, topic, group)
	if g == nil {
		return 0, status
	}
	return g.ID, wire.StatusOK
}
