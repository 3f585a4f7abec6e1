package vsr_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// ckEnv builds an env of n replicas that checkpoint every interval ops,
// with client 1 registered.
func ckEnv(t *testing.T, n int, interval uint64) *env {
	t.Helper()
	return newEnv(t, n, func(cfg *vsr.Config) { cfg.CheckpointInterval = interval })
}

// newEnv builds an env of n replicas, each config adjusted by adjust,
// with client 1 registered.
func newEnv(t *testing.T, n int, adjust func(*vsr.Config)) *env {
	t.Helper()
	e := &env{out: &strings.Builder{}, blocked: map[[2]int]bool{}, sessions: map[uint64]uint64{}}
	for i := range n {
		cfg := vsr.Config{ID: wire.ReplicaID(i), Replicas: n, Cluster: wire.Uint128{Lo: 1}, PipelineMax: 4,
			ClientsMax: 8, StateMachine: &counter{}, Seed: uint64(i)}
		adjust(&cfg)
		r, err := vsr.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.nodes = append(e.nodes, &tnode{cfg: cfg, r: r, journal: map[wire.Op][]byte{}})
	}
	h := wire.RequestHeader{Prefix: wire.Prefix{Size: wire.HeaderSize}, Client: wire.ClientID{Lo: 1}, Operation: wire.OpRegister}
	e.send(&h, nil)
	if e.sessions[1] == 0 {
		t.Fatal("client 1 did not register")
	}
	return e
}

// send hands a client request to the primary and stabilizes.
func (e *env) send(h *wire.RequestHeader, body []byte) {
	f := make([]byte, wire.HeaderSize+len(body))
	h.Size = uint32(len(f))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	for _, nd := range e.nodes {
		if nd.r != nil && nd.r.IsPrimary() && nd.r.Status() == vsr.StatusNormal {
			_ = nd.r.Step(f)
		}
	}
	e.stabilize(false)
}

// adds sends requests from..to of client 1, each adding 1.
func (e *env) adds(from, to uint64) {
	for req := from; req <= to; req++ {
		h := wire.RequestHeader{Client: wire.ClientID{Lo: 1}, Request: req, Session: e.sessions[1], Operation: wire.OpCreateStream}
		e.send(&h, []byte("add 1"))
	}
}

func (e *env) ticks(n int) {
	for range n {
		for _, nd := range e.nodes {
			if nd.r != nil {
				nd.r.Tick()
			}
		}
		e.stabilize(false)
	}
}

// TestCheckpointCompacts runs 95 ops with a checkpoint every 10: every
// replica checkpoints at 90, holds only the ops above it in memory and in
// its journal, and its hard state names the checkpoint.
func TestCheckpointCompacts(t *testing.T) {
	e := ckEnv(t, 3, 10)
	e.adds(1, 94) // ops 2..95
	e.ticks(30)   // heartbeats carry the commit point to the backups
	for i, nd := range e.nodes {
		r := nd.r
		latest, base := r.Checkpoint()
		if r.CommitMin() != 95 || latest != 90 || base != 90 {
			t.Fatalf("r%d: commit %d checkpoint %d base %d, want 95/90/90", i, r.CommitMin(), latest, base)
		}
		if r.LogLen() != 5 || len(nd.journal) != 5 || nd.hs.Checkpoint != 90 {
			t.Fatalf("r%d: %d ops in memory, %d in the journal, hard state checkpoint %d", i, r.LogLen(), len(nd.journal), nd.hs.Checkpoint)
		}
		if op, _, err := vsr.CheckpointOp(nd.cp); err != nil || op != 90 {
			t.Fatalf("r%d: checkpoint bytes: op %d, %v", i, op, err)
		}
		if got := nd.r.ClientsDigest(); got != e.nodes[0].r.ClientsDigest() {
			t.Fatalf("r%d: client table differs", i)
		}
	}
}

// TestRestartFromCheckpoint crashes every replica after checkpoints and
// restarts them from checkpoint plus journal: state, client table and
// service continue.
func TestRestartFromCheckpoint(t *testing.T) {
	e := ckEnv(t, 3, 10)
	e.adds(1, 44) // ops 2..45
	e.ticks(30)
	want := e.nodes[0].cfg.StateMachine.(*counter).n
	digest := e.nodes[0].r.ClientsDigest()
	for i, nd := range e.nodes {
		e.restart(t, i)
		r, sm := nd.r, nd.cfg.StateMachine.(*counter)
		if sm.n < 40 || r.CommitMin() < 40 {
			t.Fatalf("r%d: restarted at commit %d with counter %d, want the checkpoint's (>= 40)", i, r.CommitMin(), sm.n)
		}
	}
	e.ticks(400)
	for i, nd := range e.nodes {
		if got := nd.cfg.StateMachine.(*counter).n; got != want || nd.r.ClientsDigest() != digest || nd.r.Status() != vsr.StatusNormal {
			t.Fatalf("r%d: counter %d (want %d), status %v, client table equal %v", i, got, want, nd.r.Status(), nd.r.ClientsDigest() == digest)
		}
	}
	e.adds(45, 50) // the session survived the restart
	e.ticks(30)
	if got := e.nodes[0].cfg.StateMachine.(*counter).n; got != want+6 {
		t.Fatalf("after restart: counter %d, want %d", got, want+6)
	}
	// Checkpoint bytes that the hard state does not name are refused.
	nd := e.nodes[1]
	if _, err := vsr.RestartFrom(nd.cfg, vsr.HardState{}, nd.cp, nil); err == nil {
		t.Fatal("RestartFrom accepted a checkpoint the hard state does not name")
	}
	bad := append([]byte(nil), nd.cp...)
	bad[len(bad)/2] ^= 1
	if _, err := vsr.RestartFrom(nd.cfg, nd.hs, bad, nil); err == nil {
		t.Fatal("RestartFrom accepted damaged checkpoint bytes")
	}
}

// TestStateTransfer partitions a backup away for several checkpoints; when
// it returns, its peers no longer hold the ops it lacks, so it catches up
// by state transfer and then by repair above the checkpoint.
func TestStateTransfer(t *testing.T) {
	e := ckEnv(t, 3, 10)
	e.adds(1, 5)
	for i := range e.nodes {
		e.blocked[[2]int{i, 2}], e.blocked[[2]int{2, i}] = true, true
	}
	e.adds(6, 48) // ops 7..49: checkpoints 10..40 on replicas 0 and 1
	if c := e.nodes[2].r.CommitMin(); c > 10 {
		t.Fatalf("isolated replica committed %d", c)
	}
	clear(e.blocked)
	for range 300 {
		e.ticks(1)
		if e.nodes[2].r.CommitMin() == 49 {
			break
		}
	}
	r2 := e.nodes[2].r
	// Its peers dropped ops 1..40, so only a transferred checkpoint can
	// have brought it to 49.
	if _, base := e.nodes[0].r.Checkpoint(); base != 40 {
		t.Fatalf("replica 0 compacted to %d, want 40", base)
	}
	if latest, _ := r2.Checkpoint(); r2.CommitMin() != 49 || latest < 40 {
		t.Fatalf("replica 2 at commit %d with checkpoint %d after healing, want 49 and >= 40", r2.CommitMin(), latest)
	}
	want := e.nodes[0].cfg.StateMachine.(*counter).n
	if got := e.nodes[2].cfg.StateMachine.(*counter).n; got != want || r2.ClientsDigest() != e.nodes[0].r.ClientsDigest() {
		t.Fatalf("replica 2 counter %d, want %d; client tables equal %v", got, want, r2.ClientsDigest() == e.nodes[0].r.ClientsDigest())
	}
	// It is a full member again: it acknowledges new ops and survives
	// a restart from the installed checkpoint.
	e.adds(49, 52)
	e.ticks(30)
	if c := e.nodes[2].r.CommitMin(); c != 53 {
		t.Fatalf("replica 2 at commit %d, want 53", c)
	}
	if e.nodes[2].hs.Checkpoint < 40 || e.nodes[2].cp == nil {
		t.Fatalf("the installed checkpoint is not durable: hard state names %d", e.nodes[2].hs.Checkpoint)
	}
}

// sealedFrame builds a sealed replica frame from replica from.
func sealedFrame(h interface{ Put([]byte) }, body []byte) []byte {
	f := make([]byte, wire.HeaderSize+len(body))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	wire.SealFrame(f)
	return f
}

// TestStateTransferBounds feeds a replica a faulty peer's answers: a
// target beyond CheckpointMax, chunks at the wrong offset or beyond the
// announced size, and a checkpoint whose bytes do not match the announced
// checksum. None is taken, and the replica holds no more than it was
// promised.
func TestStateTransferBounds(t *testing.T) {
	cfg := vsr.Config{ID: 0, Replicas: 3, Cluster: wire.Uint128{Lo: 1}, StateMachine: &counter{}, CheckpointInterval: 10, CheckpointMax: 1000}
	r, err := vsr.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pre := wire.Prefix{Cluster: wire.Uint128{Lo: 1}, Replica: 1, Size: wire.HeaderSize}
	out := func() (got []wire.Command, nonce wire.Uint128) {
		for r.HasReady() {
			rd := r.Ready()
			for _, m := range rd.Messages {
				c := wire.PeekCommand(m.Frame)
				if c == wire.CommandRequestStateTransfer || c == wire.CommandRequestStateChunk {
					got = append(got, c)
					nonce = wire.Uint128{Lo: binary.LittleEndian.Uint64(m.Frame[128:]), Hi: binary.LittleEndian.Uint64(m.Frame[136:])}
				}
			}
			r.Advance(rd)
		}
		return got, nonce
	}
	out()
	evicted := func() wire.Uint128 {
		e := wire.RepairRangeHeader{Prefix: pre, Op: 100, Group: wire.MetadataGroup}
		e.Command = wire.CommandRangeEvicted
		if err := r.Step(sealedFrame(&e, nil)); err != nil {
			t.Fatal(err)
		}
		got, nonce := out()
		if fmt.Sprint(got) != "[RequestStateTransfer]" {
			t.Fatalf("after RangeEvicted: sent %v", got)
		}
		return nonce
	}
	target := func(nonce wire.Uint128, size uint64, sum wire.Uint128) []wire.Command {
		body := binary.LittleEndian.AppendUint64(nil, size)
		body = binary.LittleEndian.AppendUint64(body, sum.Lo)
		body = binary.LittleEndian.AppendUint64(body, sum.Hi)
		p := pre
		p.Size = uint32(wire.HeaderSize + len(body))
		h := wire.StateTransferTargetHeader{Prefix: p, Nonce: nonce, CommitOp: 100, Group: wire.MetadataGroup, Available: true}
		if err := r.Step(sealedFrame(&h, body)); err != nil {
			t.Fatal(err)
		}
		got, _ := out()
		return got
	}
	chunk := func(nonce wire.Uint128, off uint64, body []byte) []wire.Command {
		p := pre
		p.Size = uint32(wire.HeaderSize + len(body))
		h := wire.StateChunkHeader{Prefix: p, Nonce: wire.Uint128{Lo: 100, Hi: nonce.Hi}, Offset: off, Group: wire.MetadataGroup}
		if err := r.Step(sealedFrame(&h, body)); err != nil {
			t.Fatal(err)
		}
		got, _ := out()
		return got
	}
	// Too large: refused, nothing requested.
	if got := target(evicted(), 1001, wire.Uint128{}); len(got) != 0 {
		t.Fatalf("oversized target: sent %v", got)
	}
	// A 10-byte checkpoint: one chunk request; wrong offsets and
	// oversized chunks are ignored; wrong bytes are not installed.
	nonce := evicted()
	data := []byte("0123456789")
	if got := target(nonce, 10, wire.Checksum(data)); fmt.Sprint(got) != "[RequestStateChunk]" {
		t.Fatalf("target: sent %v", got)
	}
	if got := chunk(nonce, 3, data[:5]); len(got) != 0 {
		t.Fatalf("chunk at the wrong offset: sent %v", got)
	}
	if got := chunk(nonce, 0, append(data, 'x')); len(got) != 0 {
		t.Fatalf("chunk beyond the size: sent %v", got)
	}
	if got := chunk(nonce, 0, data[:4]); fmt.Sprint(got) != "[RequestStateChunk]" {
		t.Fatalf("first chunk: sent %v", got)
	}
	chunk(nonce, 4, data[4:])
	if r.CommitMin() != 0 {
		t.Fatalf("installed bytes that are not a checkpoint: commit %d", r.CommitMin())
	}
	// The transfer ended: a new RangeEvicted starts another.
	evicted()
}

// FuzzCheckpointOp feeds arbitrary bytes to the checkpoint decoder (state
// transfer hands it a peer's bytes): it never panics, and what it accepts
// names a valid op.
func FuzzCheckpointOp(f *testing.F) {
	cfg := vsr.Config{ID: 0, Replicas: 1, Cluster: wire.Uint128{Lo: 1}, StateMachine: &counter{}, CheckpointInterval: 2}
	r, err := vsr.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	var seed []byte
	for req := uint64(0); seed == nil && req < 10; req++ {
		op, session := wire.OpRegister, uint64(0)
		if req > 0 {
			op, session = wire.OpCreateStream, 1
		}
		h := wire.RequestHeader{Prefix: wire.Prefix{Size: wire.HeaderSize}, Client: wire.ClientID{Lo: 1}, Request: req, Session: session, Operation: op}
		fr := make([]byte, wire.HeaderSize)
		h.Put(fr)
		_ = r.Step(fr)
		for r.HasReady() {
			rd := r.Ready()
			if rd.Checkpoint != nil {
				seed = rd.Checkpoint
			}
			r.Advance(rd)
		}
		r.Tick()
	}
	if seed == nil {
		f.Fatal("no checkpoint to seed the corpus")
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		if op, _, err := vsr.CheckpointOp(b); err == nil && op == 0 {
			t.Fatal("accepted a checkpoint of op 0")
		}
	})
}

// TestAckAtCheckpoint: a backup whose log is only its checkpoint (it
// checkpointed at its last op) acknowledges a retransmitted prepare of
// that op with the op's checksum; a zero checksum is refused by the
// primary, and a new primary that re-prepares the op would never commit
// it (the simulator found this with a checkpoint after every op).
func TestAckAtCheckpoint(t *testing.T) {
	frames := prepares(4, []byte("x"))
	r, err := vsr.New(vsr.Config{ID: 1, Replicas: 3, Cluster: wire.Uint128{Lo: 1}, StateMachine: &counter{}, CheckpointInterval: 2})
	if err != nil {
		t.Fatal(err)
	}
	var acks []wire.PrepareOkHeader
	step := func(f []byte) {
		if err := r.Step(f); err != nil {
			t.Fatal(err)
		}
		for r.HasReady() {
			rd := r.Ready()
			r.Advance(rd)
			for _, m := range rd.Messages {
				var h wire.PrepareOkHeader
				if wire.PeekCommand(m.Frame) == wire.CommandPrepareOk && h.Decode(m.Frame) == nil {
					acks = append(acks, h)
				}
			}
		}
	}
	for _, f := range frames {
		step(f)
	}
	want := wire.PrepareIdentity(frames[3])
	c := wire.CommitHeader{Prefix: wire.Prefix{Cluster: wire.Uint128{Lo: 1}, Size: wire.HeaderSize}, CommitChecksum: want,
		TimestampMonotonic: 1, Commit: 4, Group: wire.MetadataGroup}
	step(sealedFrame(&c, nil))
	if latest, base := r.Checkpoint(); latest != 4 || base != 4 || r.LogLen() != 0 {
		t.Fatalf("checkpoint %d base %d, %d ops in memory; want 4, 4, 0", latest, base, r.LogLen())
	}
	acks = nil
	step(frames[3]) // the primary retransmits op 4
	if len(acks) != 1 || acks[0].Op != 4 || acks[0].PrepareChecksum != want {
		t.Fatalf("acknowledgements %+v, want op 4 with checksum %v", acks, want)
	}
}

// restart restarts replica i from its durable state.
func (e *env) restart(t *testing.T, i int) {
	t.Helper()
	nd := e.nodes[i]
	frames := make([][]byte, 0, len(nd.journal))
	for _, f := range nd.journal {
		frames = append(frames, f)
	}
	cfg := nd.cfg
	cfg.StateMachine = &counter{}
	r, err := vsr.RestartFrom(cfg, nd.hs, nd.cp, frames)
	if err != nil {
		t.Fatal(err)
	}
	nd.cfg, nd.r = cfg, r
}
