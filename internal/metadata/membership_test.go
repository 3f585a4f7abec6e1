package metadata

import (
	"maps"
	"slices"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// GroupsOf lists a client's groups by stream, topic and group id, whatever
// the order of the joins; GroupsByClient agrees with it for every client;
// Totals counts every topic's groups, members or not. Leave, a logout
// and a deleted stream take groups off the lists (issue #15 item 15: what
// GetMe, GetClient and GetStats report).
func TestGroupMemberships(t *testing.T) {
	s := groupState(t, 2) // s0/t0/g0
	apply(t, s, CreateStream{Name: "s1"}, wire.StatusOK)
	apply(t, s, CreateTopic{Stream: num(1), Partitions: 1, Name: "t0"}, wire.StatusOK)
	apply(t, s, CreateTopic{Stream: num(1), Partitions: 1, Name: "t1"}, wire.StatusOK)
	for _, name := range []string{"x", "y"} {
		apply(t, s, CreateConsumerGroup{Stream: num(1), Topic: num(1), Name: name}, wire.StatusOK)
	}
	apply(t, s, CreateConsumerGroup{Stream: num(0), Topic: num(0), Name: "empty"}, wire.StatusOK)
	apply(t, s, CreateUser{Status: UserActive, Username: "user0", Password: testHash(t, "secret")}, wire.StatusOK)
	a, b := client(1), client(2)
	r := apply(t, s, Register{Client: a, UserID: 0}, wire.StatusOK)
	apply(t, s, Register{Client: b, UserID: 0}, wire.StatusOK)
	join := func(c wire.ClientID, stream, topic, group uint32) {
		t.Helper()
		apply(t, s, JoinConsumerGroup{Stream: num(stream), Topic: num(topic), Group: num(group), Client: c}, wire.StatusOK)
	}
	join(a, 1, 1, 1)
	join(b, 1, 1, 1)
	join(a, 0, 0, 0)
	join(a, 1, 1, 0)
	check := func(what string, want map[wire.ClientID][]wire.ClientGroup, groups int) {
		t.Helper()
		for _, c := range []wire.ClientID{a, b, client(3)} {
			if got := s.GroupsOf(c); !slices.Equal(got, want[c]) {
				t.Fatalf("%s: GroupsOf(%v) = %v, want %v", what, c, got, want[c])
			}
		}
		if got := s.GroupsByClient(); !maps.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%s: GroupsByClient = %v, want %v", what, got, want)
		}
		if n := s.Totals().Groups; n != groups {
			t.Fatalf("%s: %d groups, want %d", what, n, groups)
		}
	}
	check("joined", map[wire.ClientID][]wire.ClientGroup{
		a: {{Stream: 0, Topic: 0, Group: 0}, {Stream: 1, Topic: 1, Group: 0}, {Stream: 1, Topic: 1, Group: 1}},
		b: {{Stream: 1, Topic: 1, Group: 1}},
	}, 4)
	apply(t, s, LeaveConsumerGroup{Stream: num(1), Topic: num(1), Group: num(0), Client: a}, wire.StatusOK)
	check("a left s1/t1/g0", map[wire.ClientID][]wire.ClientGroup{
		a: {{Stream: 0, Topic: 0, Group: 0}, {Stream: 1, Topic: 1, Group: 1}},
		b: {{Stream: 1, Topic: 1, Group: 1}},
	}, 4)
	apply(t, s, Logout{Client: a, Epoch: r.Epoch}, wire.StatusOK)
	check("a logged out", map[wire.ClientID][]wire.ClientGroup{b: {{Stream: 1, Topic: 1, Group: 1}}}, 4)
	apply(t, s, DeleteStream{Stream: num(1)}, wire.StatusOK)
	check("s1 deleted", map[wire.ClientID][]wire.ClientGroup{}, 2)
}

// Totals counts what the state holds, and EachPartition visits each of
// its partitions once, after partitions and a stream are deleted too.
func TestTotalsAndEachPartition(t *testing.T) {
	s := groupState(t, 3) // s0/t0 (3 partitions)/g
	apply(t, s, CreateTopic{Stream: num(0), Partitions: 2, Name: "t1"}, wire.StatusOK)
	apply(t, s, CreateStream{Name: "s1"}, wire.StatusOK)
	apply(t, s, CreateTopic{Stream: num(1), Partitions: 4, Name: "t0"}, wire.StatusOK)
	apply(t, s, CreateConsumerGroup{Stream: num(1), Topic: num(0), Name: "h"}, wire.StatusOK)
	apply(t, s, CreateStream{Name: "empty"}, wire.StatusOK)
	check := func(what string, want Totals, parts ...[3]uint32) {
		t.Helper()
		if got := s.Totals(); got != want {
			t.Fatalf("%s: Totals %+v, want %+v", what, got, want)
		}
		var got [][3]uint32
		s.EachPartition(func(stream, topic, p uint32) { got = append(got, [3]uint32{stream, topic, p}) })
		slices.SortFunc(got, func(a, b [3]uint32) int { return slices.Compare(a[:], b[:]) })
		if !slices.Equal(got, parts) {
			t.Fatalf("%s: EachPartition %v, want %v", what, got, parts)
		}
	}
	check("created", Totals{Streams: 3, Topics: 3, Partitions: 9, Groups: 2},
		[3]uint32{0, 0, 0}, [3]uint32{0, 0, 1}, [3]uint32{0, 0, 2}, [3]uint32{0, 1, 0}, [3]uint32{0, 1, 1},
		[3]uint32{1, 0, 0}, [3]uint32{1, 0, 1}, [3]uint32{1, 0, 2}, [3]uint32{1, 0, 3})
	apply(t, s, DeletePartitions{Stream: num(0), Topic: num(0), Count: 2}, wire.StatusOK)
	apply(t, s, DeleteStream{Stream: num(1)}, wire.StatusOK)
	check("deleted", Totals{Streams: 2, Topics: 2, Partitions: 3, Groups: 1},
		[3]uint32{0, 0, 0}, [3]uint32{0, 1, 0}, [3]uint32{0, 1, 1})
}
