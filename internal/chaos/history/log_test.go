package history

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestLogModelHandMade(t *testing.T) {
	cases := []struct {
		name string
		ops  *h
		want bool
	}{
		{"sequential", new(h).
			produce(1, 2, p0, 0, "a").produce(3, 4, p0, 1, "b", "c").poll(5, 6, p0, 0, 10, "a", "b", "c"), true},
		{"concurrent produces in either order", new(h).
			produce(1, 4, p0, 1, "a").produce(2, 3, p0, 0, "b").poll(5, 6, p0, 0, 10, "b", "a"), true},
		{"poll concurrent with a produce may miss it", new(h).
			produce(1, 4, p0, 0, "a").poll(2, 3, p0, 0, 1), true},
		{"poll past the end is empty", new(h).
			produce(1, 2, p0, 0, "a").poll(3, 4, p0, 5, 3), true},
		{"poll reads a window", new(h).
			produce(1, 2, p0, 0, "a", "b", "c", "d").poll(3, 4, p0, 1, 2, "b", "c"), true},
		{"partitions are independent logs", new(h).
			produce(1, 2, p0, 0, "a").produce(3, 4, p1, 0, "b").poll(5, 6, p1, 0, 5, "b"), true},
		// Classic stale read: the produce completed before the poll began.
		{"stale read", new(h).
			produce(1, 2, p0, 0, "a").poll(3, 4, p0, 0, 1), false},
		{"stale read of a later window", new(h).
			produce(1, 2, p0, 0, "a").produce(3, 4, p0, 1, "b").poll(5, 6, p0, 0, 5, "a"), false},
		// Classic lost write: acknowledged, then gone while later writes
		// are visible.
		{"lost write", new(h).
			produce(1, 2, p0, 0, "a").produce(3, 4, p0, 1, "b").poll(5, 6, p0, 0, 10, "b"), false},
		{"offset handed out twice", new(h).
			produce(1, 2, p0, 0, "a").produce(3, 4, p0, 0, "b"), false},
		{"wrong base offset", new(h).
			produce(1, 2, p0, 5, "a"), false},
		{"reads go backwards", new(h).
			produce(1, 10, p0, 0, "a").poll(2, 3, p0, 0, 1, "a").poll(4, 5, p0, 0, 1), false},
		{"unknown produce may show up late", new(h).
			produceAs(Unknown, 1, 2, p0, "a").poll(3, 4, p0, 0, 1).poll(5, 6, p0, 0, 1, "a"), true},
		{"unknown produce may never show up", new(h).
			produceAs(Unknown, 1, 2, p0, "a").produce(3, 4, p0, 0, "b").poll(5, 6, p0, 0, 9, "b"), true},
		{"unknown produce cannot vanish once seen", new(h).
			produceAs(Unknown, 1, 2, p0, "a").poll(3, 4, p0, 0, 1, "a").poll(5, 6, p0, 0, 1), false},
		{"failed produce never shows up", new(h).
			produceAs(Failed, 1, 2, p0, "a").poll(3, 4, p0, 0, 1, "a"), false},
		{"failed produce leaves no gap", new(h).
			produceAs(Failed, 1, 2, p0, "a").produce(3, 4, p0, 0, "b"), true},
		{"unknown produce is placed where it was read", new(h).
			produceAs(Unknown, 1, 2, p0, "a").produce(3, 4, p0, 0, "b").poll(5, 6, p0, 0, 9, "b", "a"), true},
		{"unknown produce read before an acked one that followed it", new(h).
			produceAs(Unknown, 1, 2, p0, "a").produce(3, 4, p0, 0, "b").poll(5, 6, p0, 0, 9, "a", "b"), false},
		{"unknown batch read from its middle at offset 0", new(h).
			produceAs(Unknown, 1, 2, p0, "a", "b").poll(3, 4, p0, 0, 9, "b"), false},
		{"batches are atomic", new(h).
			produce(1, 2, p0, 0, "a", "b").poll(3, 4, p0, 0, 5, "a"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { linearizable(t, CheckLog, *c.ops, c.want) })
	}
}

func TestLogModelSplitsByPartition(t *testing.T) {
	ops := *new(h).produce(1, 2, p0, 0, "a").produce(1, 2, p1, 0, "b").poll(3, 4, p0, 0, 1, "a")
	v := linearizable(t, CheckLog, ops, true)
	if v.Keys != 2 || v.Ops != 3 {
		t.Fatalf("%d keys, %d ops; want 2 and 3", v.Keys, v.Ops)
	}
}

// logState's shared-prefix chains read and compare like plain slices.
func TestLogStateMatchesSlices(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	type pair struct {
		s    *logState
		msgs []string
	}
	states := []pair{{&logState{}, nil}}
	for i := range 400 {
		from := states[rng.IntN(len(states))]
		batch := make([]string, rng.IntN(3)) // empty batches too
		for j := range batch {
			batch[j] = []string{"a", "b", "c"}[rng.IntN(3)] // repeats, so equal logs arise from different chains
		}
		states = append(states, pair{from.s.appended(batch), append(slices.Clip(from.msgs), batch...)})
		x, y := states[len(states)-1], states[rng.IntN(len(states))]
		if got, want := x.s.equal(y.s), slices.Equal(x.msgs, y.msgs); got != want {
			t.Fatalf("step %d: equal(%q, %q) = %v", i, x.msgs, y.msgs, got)
		}
		off, n := uint64(rng.IntN(len(x.msgs)+2)), rng.IntN(5)
		want := readRange(x.msgs, off, n)
		if !x.s.readEquals(off, n, want) {
			t.Fatalf("step %d: read %d,%d of %q is not %q", i, off, n, x.msgs, want)
		}
		if len(want) > 0 && x.s.readEquals(off, n, want[1:]) {
			t.Fatalf("step %d: read %d,%d of %q matched a short reply", i, off, n, x.msgs)
		}
		if len(want) > 0 {
			wrong := slices.Clone(want)
			wrong[rng.IntN(len(wrong))] = "z"
			if x.s.readEquals(off, n, wrong) {
				t.Fatalf("step %d: read %d,%d of %q matched %q", i, off, n, x.msgs, wrong)
			}
		}
	}
}

// readRange is msgs[offset : offset+count], clipped to the log.
func readRange(msgs []string, offset uint64, count int) []string {
	lo := min(offset, uint64(len(msgs)))
	return msgs[lo:min(lo+uint64(count), uint64(len(msgs)))]
}
