package metadata

import (
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// A committed State is immutable: the Store publishes one per commit and
// readers on every shard use it without a lock. The next commit applies to
// a copy made by next, which shares with its parent only what the
// operation cannot change. The copy is shallow where the apply path
// replaces values and deep where it edits them in place:
//
//	table      copied for                                   depth
//	users      user operations, DeleteUser                  map and each *User
//	byName     user operations, DeleteUser                  map
//	sessions   Register, Logout                             map (entries are replaced, never edited)
//	streams    stream, topic, partition, group operations;  every Stream, Topic and Group, their maps
//	           Logout of a session that is a group member   and slices
//	tokens     token operations, DeleteUser                 both maps, each user's map
//
// TestNextSharesNothingMutable applies every kind of operation to a copy
// and checks that the parent's digest did not move.

// next returns a copy of s that the apply of o may change without changing
// s.
func (s *State) next(o Op) *State {
	n := *s
	switch o := o.(type) {
	case CreateUser, UpdateUser, ChangePassword, UpdatePermissions:
		n.copyUsers()
	case DeleteUser:
		n.copyUsers()
		n.tokens = s.tokens.clone()
	case CreatePersonalAccessToken, DeletePersonalAccessToken:
		n.tokens = s.tokens.clone()
	case Register:
		n.sessions = maps.Clone(s.sessions)
	case Logout:
		n.sessions = maps.Clone(s.sessions)
		if s.inAnyGroup(o.Client) {
			n.streams = s.streams.clone()
		}
	default:
		n.streams = s.streams.clone()
	}
	return &n
}

func (s *State) copyUsers() {
	users := make(map[uint32]*User, len(s.users))
	for id, u := range s.users {
		c := *u // Password, Permissions and perms are replaced, never edited
		users[id] = &c
	}
	s.users = users
	s.byName = maps.Clone(s.byName)
}

// Preview returns the Result applying o would give, effects included,
// without changing s: the apply runs on a copy (next). The metadata
// writer previews an operation that creates partitions, creates them, and
// only then journals it, so a topic is never acknowledged without its
// partitions.
func (s *State) Preview(o Op) Result {
	if r := s.Check(o); !r.OK() {
		return r
	}
	return s.next(o).ApplyOp(o)
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	n := *s
	n.copyUsers()
	n.sessions = maps.Clone(s.sessions)
	n.streams = s.streams.clone()
	n.tokens = s.tokens.clone()
	return &n
}

// inAnyGroup reports whether client is a member of any consumer group.
func (s *State) inAnyGroup(client wire.ClientID) bool {
	for _, st := range s.streams.streams {
		for _, tp := range st.topics {
			for _, g := range tp.groups {
				if g.member(client) >= 0 {
					return true
				}
			}
		}
	}
	return false
}

func (t streamTable) clone() streamTable {
	if t.streams == nil {
		return t
	}
	n := t
	n.streams = make(map[uint32]*Stream, len(t.streams))
	for id, st := range t.streams {
		n.streams[id] = st.clone()
	}
	n.byName = maps.Clone(t.byName)
	return n
}

func (st *Stream) clone() *Stream {
	c := *st
	c.topics = make(map[uint32]*Topic, len(st.topics))
	for id, tp := range st.topics {
		c.topics[id] = tp.clone()
	}
	c.topicIDs = maps.Clone(st.topicIDs)
	return &c
}

func (tp *Topic) clone() *Topic {
	c := *tp
	c.Partitions = slices.Clone(tp.Partitions)
	c.groups = make(map[uint32]*Group, len(tp.groups))
	for id, g := range tp.groups {
		c.groups[id] = g.clone()
	}
	c.groupIDs = maps.Clone(tp.groupIDs)
	return &c
}

func (g *Group) clone() *Group {
	c := *g
	c.Members = slices.Clone(g.Members)
	for i := range c.Members {
		c.Members[i].Partitions = slices.Clone(g.Members[i].Partitions)
	}
	return &c
}

func (t tokenTable) clone() tokenTable {
	if t.byUser == nil {
		return t
	}
	n := tokenTable{byUser: make(map[uint32]map[string]*AccessToken, len(t.byUser)), byHash: maps.Clone(t.byHash)}
	for u, m := range t.byUser {
		n.byUser[u] = maps.Clone(m) // tokens are replaced, never edited
	}
	return n
}
