package metadata

import (
	"cmp"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// Reads for the admin commands: GetStats counts, GetMe, GetClient and
// GetClients list group memberships. They run on a committed State, take
// no lock and allocate only what they return.

// Totals are the numbers of streams, topics, partitions and consumer
// groups a State holds.
type Totals struct {
	Streams, Topics, Partitions, Groups int
}

// Totals counts s's streams, topics, partitions and consumer groups.
func (s *State) Totals() Totals {
	n := Totals{Streams: len(s.streams.streams)}
	for _, st := range s.streams.streams {
		n.Topics += len(st.topics)
		for _, tp := range st.topics {
			n.Partitions += len(tp.Partitions)
			n.Groups += len(tp.groups)
		}
	}
	return n
}

// EachPartition calls fn for every partition, in no particular order (for
// sums over the partitions' counters).
func (s *State) EachPartition(fn func(stream, topic, partition uint32)) {
	for _, st := range s.streams.streams {
		for _, tp := range st.topics {
			for _, p := range tp.Partitions {
				fn(st.ID, tp.ID, p.ID)
			}
		}
	}
}

// GroupsOf returns the consumer groups client (a session's VSR client id,
// the key of group membership, wire.md §2.8) is a member of, by stream,
// topic and group id: the list GetMe and GetClient reply with.
func (s *State) GroupsOf(client wire.ClientID) []wire.ClientGroup {
	var out []wire.ClientGroup
	s.eachMembership(func(c wire.ClientID, g wire.ClientGroup) {
		if c == client {
			out = append(out, g)
		}
	})
	slices.SortFunc(out, compareGroups)
	return out
}

// GroupsByClient returns GroupsOf of every client that is a member of a
// group, in one pass (GetClients).
func (s *State) GroupsByClient() map[wire.ClientID][]wire.ClientGroup {
	out := map[wire.ClientID][]wire.ClientGroup{}
	s.eachMembership(func(c wire.ClientID, g wire.ClientGroup) { out[c] = append(out[c], g) })
	for _, gs := range out {
		slices.SortFunc(gs, compareGroups)
	}
	return out
}

// eachMembership calls fn for every (member, group) pair, in no
// particular order.
func (s *State) eachMembership(fn func(client wire.ClientID, g wire.ClientGroup)) {
	for _, st := range s.streams.streams {
		for _, tp := range st.topics {
			for _, g := range tp.groups {
				for _, m := range g.Members {
					fn(m.Client, wire.ClientGroup{Stream: st.ID, Topic: tp.ID, Group: g.ID})
				}
			}
		}
	}
}

func compareGroups(a, b wire.ClientGroup) int {
	return cmp.Or(cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Group, b.Group))
}
