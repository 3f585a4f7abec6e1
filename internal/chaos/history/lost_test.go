package history

import (
	"errors"
	"slices"
	"testing"
)

func kinds(vs []Violation) []ViolationKind {
	var ks []ViolationKind
	for _, v := range vs {
		ks = append(ks, v.Kind)
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

func TestNoLostAcksHandMade(t *testing.T) {
	cases := []struct {
		name string
		ops  *h
		want []ViolationKind
	}{
		{"clean", new(h).
			produce(1, 2, p0, 0, "a", "b").produce(3, 4, p0, 2, "c").poll(5, 6, p0, 0, 1, "a").
			poll(7, 8, p0, 0, 10, "a", "b", "c"), nil},
		{"unknown may appear once", new(h).
			produce(1, 2, p0, 0, "a").produceAs(Unknown, 3, 4, p0, "b", "c").produceAs(Unknown, 3, 4, p0, "d").
			poll(7, 8, p0, 0, 10, "a", "b", "c"), nil},
		{"lost", new(h).
			produce(1, 2, p0, 0, "a").produce(3, 4, p0, 1, "b").poll(5, 6, p0, 0, 10, "a"), []ViolationKind{Lost}},
		{"never drained", new(h).
			produce(1, 2, p0, 0, "a"), []ViolationKind{Lost}},
		{"duplicated", new(h).
			produce(1, 2, p0, 0, "a").poll(5, 6, p0, 0, 10, "a", "a"), []ViolationKind{Duplicated}},
		{"unknown duplicated", new(h).
			produceAs(Unknown, 1, 2, p0, "a").poll(5, 6, p0, 0, 10, "a", "a"), []ViolationKind{Duplicated}},
		{"misplaced", new(h).
			produce(1, 2, p0, 1, "a").produceAs(Unknown, 1, 2, p0, "x").poll(5, 6, p0, 0, 10, "a", "x"),
			[]ViolationKind{Misplaced}},
		{"torn batch", new(h).
			produceAs(Unknown, 1, 2, p0, "a", "b").produceAs(Unknown, 1, 2, p0, "x").
			poll(5, 6, p0, 0, 10, "a", "x", "b"), []ViolationKind{Torn}},
		{"batch out of order", new(h).
			produceAs(Unknown, 1, 2, p0, "a", "b").poll(5, 6, p0, 0, 10, "b", "a"), []ViolationKind{Torn}},
		{"reordered against real time", new(h).
			produce(1, 2, p0, 1, "a").produce(3, 4, p0, 0, "b").poll(5, 6, p0, 0, 10, "b", "a"),
			[]ViolationKind{Reordered}},
		{"concurrent produces may go either way", new(h).
			produce(1, 4, p0, 1, "a").produce(2, 3, p0, 0, "b").poll(5, 6, p0, 0, 10, "b", "a"), nil},
		{"diverged reads", new(h).
			produce(1, 2, p0, 0, "a").produceAs(Unknown, 1, 2, p0, "x").
			poll(5, 6, p0, 0, 10, "a").poll(7, 8, p0, 0, 10, "x"), []ViolationKind{Diverged}},
		{"resurrected", new(h).
			produceAs(Failed, 1, 2, p0, "a").poll(5, 6, p0, 0, 10, "a"), []ViolationKind{Resurrected}},
		{"phantom", new(h).
			poll(5, 6, p0, 0, 10, "z"), []ViolationKind{Phantom}},
		{"wrong partition", new(h).
			produce(1, 2, p1, 0, "a").poll(5, 6, p0, 0, 10, "a").poll(7, 8, p1, 0, 10, "a"), []ViolationKind{Phantom}},
		{"payload reused", new(h).
			produce(1, 2, p0, 0, "a").produce(3, 4, p0, 1, "a").poll(5, 6, p0, 0, 10, "a"), []ViolationKind{Misplaced, Reused}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs := CheckNoLostAcks(*c.ops)
			if got := kinds(vs); !slices.Equal(got, sortedKinds(c.want)) {
				t.Fatalf("violations %v, want kinds %v; history:\n%s", vs, c.want, dump(*c.ops))
			}
			err := Report{Violations: vs}.Err()
			if (err != nil) != (len(c.want) > 0) || err != nil && !errors.Is(err, ErrLostAck) {
				t.Fatalf("Report.Err() = %v", err)
			}
		})
	}
}

func sortedKinds(ks []ViolationKind) []ViolationKind {
	ks = slices.Clone(ks)
	slices.Sort(ks)
	return ks
}
