package vsr_test

import (
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// dvcSpec is a DoViewChange a peer sends the primary-elect of view 2.
type dvcSpec struct {
	from    int
	logView wire.View
	suffix  [][]byte  // prepare frames of its suffix, ascending
	nack    []wire.Op // ops whose nack bit is set
	present []wire.Op // ops whose present bit is set
}

// TestNackTruncation is the nack rule as a table: replica 2, primary-elect
// of view 2, holds the committed ops 1..8, the body of op 9, and only the
// header of op 10 (log_view 1), so its own DoViewChange nacks op 10. Given
// the other DoViewChanges, in the order they arrive, it either truncates
// op 10 and starts the view at op 9, or waits for op 10's body. More than
// replicas - quorum_replication nacks are needed (2 of 3, 3 of 5), and only
// DoViewChanges that hold op 10 with the same checksum count.
func TestNackTruncation(t *testing.T) {
	chain := prepares(10, []byte("x"))
	fork := forkAt(chain, 10) // another op 10 on the same op 9
	s8_10 := chain[7:10]
	const wait, cut, keep = 0, 9, 10
	for _, tc := range []struct {
		name     string
		replicas int
		ownBody  bool // replica 2 holds op 10's body
		bug      vsr.Bug
		dvcs     []dvcSpec
		want     wire.Op // StartView op; wait: no StartView
	}{
		{"3: two nacks (own + one) truncate", 3, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10, nack: []wire.Op{10}}}, cut},
		{"3: one nack waits", 3, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10}}, wait},
		{"3: a copy elsewhere and one nack waits for repair", 3, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10, present: []wire.Op{10}}}, wait},
		{"3: a log that ends below the op abstains", 3, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: chain[7:9]}}, wait},
		{"3: another header at the op abstains, even nacked", 3, false, 0,
			[]dvcSpec{{from: 0, logView: 0, suffix: append(chain[7:9:9], fork), nack: []wire.Op{10}}}, wait},
		{"3: body here, nothing to truncate", 3, true, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10, nack: []wire.Op{10}}}, keep},
		{"3: a late DoViewChange completes the nack quorum", 3, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10}, {from: 1, logView: 0, suffix: s8_10, nack: []wire.Op{10}}}, cut},
		{"3: nacks from an older log_view with the same header count", 3, false, 0,
			[]dvcSpec{{from: 0, logView: 0, suffix: s8_10, nack: []wire.Op{10}}}, cut},
		{"5: three nacks truncate", 5, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10, nack: []wire.Op{10}}, {from: 1, logView: 1, suffix: s8_10, nack: []wire.Op{10}}}, cut},
		{"5: two nacks wait", 5, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10, nack: []wire.Op{10}}, {from: 1, logView: 1, suffix: s8_10}}, wait},
		{"5: a late third nack truncates", 5, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10, nack: []wire.Op{10}}, {from: 1, logView: 1, suffix: s8_10},
				{from: 3, logView: 1, suffix: s8_10, nack: []wire.Op{10}}}, cut},
		{"5: two nacks and three silent wait", 5, false, 0,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10, nack: []wire.Op{10}}, {from: 1, logView: 1, suffix: s8_10},
				{from: 3, logView: 1, suffix: s8_10}, {from: 4, logView: 1, suffix: chain[7:9]}}, wait},
		{"3: BugTruncateFewNacks truncates on its own nack", 3, false, vsr.BugTruncateFewNacks,
			[]dvcSpec{{from: 0, logView: 1, suffix: s8_10}}, cut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			journal := chain[:9]
			if tc.ownBody {
				journal = chain[:10]
			}
			cfg := vsr.Config{ID: 2, Replicas: tc.replicas, Cluster: wire.Uint128{Lo: 1}, PipelineMax: 8,
				StateMachine: nopSM{}, Bug: tc.bug}
			r, err := vsr.Restart(cfg, vsr.HardState{View: 1, LogView: 1, Commit: 8, Headers: headersOf(t, s8_10)}, journal)
			if err != nil {
				t.Fatal(err)
			}
			drain(r)
			var got wire.Op
			var durable vsr.HardState // as of the last Advance
			for _, d := range tc.dvcs {
				if err := r.Step(dvcFrame(t, d)); err != nil {
					t.Fatal(err)
				}
				for r.HasReady() {
					rd := r.Ready()
					for _, m := range rd.Messages {
						var h wire.StartViewHeader
						if wire.PeekCommand(m.Frame) == wire.CommandStartView && h.Decode(m.Frame) == nil {
							got = h.Op
							// Messages leave before rd is persisted: the view
							// headers StartView announces must already be
							// durable, cut included.
							if n := len(durable.Headers); durable.LogView != 2 || n == 0 || durable.Headers[n-1].Op != h.Op {
								t.Fatalf("StartView op %d sent while the durable log_view is %d with %d headers",
									h.Op, durable.LogView, n)
							}
						}
					}
					if rd.HardStateChanged {
						durable = rd.HardState
					}
					r.Advance(rd)
				}
			}
			if got != tc.want {
				t.Fatalf("StartView op %d, want %d (0: none, still waiting)", got, tc.want)
			}
			if tc.want != wait && (r.Status() != vsr.StatusNormal || r.Op() != tc.want) {
				t.Fatalf("after StartView: %v op %d", r.Status(), r.Op())
			}
		})
	}
}

// TestDVCNackBits checks a backup's DoViewChange: it nacks exactly the ops
// above its commit point whose body it lacks (never the committed op 8,
// whose body it lacks too), and marks the bodies it holds present.
func TestDVCNackBits(t *testing.T) {
	chain := prepares(12, []byte("x"))
	// Commit 8, bodies 1..7, 9 and 11, headers 8, 10 and 12 only.
	journal := append(chain[:7:7], chain[8], chain[10])
	cfg := vsr.Config{ID: 0, Replicas: 3, Cluster: wire.Uint128{Lo: 1}, PipelineMax: 8, StateMachine: nopSM{}}
	r, err := vsr.Restart(cfg, vsr.HardState{View: 1, LogView: 1, Commit: 8, Headers: headersOf(t, chain[7:12])}, journal)
	if err != nil {
		t.Fatal(err)
	}
	drain(r)
	// A DoViewChange for view 2 from replica 1 pulls replica 0 into view 2,
	// whose primary is replica 2.
	if err := r.Step(dvcFrame(t, dvcSpec{from: 1, logView: 1, suffix: chain[7:12]})); err != nil {
		t.Fatal(err)
	}
	var dvc *wire.DoViewChangeHeader
	for r.HasReady() {
		rd := r.Ready()
		for _, m := range rd.Messages {
			if wire.PeekCommand(m.Frame) == wire.CommandDoViewChange && m.To == 2 {
				dvc = new(wire.DoViewChangeHeader)
				if err := dvc.Decode(m.Frame); err != nil {
					t.Fatal(err)
				}
			}
		}
		r.Advance(rd)
	}
	if dvc == nil {
		t.Fatal("no DoViewChange")
	}
	// Body header i is op 12-i: ops 12, 11, 10, 9, 8.
	if dvc.Op != 12 || dvc.Commit != 8 {
		t.Fatalf("op %d commit %d, want 12 and 8", dvc.Op, dvc.Commit)
	}
	if want := (wire.Uint128{Lo: 1<<0 | 1<<2}); dvc.NackBitset != want {
		t.Errorf("nack bits %#x, want %#x (ops 12 and 10)", dvc.NackBitset.Lo, want.Lo)
	}
	if want := (wire.Uint128{Lo: 1<<1 | 1<<3}); dvc.PresentBitset != want {
		t.Errorf("present bits %#x, want %#x (ops 11 and 9)", dvc.PresentBitset.Lo, want.Lo)
	}
}

func headersOf(t *testing.T, frames [][]byte) []wire.PrepareHeader {
	t.Helper()
	hs := make([]wire.PrepareHeader, len(frames))
	for i, f := range frames {
		if err := hs[i].Decode(f); err != nil {
			t.Fatal(err)
		}
	}
	return hs
}

// forkAt returns a prepare for op that chains to chain's op-1 but differs
// from chain's op.
func forkAt(chain [][]byte, op wire.Op) []byte {
	var h wire.PrepareHeader
	_ = h.Decode(chain[op-1])
	h.Request += 100
	f := make([]byte, len(chain[op-1]))
	h.Put(f)
	copy(f[wire.HeaderSize:], chain[op-1][wire.HeaderSize:])
	wire.StampPrepare(f)
	return f
}

// dvcFrame builds a sealed DoViewChange for view 2.
func dvcFrame(t *testing.T, d dvcSpec) []byte {
	t.Helper()
	hs := headersOf(t, d.suffix)
	top := hs[len(hs)-1].Op
	var body []byte
	for i := len(d.suffix) - 1; i >= 0; i-- {
		body = append(body, d.suffix[i][:wire.HeaderSize]...)
	}
	bits := func(ops []wire.Op) wire.Uint128 {
		var b wire.Uint128
		for _, op := range ops {
			b.Lo |= 1 << (top - op)
		}
		return b
	}
	h := wire.DoViewChangeHeader{Prefix: wire.Prefix{Cluster: wire.Uint128{Lo: 1}, Size: uint32(wire.HeaderSize + len(body)),
		View: 2, Replica: wire.ReplicaID(d.from)}, Op: top, Commit: hs[0].Op, Group: wire.MetadataGroup,
		LogView: d.logView, NackBitset: bits(d.nack), PresentBitset: bits(d.present)}
	f := make([]byte, wire.HeaderSize+len(body))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	wire.SealFrame(f)
	return f
}
