package vsr_test

import (
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

type nopSM struct{}

func (nopSM) Apply(wire.Op, *wire.PrepareHeader, []byte) []byte { return nil }

// snapSM is nopSM with a 64-byte snapshot, for checkpoints.
type snapSM struct{ nopSM }

func (snapSM) Snapshot() []byte     { return make([]byte, 64) }
func (snapSM) Restore([]byte) error { return nil }

func newReplica(tb testing.TB, id, n int) *vsr.Replica { return newReplicaInterval(tb, id, n, 0) }

// newReplicaInterval is newReplica checkpointing every interval ops.
func newReplicaInterval(tb testing.TB, id, n int, interval uint64) *vsr.Replica {
	r, err := vsr.New(vsr.Config{ID: wire.ReplicaID(id), Replicas: n, Cluster: wire.Uint128{Lo: 1},
		PipelineMax: 8, StateMachine: snapSM{}, CheckpointInterval: interval})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// prepares builds a hash chain of n prepares from replica 0 in view 0.
func prepares(n int, body []byte) [][]byte {
	out := make([][]byte, n)
	var parent wire.Uint128
	for i := range n {
		h := wire.PrepareHeader{Prefix: wire.Prefix{Cluster: wire.Uint128{Lo: 1}, Size: uint32(wire.HeaderSize + len(body))},
			Client: wire.ClientID{Lo: 1}, Parent: parent, Op: wire.Op(i + 1), Commit: wire.Op(max(i-1, 0)),
			Request: uint64(i + 1), Operation: wire.OpSendMessages, Group: wire.MetadataGroup}
		f := make([]byte, wire.HeaderSize+len(body))
		h.Put(f)
		copy(f[wire.HeaderSize:], body)
		wire.StampPrepare(f)
		parent = wire.PrepareIdentity(f)
		out[i] = f
	}
	return out
}

// drain persists and advances everything, returning the messages.
func drain(r *vsr.Replica) int {
	n := 0
	for r.HasReady() {
		rd := r.Ready()
		n += len(rd.Messages)
		r.Advance(rd)
	}
	return n
}

// BenchmarkStepPrepare measures a backup taking one Prepare: validation,
// identity check, install, persist hand-off, PrepareOk after Advance.
func BenchmarkStepPrepare(b *testing.B) {
	const chain = 4096
	frames := prepares(chain, make([]byte, 128))
	b.ReportAllocs()
	b.SetBytes(int64(len(frames[0])))
	var r *vsr.Replica
	i := chain
	for b.Loop() {
		if i == chain {
			b.StopTimer()
			r, i = newReplica(b, 1, 3), 0
			b.StartTimer()
		}
		if err := r.Step(frames[i]); err != nil {
			b.Fatal(err)
		}
		drain(r)
		i++
	}
}

// BenchmarkPrimaryPipeline measures one client request through a
// three-replica cluster: request → prepare to both backups → PrepareOks →
// commit → reply, with every Ready persisted and advanced in memory.
func BenchmarkPrimaryPipeline(b *testing.B) { benchPipeline(b, 0) }

// BenchmarkPrimaryPipelineCheckpoint is BenchmarkPrimaryPipeline with a
// checkpoint every 256 ops on every replica (encoding, compaction): the
// amortised cost of issue #14's bound on memory.
func BenchmarkPrimaryPipelineCheckpoint(b *testing.B) { benchPipeline(b, 256) }

func benchPipeline(b *testing.B, interval uint64) {
	const perCluster = 4096
	body := make([]byte, 128)
	var rs [3]*vsr.Replica
	var session uint64
	var req uint64
	deliver := func() (replies int) {
		for moved := true; moved; {
			moved = false
			for _, r := range rs {
				for r.HasReady() {
					moved = true
					rd := r.Ready()
					replies += len(rd.Replies)
					for _, c := range rd.Replies {
						var h wire.ReplyHeader
						if h.Decode(c.Frame) == nil && h.Operation == wire.OpRegister {
							session = uint64(h.Op)
						}
					}
					r.Advance(rd)
					for _, m := range rd.Messages {
						if err := rs[m.To].Step(m.Frame); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
		}
		return replies
	}
	frame := func(op wire.Operation, s, q uint64, body []byte) []byte {
		h := wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(wire.HeaderSize + len(body))}, Client: wire.ClientID{Lo: 9},
			Operation: op, Session: s, Request: q}
		f := make([]byte, wire.HeaderSize+len(body))
		h.Put(f)
		copy(f[wire.HeaderSize:], body)
		return f
	}
	b.ReportAllocs()
	n := perCluster
	for b.Loop() {
		if n == perCluster {
			b.StopTimer()
			for i := range rs {
				rs[i] = newReplicaInterval(b, i, 3, interval)
			}
			if err := rs[0].Step(frame(wire.OpRegister, 0, 0, nil)); err != nil {
				b.Fatal(err)
			}
			deliver()
			n, req = 0, 0
			b.StartTimer()
		}
		req++
		if err := rs[0].Step(frame(wire.OpSendMessages, session, req, body)); err != nil {
			b.Fatal(err)
		}
		if deliver() != 1 {
			b.Fatalf("request %d: no reply", req)
		}
		n++
	}
}
