package consensus

import (
	"testing"
	"time"
)

// TestTickClock: events on time carry one tick each; a late event carries
// the ticks its lateness missed (the ticker dropped them), up to
// maxCatchUp; early events (jitter) carry one and do not add up to more
// ticks than time passed.
func TestTickClock(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := tickClock{last: t0}
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	for _, step := range []struct {
		ms   float64
		want int
	}{
		{10, 1}, {20.5, 1}, {29.9, 1}, {40, 1}, // on time, with jitter
		{75, 3}, // 35 ms late: two dropped
		{80, 1}, {90, 1},
		{5000, maxCatchUp}, // a long pause counts as maxCatchUp
		{5010, 1},
	} {
		if got := c.due(at(step.ms)); got != step.want {
			t.Fatalf("event at %v ms: %d ticks, want %d", step.ms, got, step.want)
		}
	}
	var test tickClock // test ticks: one each, whenever
	if got := test.due(at(1e6)); got != 1 {
		t.Fatalf("a test tick carries %d", got)
	}
}
