package vsr_test

import (
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestLowCommitHint restarts a backup whose durable commit point is lower
// than the log it adopted (a shell may write the hint late or not at all)
// and whose journal lost the entries between its commit hint and its view
// headers (power loss after the view was durable, before the repaired
// bodies were). Its DoViewChange must still report the whole log of its
// log_view: ops below the view headers are committed, and a DoViewChange
// that ended at op 25 would let the new view drop the committed ops 26..32
// (the simulator found exactly that with a lowered hint).
func TestLowCommitHint(t *testing.T) {
	frames := prepares(32, []byte("x"))
	var headers []wire.PrepareHeader
	for _, f := range frames[30:] { // ops 31 and 32: StartView's suffix from commit 31
		var h wire.PrepareHeader
		if err := h.Decode(f); err != nil {
			t.Fatal(err)
		}
		headers = append(headers, h)
	}
	for _, hint := range []wire.Op{0, 7, 25, 31} {
		cfg := vsr.Config{ID: 2, Replicas: 3, Cluster: wire.Uint128{Lo: 1}, PipelineMax: 8, StateMachine: nopSM{}}
		r, err := vsr.Restart(cfg, vsr.HardState{View: 3, LogView: 3, Commit: hint, Headers: headers}, frames[:25])
		if err != nil {
			t.Fatal(err)
		}
		if r.CommitMax() < 30 {
			t.Errorf("hint %d: commit_max %d after restart, want >= 30 (below the view headers)", hint, r.CommitMax())
		}
		var dvc *wire.DoViewChangeHeader
		for range 100000 {
			r.Tick()
			for r.HasReady() {
				rd := r.Ready()
				for _, m := range rd.Messages {
					if wire.PeekCommand(m.Frame) == wire.CommandDoViewChange && dvc == nil {
						dvc = new(wire.DoViewChangeHeader)
						if err := dvc.Decode(m.Frame); err != nil {
							t.Fatal(err)
						}
					}
				}
				r.Advance(rd)
			}
			if dvc != nil {
				break
			}
		}
		if dvc == nil {
			t.Fatalf("hint %d: no DoViewChange", hint)
		}
		if dvc.LogView != 3 || dvc.Op != 32 || dvc.Commit < 30 {
			t.Errorf("hint %d: DoViewChange log_view %d op %d commit %d, want log_view 3 op 32 commit >= 30",
				hint, dvc.LogView, dvc.Op, dvc.Commit)
		}
	}
}
