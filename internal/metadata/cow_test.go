package metadata

import (
	"reflect"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// cowTrace exercises every operation kind, in an order in which each
// takes effect.
func cowTrace(t *testing.T) []Op {
	t.Helper()
	h, err := HashPassword("secret-1", TestHashParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, tp, g := wire.NumericID(0), wire.NumericID(0), wire.NumericID(0)
	a, b := wire.ClientID{Lo: 1, Hi: 1}, wire.ClientID{Lo: 2, Hi: 1}
	perms := appendPerms(t)
	return []Op{
		CreateUser{Timestamp: 1, Status: UserActive, Username: "root", Password: h},
		CreateUser{Timestamp: 2, Status: UserActive, Username: "bob", Password: h},
		UpdateUser{UserID: 1, Username: "robert", Status: UserInactive},
		ChangePassword{UserID: 1, Password: h},
		UpdatePermissions{UserID: 1, Permissions: perms},
		CreatePersonalAccessToken{UserID: 1, Name: "ci", Hash: HashToken("x")},
		CreatePersonalAccessToken{UserID: 1, Name: "cd", Hash: HashToken("y")},
		DeletePersonalAccessToken{UserID: 1, Name: "ci"},
		Register{Client: a, UserID: 0, Timestamp: 3},
		Register{Client: b, UserID: 0, Timestamp: 3},
		CreateStream{Timestamp: 4, Name: "orders"},
		UpdateStream{Stream: s, Name: "orders-2"},
		CreateTopic{Timestamp: 5, Stream: s, Partitions: 3, Shards: 2, Name: "events"},
		UpdateTopic{Stream: s, Topic: tp, Name: "audit"},
		CreatePartitions{Timestamp: 6, Stream: s, Topic: tp, Count: 2, Shards: 2},
		DeletePartitions{Stream: s, Topic: tp, Count: 1},
		CreateConsumerGroup{Stream: s, Topic: tp, Name: "g"},
		JoinConsumerGroup{Stream: s, Topic: tp, Group: g, Client: a},
		JoinConsumerGroup{Stream: s, Topic: tp, Group: g, Client: b},
		CreatePartitions{Timestamp: 7, Stream: s, Topic: tp, Count: 1, Shards: 2},
		LeaveConsumerGroup{Stream: s, Topic: tp, Group: g, Client: b},
		Logout{Client: a, Epoch: 9},
		PurgeTopic{Stream: s, Topic: tp},
		PurgeStream{Stream: s},
		JoinConsumerGroup{Stream: s, Topic: tp, Group: g, Client: b},
		DeleteConsumerGroup{Stream: s, Topic: tp, Group: g},
		DeleteTopic{Stream: s, Topic: tp},
		DeleteStream{Stream: s},
		DeleteUser{UserID: 1},
	}
}

func appendPerms(t *testing.T) []byte {
	t.Helper()
	var p wire.Permissions
	p.ReadStreams = true
	return p.Append(nil)
}

// TestNextSharesNothingMutable applies each operation of a trace to the
// copy next makes and checks that the parent state did not change (its
// digest and a deep copy taken before agree), and that the copy ends where
// an in-place apply ends (cow.go).
func TestNextSharesNothingMutable(t *testing.T) {
	cur, inPlace := NewState(), NewState()
	for i, op := range cowTrace(t) {
		before, snapshot := cur.Digest(), cur.Clone()
		next := cur.next(op)
		r := next.Apply(Encode(op))
		if !r.OK() {
			t.Fatalf("op %d %v: %v", i, op.Kind(), r.Status)
		}
		if cur.Digest() != before || !reflect.DeepEqual(cur, snapshot) {
			t.Fatalf("op %d %v changed the committed state it was applied beside", i, op.Kind())
		}
		if ri := inPlace.Apply(Encode(op)); !reflect.DeepEqual(r, ri) || inPlace.Digest() != next.Digest() {
			t.Fatalf("op %d %v: copy-on-write apply differs from in-place apply", i, op.Kind())
		}
		cur = next
	}
}

// TestEffects checks the partition work each operation asks for.
func TestEffects(t *testing.T) {
	st := NewState()
	s, tp := wire.NumericID(0), wire.NumericID(0)
	steps := []struct {
		op   Op
		want []Effect
	}{
		{CreateStream{Name: "s"}, nil},
		{CreateTopic{Stream: s, Partitions: 3, Shards: 1, Name: "t"}, []Effect{{Kind: EffectCreatePartitions, From: 0}}},
		{CreatePartitions{Stream: s, Topic: tp, Count: 2, Shards: 1}, []Effect{{Kind: EffectCreatePartitions, From: 3}}},
		{DeletePartitions{Stream: s, Topic: tp, Count: 1}, []Effect{{Kind: EffectDropPartitions, From: 4}}},
		{PurgeTopic{Stream: s, Topic: tp}, []Effect{{Kind: EffectPurgePartitions}}},
		{CreateTopic{Stream: s, Partitions: 1, Shards: 1, Name: "u"}, []Effect{{Kind: EffectCreatePartitions}}},
		{PurgeStream{Stream: s}, []Effect{{Kind: EffectPurgePartitions}, {Kind: EffectPurgePartitions}}},
		{DeleteTopic{Stream: s, Topic: tp}, []Effect{{Kind: EffectDropPartitions}}},
		{DeleteStream{Stream: s}, []Effect{{Kind: EffectDropPartitions}}},
	}
	wantParts := []int{0, 3, 5, 5, 4, 1, 4, 4, 1}
	for i, step := range steps {
		r := apply(t, st, step.op, wire.StatusOK)
		if len(r.Effects) != len(step.want) {
			t.Fatalf("step %d %v: %d effects, want %d", i, step.op.Kind(), len(r.Effects), len(step.want))
		}
		for j, e := range r.Effects {
			if e.Kind != step.want[j].Kind || e.From != step.want[j].From {
				t.Fatalf("step %d %v effect %d: %v from %d, want %v from %d", i, step.op.Kind(), j, e.Kind, e.From, step.want[j].Kind, step.want[j].From)
			}
		}
		if len(r.Effects) > 0 && len(r.Effects[0].Topic.Partitions) != wantParts[i] {
			t.Fatalf("step %d %v: topic has %d partitions, want %d", i, step.op.Kind(), len(r.Effects[0].Topic.Partitions), wantParts[i])
		}
	}
}
