package metadata

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// groupState is a state with stream 0, topic 0 of n partitions and group
// 0 named "g".
func groupState(t *testing.T, n uint32) *State {
	t.Helper()
	s := NewState()
	apply(t, s, CreateStream{Name: "s"}, wire.StatusOK)
	apply(t, s, CreateTopic{Stream: num(0), Partitions: n, Shards: 2, Name: "t"}, wire.StatusOK)
	if r := apply(t, s, CreateConsumerGroup{Stream: num(0), Topic: num(0), Name: "g"}, wire.StatusOK); r.ID != 0 {
		t.Fatalf("first group id %d", r.ID)
	}
	return s
}

func client(n uint64) wire.ClientID { return wire.ClientID{Lo: n, Hi: 0xabc} }

func assignment(t *testing.T, s *State, c wire.ClientID) (uint64, []uint32, bool) {
	t.Helper()
	gen, parts, ok, st := s.Assignment(num(0), num(0), named("g"), c)
	if st != wire.StatusOK {
		t.Fatal(st)
	}
	return gen, parts, ok
}

func TestConsumerGroupRules(t *testing.T) {
	s := groupState(t, 3)
	g := num(0)
	apply(t, s, CreateConsumerGroup{Stream: num(0), Topic: num(0), Name: "g"}, wire.StatusConsumerGroupNameAlreadyExists)
	apply(t, s, CreateConsumerGroup{Stream: num(0), Topic: num(5), Name: "x"}, wire.StatusTopicIdNotFound)
	apply(t, s, CreateConsumerGroup{Stream: num(3), Topic: num(0), Name: "x"}, wire.StatusStreamIdNotFound)
	if st := s.Check(CreateConsumerGroup{Stream: num(0), Topic: num(0), Name: ""}).Status; st != wire.StatusInvalidConsumerGroupName {
		t.Fatalf("empty group name: %v", st)
	}
	apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: num(4), Client: client(1)}, wire.StatusConsumerGroupIdNotFound)
	apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: g, Client: wire.ClientID{}}, wire.StatusInvalidCommand)
	apply(t, s, LeaveConsumerGroup{Stream: num(0), Topic: num(0), Group: g, Client: client(1)}, wire.StatusConsumerGroupMemberNotFound)
	apply(t, s, LeaveConsumerGroup{Stream: num(0), Topic: num(0), Group: named("nope"), Client: client(1)}, wire.StatusConsumerGroupIdNotFound)

	// The only member gets every partition.
	apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: g, Client: client(1)}, wire.StatusOK)
	gen, parts, ok := assignment(t, s, client(1))
	if !ok || gen != 1 || !slices.Equal(parts, []uint32{0, 1, 2}) {
		t.Fatalf("sole member: gen %d parts %v ok %v", gen, parts, ok)
	}
	// Joining again changes nothing.
	apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: g, Client: client(1)}, wire.StatusOK)
	if gen2, _, _ := assignment(t, s, client(1)); gen2 != gen {
		t.Fatalf("a re-join rebalanced: %d", gen2)
	}
	// A second member takes the excess off the first; nothing else moves.
	apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: named("g"), Client: client(2)}, wire.StatusOK)
	_, p1, _ := assignment(t, s, client(1))
	gen, p2, _ := assignment(t, s, client(2))
	if gen != 2 || !slices.Equal(p1, []uint32{0, 1}) || !slices.Equal(p2, []uint32{2}) {
		t.Fatalf("after a second join: gen %d, %v / %v", gen, p1, p2)
	}
	if _, _, ok := assignment(t, s, client(3)); ok {
		t.Fatal("a non-member has an assignment")
	}
	// Partition changes rebalance round robin.
	apply(t, s, CreatePartitions{Stream: num(0), Topic: num(0), Count: 2}, wire.StatusOK)
	_, p1, _ = assignment(t, s, client(1))
	_, p2, _ = assignment(t, s, client(2))
	if !slices.Equal(p1, []uint32{0, 2, 4}) || !slices.Equal(p2, []uint32{1, 3}) {
		t.Fatalf("after adding partitions: %v / %v", p1, p2)
	}
	apply(t, s, DeletePartitions{Stream: num(0), Topic: num(0), Count: 4}, wire.StatusOK)
	_, p1, _ = assignment(t, s, client(1))
	_, p2, _ = assignment(t, s, client(2))
	if !slices.Equal(p1, []uint32{0}) || len(p2) != 0 {
		t.Fatalf("after deleting partitions: %v / %v", p1, p2)
	}
	// Leave hands everything to those who stay.
	apply(t, s, LeaveConsumerGroup{Stream: num(0), Topic: num(0), Group: g, Client: client(1)}, wire.StatusOK)
	_, p2, _ = assignment(t, s, client(2))
	if !slices.Equal(p2, []uint32{0}) {
		t.Fatalf("after leave: %v", p2)
	}
	// Member ids are the lowest free.
	apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: g, Client: client(9)}, wire.StatusOK)
	body, _ := appendGroup(s, nil, num(0), num(0), g)
	if members := decodeGroupMembers(t, body); !slices.Equal(members, []uint32{0, 1}) {
		t.Fatalf("member ids %v", members)
	}
	apply(t, s, DeleteConsumerGroup{Stream: num(0), Topic: num(0), Group: g}, wire.StatusOK)
	apply(t, s, DeleteConsumerGroup{Stream: num(0), Topic: num(0), Group: g}, wire.StatusConsumerGroupIdNotFound)
	// Group ids are not reused.
	if r := apply(t, s, CreateConsumerGroup{Stream: num(0), Topic: num(0), Name: "g"}, wire.StatusOK); r.ID != 1 {
		t.Fatalf("new group id %d", r.ID)
	}
}

// decodeGroupMembers decodes a GetGroup body as the SDK does and returns
// the member ids.
func decodeGroupMembers(t *testing.T, b []byte) []uint32 {
	t.Helper()
	pos := 13 + int(b[12])
	var ids []uint32
	for pos < len(b) {
		ids = append(ids, binary.LittleEndian.Uint32(b[pos:]))
		pos += 8 + 4*int(binary.LittleEndian.Uint32(b[pos+4:]))
	}
	if pos != len(b) || uint32(len(ids)) != binary.LittleEndian.Uint32(b[8:]) {
		t.Fatalf("group body of %d bytes, %d members", len(b), len(ids))
	}
	return ids
}

// A Logout that ends a session drops the client from its groups; a
// stale one does not.
func TestLogoutLeavesGroups(t *testing.T) {
	s := groupState(t, 2)
	apply(t, s, CreateUser{Status: UserActive, Username: "user1", Password: testHash(t, "secret")}, wire.StatusOK)
	r1 := apply(t, s, Register{Client: client(1), UserID: 0}, wire.StatusOK)
	apply(t, s, Register{Client: client(2), UserID: 0}, wire.StatusOK)
	for _, c := range []wire.ClientID{client(1), client(2)} {
		apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: num(0), Client: c}, wire.StatusOK)
	}
	apply(t, s, Logout{Client: client(1), Epoch: r1.Epoch + 100}, wire.StatusOK)
	if _, _, ok := assignment(t, s, client(1)); !ok {
		t.Fatal("a stale logout removed the member")
	}
	apply(t, s, Logout{Client: client(1), Epoch: r1.Epoch}, wire.StatusOK)
	if _, _, ok := assignment(t, s, client(1)); ok {
		t.Fatal("logout left the member in its group")
	}
	if _, p, _ := assignment(t, s, client(2)); !slices.Equal(p, []uint32{0, 1}) {
		t.Fatalf("the remaining member has %v", p)
	}
}

// wire.md §3.11 and the SyncGroup layout.
func TestSyncGroupReply(t *testing.T) {
	s := groupState(t, 3)
	b, st := appendSyncGroup(s, nil, num(0), num(0), num(0), client(1))
	if st != wire.StatusOK || len(b) != 0 {
		t.Fatalf("non-member sync: %x %v", b, st)
	}
	if _, st := appendSyncGroup(s, nil, num(0), num(0), num(8), client(1)); st != wire.StatusConsumerGroupIdNotFound {
		t.Fatalf("missing group: %v", st)
	}
	apply(t, s, JoinConsumerGroup{Stream: num(0), Topic: num(0), Group: num(0), Client: client(1)}, wire.StatusOK)
	b, _ = appendSyncGroup(s, nil, num(0), num(0), num(0), client(1))
	want := []byte{1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}
	if !slices.Equal(b, want) {
		t.Fatalf("sync reply % x", b)
	}
}
