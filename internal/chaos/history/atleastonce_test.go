package history

import (
	"slices"
	"testing"
)

// At-least-once: an Unknown produce may show up as several whole copies;
// an Ok or Failed one may not, and a torn copy is still caught.
func TestAtLeastOnce(t *testing.T) {
	opt := Options{AtLeastOnce: true}
	cases := []struct {
		name   string
		ops    *h
		linear bool
		want   []ViolationKind
	}{
		{"unknown twice", new(h).
			produce(1, 2, p0, 0, "a").produceAs(Unknown, 3, 9, p0, "b", "c").produce(5, 6, p0, 3, "d").
			poll(10, 11, p0, 0, 10, "a", "b", "c", "d", "b", "c"), true, nil},
		{"unknown twice, read between", new(h).
			produceAs(Unknown, 1, 9, p0, "b", "c").poll(2, 3, p0, 0, 10, "b", "c").
			poll(4, 5, p0, 0, 10, "b", "c", "b", "c"), true, nil},
		{"ok twice", new(h).
			produce(1, 2, p0, 0, "a", "b").poll(5, 6, p0, 0, 10, "a", "b", "a", "b"), false, []ViolationKind{Duplicated}},
		{"failed stored", new(h).
			produceAs(Failed, 1, 2, p0, "a").poll(5, 6, p0, 0, 10, "a"), false, []ViolationKind{Resurrected}},
		{"unknown torn copy", new(h).
			produceAs(Unknown, 1, 2, p0, "a", "b").poll(5, 6, p0, 0, 10, "a", "b", "a", "x", "b"), false, []ViolationKind{Torn, Phantom}},
		{"unknown copy after a later ack", new(h).
			produceAs(Unknown, 1, 2, p0, "a").produce(3, 4, p0, 1, "b").poll(5, 6, p0, 0, 10, "a", "b", "a"), true, nil},
	}
	for _, c := range cases {
		v := CheckLog(*c.ops, opt)
		if got := v.Err() == nil; got != c.linear {
			t.Errorf("%s: linearizable %v (%v), want %v\n%s", c.name, got, v.Err(), c.linear, dump(*c.ops))
		}
		if got := kinds(CheckNoLostAcksWith(*c.ops, opt)); !slices.Equal(got, c.want) {
			t.Errorf("%s: violations %v, want %v", c.name, got, c.want)
		}
	}
	// Exactly-once still flags an unknown produce read twice.
	ops := *new(h).produceAs(Unknown, 1, 2, p0, "a").poll(5, 6, p0, 0, 10, "a", "a")
	if got := kinds(CheckNoLostAcks(ops)); !slices.Equal(got, []ViolationKind{Duplicated}) {
		t.Errorf("exactly once: %v", got)
	}
	if CheckLog(ops, Options{}).Err() == nil {
		t.Error("exactly once: a duplicated unknown produce is linearizable")
	}
}

// ReplayDups: an Ok produce may have a second whole copy, as long as one
// sits at its acknowledged offset.
func TestReplayDups(t *testing.T) {
	opt := Options{AtLeastOnce: true, ReplayDups: true}
	ok := *new(h).produce(1, 4, p0, 2, "a", "b").poll(5, 6, p0, 0, 10, "a", "b", "a", "b")
	if v := CheckLog(ok, opt); v.Err() != nil {
		t.Errorf("replayed copy: %v", v.Err())
	}
	if got := CheckNoLostAcksWith(ok, opt); len(got) != 0 {
		t.Errorf("replayed copy: %v", got)
	}
	bad := *new(h).produce(1, 4, p0, 5, "a", "b").poll(5, 6, p0, 0, 10, "a", "b", "a", "b")
	if got := kinds(CheckNoLostAcksWith(bad, opt)); !slices.Equal(got, []ViolationKind{Misplaced}) {
		t.Errorf("no copy at the acknowledged offset: %v", got)
	}
}

// Two copies read in an order that anchors the batch's messages in
// different copies are not torn.
func TestCopiesReadOutOfOrder(t *testing.T) {
	opt := Options{AtLeastOnce: true, ReplayDups: true}
	ops := *new(h).produce(1, 4, p0, 2, "a", "b").
		poll(5, 6, p0, 2, 1, "a"). // a's first sighting: copy at 2
		poll(7, 8, p0, 1, 1, "b"). // b's first sighting: copy at 0
		poll(9, 10, p0, 0, 10, "a", "b", "a", "b")
	if got := CheckNoLostAcksWith(ops, opt); len(got) != 0 {
		t.Errorf("%v", got)
	}
	if v := CheckLog(ops, opt); v.Err() != nil {
		t.Error(v.Err())
	}
	// Exactly-once tornBatch would have called that torn; a real tear
	// still shows.
	torn := *new(h).produceAs(Unknown, 1, 4, p0, "a", "b").poll(9, 10, p0, 0, 10, "a", "b", "a", "x", "b")
	if got := kinds(CheckNoLostAcksWith(torn, opt)); !slices.Contains(got, Torn) {
		t.Errorf("torn copy: %v", got)
	}
}
