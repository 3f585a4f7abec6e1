package vsr_test

import (
	"math/rand/v2"
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// corpus returns frames of several commands from a short exchange.
func corpus(tb testing.TB) [][]byte {
	frames := prepares(16, []byte("body"))
	r1 := newReplica(tb, 1, 3)
	for _, f := range frames[:8] {
		if err := r1.Step(f); err != nil {
			tb.Fatal(err)
		}
		for r1.HasReady() {
			rd := r1.Ready()
			r1.Advance(rd)
			for _, m := range rd.Messages {
				frames = append(frames, m.Frame)
			}
		}
	}
	for range 300 {
		r1.Tick()
	}
	for r1.HasReady() {
		rd := r1.Ready()
		r1.Advance(rd)
		for _, m := range rd.Messages {
			frames = append(frames, m.Frame)
		}
	}
	return frames
}

// FuzzStep checks that no input makes Step panic.
func FuzzStep(f *testing.F) {
	for _, fr := range corpus(f) {
		f.Add(fr)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for id := range 3 {
			r := newReplica(t, id, 3)
			_ = r.Step(b)
			for r.HasReady() {
				r.Advance(r.Ready())
			}
		}
	})
}

// TestStepCorruptFrames feeds replicas every frame of a short run with one
// byte flipped, or truncated: Step must refuse or ignore them, never panic
// (pitfall 14: assert only on local invariants).
func TestStepCorruptFrames(t *testing.T) {
	frames := corpus(t)
	seen := map[wire.Command]bool{}
	for _, f := range frames {
		seen[wire.PeekCommand(f)] = true
	}
	if !seen[wire.CommandPrepareOk] || !seen[wire.CommandStartViewChange] {
		t.Fatalf("harness produced only %v", seen)
	}
	r0, r1 := newReplica(t, 0, 3), newReplica(t, 1, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	targets := []*vsr.Replica{r0, r1, newReplica(t, 2, 3)}
	for i := range 20000 {
		src := frames[rng.IntN(len(frames))]
		f := append([]byte(nil), src...)
		switch i % 3 {
		case 0:
			f[rng.IntN(len(f))] ^= byte(1 + rng.IntN(255))
		case 1:
			f = f[:rng.IntN(len(f))]
		default:
			// Re-seal after the flip so the change reaches the decoders.
			f[wire.HeaderSize/2+rng.IntN(wire.HeaderSize/2)] ^= byte(1 + rng.IntN(255))
			if wire.PeekCommand(f).Sealed() {
				wire.SealFrame(f)
			}
		}
		r := targets[rng.IntN(len(targets))]
		_ = r.Step(f)
		for r.HasReady() {
			r.Advance(r.Ready())
		}
	}
}

// TestRestartRejectsBadHardState checks the gateway on durable state.
func TestRestartRejectsBadHardState(t *testing.T) {
	_, err := vsr.Restart(vsr.Config{ID: 0, Replicas: 3, StateMachine: nopSM{}}, vsr.HardState{View: 1, LogView: 2}, nil)
	if err == nil {
		t.Fatal("log_view > view accepted")
	}
	if _, err := vsr.New(vsr.Config{ID: 3, Replicas: 3, StateMachine: nopSM{}}); err == nil {
		t.Fatal("replica id out of range accepted")
	}
}
