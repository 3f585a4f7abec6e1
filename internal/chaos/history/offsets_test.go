package history

import "testing"

func TestOffsetsModelHandMade(t *testing.T) {
	cases := []struct {
		name string
		ops  *h
		want bool
	}{
		{"none before the first store", new(h).
			get(1, 2, "c", p0, 0, false).store(3, 4, "c", p0, 5, Ok).get(5, 6, "c", p0, 5, true), true},
		{"keys are independent", new(h).
			store(1, 2, "c", p0, 5, Ok).get(3, 4, "c", p1, 0, false).get(3, 4, "d", p0, 0, false), true},
		{"concurrent store may or may not be seen", new(h).
			store(1, 2, "c", p0, 5, Ok).store(3, 6, "c", p0, 7, Ok).get(4, 5, "c", p0, 5, true), true},
		{"stale read", new(h).
			store(1, 2, "c", p0, 5, Ok).store(3, 4, "c", p0, 7, Ok).get(5, 6, "c", p0, 5, true), false},
		{"lost write", new(h).
			store(1, 2, "c", p0, 5, Ok).get(3, 4, "c", p0, 0, false), false},
		{"unknown store may land late", new(h).
			store(1, 2, "c", p0, 5, Ok).store(3, 4, "c", p0, 9, Unknown).
			get(5, 6, "c", p0, 5, true).get(7, 8, "c", p0, 9, true), true},
		{"unknown store cannot un-land", new(h).
			store(1, 2, "c", p0, 5, Ok).store(3, 4, "c", p0, 9, Unknown).
			get(5, 6, "c", p0, 9, true).get(7, 8, "c", p0, 5, true), false},
		{"failed store is never seen", new(h).
			store(1, 2, "c", p0, 9, Failed).get(3, 4, "c", p0, 9, true), false},
		{"value never stored", new(h).
			store(1, 2, "c", p0, 5, Ok).get(3, 4, "c", p0, 6, true), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { linearizable(t, CheckOffsets, *c.ops, c.want) })
	}
}
