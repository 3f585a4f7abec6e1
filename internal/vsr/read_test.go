package vsr_test

import (
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// readEnv is ckEnv without checkpoints, with abdication off (a deposed
// primary keeps believing it leads until it hears of the newer view) and
// an optional bug.
func readEnv(t *testing.T, n int, bug vsr.Bug) *env {
	t.Helper()
	return newEnv(t, n, func(cfg *vsr.Config) { cfg.Bug, cfg.Timeouts.Abdicate = bug, 1<<30 })
}

// read asks replica i for read id and stabilizes; it returns the results
// that came out meanwhile.
func (e *env) read(i int, id uint64) []readSeen {
	n := len(e.reads)
	e.nodes[i].r.Read(id)
	e.stabilize(false)
	return e.reads[n:]
}

// resultOf returns read id's result, if it came.
func (e *env) resultOf(id uint64) (readSeen, bool) {
	for _, rs := range e.reads {
		if rs.id == id {
			return rs, true
		}
	}
	return readSeen{}, false
}

// depose cuts replica 0 (the primary of view 0) off, lets the others
// elect a primary of view 1 and commits an add of 7 there. Replica 0
// still believes it is the normal primary of view 0.
func depose(t *testing.T, e *env) {
	t.Helper()
	e.adds(1, 1) // counter 1 everywhere
	for i := range e.nodes {
		e.blocked[[2]int{i, 0}], e.blocked[[2]int{0, i}] = true, true
	}
	for range 300 {
		e.ticks(1)
		if r := e.nodes[1].r; r.View() > 0 && r.Status() == vsr.StatusNormal && r.IsPrimary() {
			break
		}
	}
	if r := e.nodes[1].r; !r.IsPrimary() || r.View() == 0 {
		t.Fatalf("replica 1 did not become primary: view %d", r.View())
	}
	e.adds(2, 2) // the new view commits a write: 1 + 1 = 2 on replicas 1, 2
	old := e.nodes[0].r
	if old.View() != 0 || old.Status() != vsr.StatusNormal || !old.IsPrimary() {
		t.Fatalf("replica 0 left view 0: view %d status %v", old.View(), old.Status())
	}
}

// TestReadNormalPrimary checks that the normal primary confirms a read
// with one round and serves the committed state, and that a backup
// refuses at once.
func TestReadNormalPrimary(t *testing.T) {
	e := readEnv(t, 3, vsr.BugNone)
	e.adds(1, 3)
	got := e.read(0, 1)
	if len(got) != 1 || !got[0].ok || got[0].value != 3 {
		t.Fatalf("primary read: %+v, want ok value 3", got)
	}
	if e.rounds != 2 {
		t.Fatalf("%d read Commits, want 2 (one round to two backups)", e.rounds)
	}
	got = e.read(1, 2)
	if len(got) != 1 || got[0].ok {
		t.Fatalf("backup read: %+v, want refused", got)
	}
}

// TestReadDeposedPrimary checks that a primary cut off from its backups,
// while they elect a new primary that commits a write, cannot confirm a
// read (it times out, refused), and that with BugReadWithoutQuorum it
// would have served the stale value: the test sees the difference.
func TestReadDeposedPrimary(t *testing.T) {
	e := readEnv(t, 3, vsr.BugNone)
	depose(t, e)
	e.nodes[0].r.Read(10)
	e.ticks(39)
	if rs, ok := e.resultOf(10); ok {
		t.Fatalf("deposed primary answered before the read timeout: %+v", rs)
	}
	e.ticks(1)
	if rs, ok := e.resultOf(10); !ok || rs.ok {
		t.Fatalf("deposed primary's read: %+v (came %v), want refused", rs, ok)
	}
	// The new primary confirms and serves the new write.
	if got := e.read(1, 11); len(got) != 1 || !got[0].ok || got[0].value != 2 {
		t.Fatalf("new primary read: %+v, want ok value 2", got)
	}

	bad := readEnv(t, 3, vsr.BugReadWithoutQuorum)
	depose(t, bad)
	got := bad.read(0, 10)
	if len(got) != 1 || !got[0].ok || got[0].value != 1 {
		t.Fatalf("with the bug: %+v, want a stale ok read of 1", got)
	}
}

// TestReadBatch checks that reads share rounds: the first read opens a
// round, and the thousand that arrive while it is open share the next
// one: two rounds in all, two Commits each.
func TestReadBatch(t *testing.T) {
	e := readEnv(t, 3, vsr.BugNone)
	e.adds(1, 2)
	p := e.nodes[0].r
	for id := range uint64(1000) {
		p.Read(id + 1)
	}
	e.stabilize(false)
	if len(e.reads) != 1000 {
		t.Fatalf("%d results, want 1000", len(e.reads))
	}
	for _, rs := range e.reads {
		if !rs.ok || rs.value != 2 {
			t.Fatalf("read %+v, want ok value 2", rs)
		}
	}
	if e.rounds != 4 {
		t.Fatalf("%d read Commits for 1000 reads, want 4 (two rounds)", e.rounds)
	}
}

// TestReadViewChangeFails checks that reads in flight fail when their
// primary gives its view up (StandDown) and that a replica out of normal
// status refuses at once.
func TestReadViewChangeFails(t *testing.T) {
	e := readEnv(t, 3, vsr.BugNone)
	p := e.nodes[0].r
	p.Read(1)
	p.Read(2) // waits for the next round
	p.StandDown()
	e.stabilize(false)
	for _, id := range []uint64{1, 2} {
		if rs, ok := e.resultOf(id); !ok || rs.ok {
			t.Fatalf("read %d after StandDown: %+v (came %v), want refused", id, rs, ok)
		}
	}
	p.Read(3)
	e.stabilize(false)
	if rs, ok := e.resultOf(3); !ok || rs.ok {
		t.Fatalf("read on a primary that stood down: %+v (came %v), want refused", rs, ok)
	}
}

// TestReadOneReplica checks that a group of one confirms a read at once.
func TestReadOneReplica(t *testing.T) {
	e := readEnv(t, 1, vsr.BugNone)
	e.adds(1, 1)
	if got := e.read(0, 1); len(got) != 1 || !got[0].ok || got[0].value != 1 {
		t.Fatalf("single replica read: %+v", got)
	}
	if e.rounds != 0 {
		t.Fatalf("%d read Commits in a group of one", e.rounds)
	}
}

// BenchmarkRead measures one linearizable read on a three-replica
// primary, batched 64 to a round: Read, the round's Commit to the
// backups, their PrepareOks, the results, with every Ready drained.
func BenchmarkRead(b *testing.B) {
	const batch = 64
	e := &env{out: &strings.Builder{}, blocked: map[[2]int]bool{}, sessions: map[uint64]uint64{}}
	for i := range 3 {
		cfg := vsr.Config{ID: wire.ReplicaID(i), Replicas: 3, Cluster: wire.Uint128{Lo: 1}, StateMachine: &counter{}}
		r, err := vsr.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		e.nodes = append(e.nodes, &tnode{cfg: cfg, r: r, journal: map[wire.Op][]byte{}})
	}
	p := e.nodes[0].r
	var id uint64
	b.ReportAllocs()
	for b.Loop() {
		id++
		p.Read(id)
		if id%batch == 0 {
			e.stabilize(false)
			e.reads = e.reads[:0]
		}
	}
}

// TestReadAfterViewChange checks the read index of a new primary: a write
// committed and acknowledged by the old primary, which crashed before any
// backup learned of the commit, is above the new primary's commit point
// when it starts its view. A read confirmed by a backup that still lacks
// that write's body must wait for it to commit in the new view (the read
// index is the head the view started with), not serve the state below it.
func TestReadAfterViewChange(t *testing.T) {
	e := readEnv(t, 3, vsr.BugNone)
	e.blocked[[2]int{0, 2}] = true // replica 2 never gets op 2 from replica 0
	h := wire.RequestHeader{Client: wire.ClientID{Lo: 1}, Request: 1, Session: e.sessions[1], Operation: wire.OpCreateStream}
	e.send(&h, []byte("add 5"))
	if len(e.replies) < 2 { // the Register's reply and this one
		t.Fatalf("the write was not acknowledged: %d replies", len(e.replies))
	}
	e.nodes[0].r = nil // crashed before a heartbeat told anyone op 2 committed
	if r := e.nodes[1].r; r.CommitMax() != 1 || r.Op() != 2 {
		t.Fatalf("replica 1: op %d commit %d, want op 2 uncommitted", r.Op(), r.CommitMax())
	}
	// Replica 1 becomes the primary of view 1; no prepare body reaches
	// replica 2 (so op 2 cannot commit in view 1 yet), everything else
	// does.
	e.drop = func(m msg) bool {
		c := wire.PeekCommand(m.frame)
		return m.to == 2 && (c == wire.CommandPrepare || c == wire.CommandRepairPrepare)
	}
	for range 400 {
		e.ticks(1)
		if r := e.nodes[1].r; r.View() > 0 && r.Status() == vsr.StatusNormal && r.IsPrimary() {
			break
		}
	}
	p := e.nodes[1].r
	if !p.IsPrimary() || p.Status() != vsr.StatusNormal || p.CommitMin() != 1 {
		t.Fatalf("replica 1: primary %v status %v commit %d", p.IsPrimary(), p.Status(), p.CommitMin())
	}
	// Replica 2 echoes the round (confirmed: replicas 1 and 2), but op 2
	// is not committed: the read waits.
	rounds := e.rounds
	p.Read(1)
	e.ticks(5)
	if e.rounds == rounds {
		t.Fatal("no read round was sent")
	}
	if rs, ok := e.resultOf(1); ok {
		t.Fatalf("read served before op 2 committed in the new view: %+v", rs)
	}
	e.drop = nil
	for range 100 {
		e.ticks(1)
		if _, ok := e.resultOf(1); ok {
			break
		}
	}
	if rs, ok := e.resultOf(1); !ok || !rs.ok || rs.value != 5 {
		t.Fatalf("read after the view change: %+v (came %v), want ok value 5 (the acknowledged write)", rs, ok)
	}
}
