package metagroup

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsrlog"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestRestartAfterManyLoginsIsBounded is issue #14: a group that has
// committed 20,000 ops (logins: a Register and a Logout each) with a
// checkpoint every 1,000 keeps at most about one interval of ops in its
// journal and in memory, and a restart replays only those: the state
// comes back from the checkpoint, intact.
func TestRestartAfterManyLoginsIsBounded(t *testing.T) {
	const (
		interval = 1000
		logins   = 10000
	)
	fs := vfs.NewMem()
	r := startInterval(t, newMesh(1), 0, 1, fs, interval)
	user := createUser(t, r)
	propose(t, r, metadata.CreateStream{Timestamp: 2, Name: "orders"})
	start := time.Now()
	for i := range logins {
		c := wire.ClientID{Lo: uint64(i) + 1, Hi: 9}
		res, _ := propose(t, r, metadata.Register{Client: c, UserID: user, Timestamp: uint64(i)})
		if !res.OK() {
			t.Fatalf("login %d: %v", i, res.Status)
		}
		if _, _, err := r.g.Propose(metadata.Logout{Client: c, Epoch: res.Epoch}); err != nil {
			t.Fatalf("logout %d: %v", i, err)
		}
	}
	// One live session at the end, so the client table and the session
	// table in the checkpoint are not empty.
	live := wire.ClientID{Lo: 1 << 40, Hi: 9}
	res, _ := propose(t, r, metadata.Register{Client: live, UserID: user, Timestamp: 7})
	if !res.OK() {
		t.Fatal(res.Status)
	}
	liveEpoch := res.Epoch
	elapsed := time.Since(start)
	st := r.g.Status()
	if st.CommitMin < 2*logins || st.Checkpoint < st.CommitMin-interval || st.LogLen > interval+8 {
		t.Fatalf("commit %d, checkpoint %d, %d ops in memory: want a checkpoint within %d ops and at most that many in memory",
			st.CommitMin, st.Checkpoint, st.LogLen, interval)
	}
	digest, sessions := r.store.Current().Digest(), r.store.Current().SessionCount()
	info, err := fs.Stat("meta/" + vsrlog.JournalName)
	if err != nil {
		t.Fatal(err)
	}
	// A prepare record here is about 350 bytes; 20,000 of them would be
	// about 7 MB.
	if info.Size() > 2*interval*400 {
		t.Fatalf("journal %d bytes after %d ops with a checkpoint every %d", info.Size(), st.CommitMin, interval)
	}
	t.Logf("%d ops in %v; checkpoint %d, %d ops in memory, journal %d bytes", st.CommitMin, elapsed, st.Checkpoint, st.LogLen, info.Size())
	if err := r.g.Stop(); err != nil {
		t.Fatal(err)
	}

	start = time.Now()
	r2 := startInterval(t, newMesh(1), 0, 1, fs, interval)
	defer r2.g.Stop()
	rec := r2.g.Node().Recovery()
	if rec.Prepares > interval+8 {
		t.Fatalf("restart read %d prepares, want at most one interval", rec.Prepares)
	}
	if got := r2.store.Current(); got.Digest() != digest || got.SessionCount() != sessions || sessions != 1 {
		t.Fatalf("state after restart differs (sessions %d, want %d)", got.SessionCount(), sessions)
	}
	if _, ok := r2.store.Current().Session(live); !ok {
		t.Fatal("the live session is gone after restart")
	}
	t.Logf("restart: %d prepares replayed from the journal in %v", rec.Prepares, time.Since(start))
	// The live session's client table entry came back with the
	// checkpoint: its logout ends it through the client table.
	propose(t, r2, metadata.Logout{Client: live, Epoch: liveEpoch})
	if _, ok := r2.store.Current().Session(live); ok || r2.g.node.Status().CommitMin <= st.CommitMin {
		t.Fatal("the logout after restart did not commit")
	}
	if res, _ := propose(t, r2, metadata.CreateStream{Timestamp: 3, Name: "after"}); !res.OK() {
		t.Fatalf("propose after restart: %v", res.Status)
	}
}

// TestLaggingReplicaCatchesUpByStateTransfer cuts a backup off while the
// group commits across several checkpoints; when it comes back, the
// others no longer hold the ops it lacks, so it installs the primary's
// checkpoint (the metadata state through Machine.Restore) and repairs the
// rest: it ends with the same state.
func TestLaggingReplicaCatchesUpByStateTransfer(t *testing.T) {
	const n, interval = 3, 20
	m := newMesh(n)
	rs := make([]*replica, n)
	for i := range n {
		rs[i] = startInterval(t, m, i, n, vfs.NewMem(), interval)
	}
	defer func() {
		for _, r := range rs {
			r.g.Stop()
		}
	}()
	propose(t, rs[0], metadata.CreateStream{Timestamp: 1, Name: "before"})
	propose(t, rs[0], metadata.CreateTopic{Timestamp: 2, Stream: wire.NamedID("before"), Partitions: 2, Shards: 1, Name: "gone"})
	until(t, 10*time.Second, "the topic on replica 2", func() bool { return len(rs[2].fx.kinds()) == 1 })
	m.mu.Lock()
	m.down[2] = true
	m.mu.Unlock()
	// Covered by the checkpoints replica 2 will install: a topic goes and
	// another comes; their partitions must follow on replica 2 too.
	propose(t, rs[0], metadata.DeleteTopic{Stream: wire.NamedID("before"), Topic: wire.NamedID("gone")})
	propose(t, rs[0], metadata.CreateTopic{Timestamp: 3, Stream: wire.NamedID("before"), Partitions: 3, Shards: 1, Name: "new"})
	for i := range 100 {
		if res, _ := propose(t, rs[0], metadata.CreateStream{Timestamp: uint64(i + 4), Name: fmt.Sprint("s", i)}); !res.OK() {
			t.Fatal(res.Status)
		}
	}
	until(t, 10*time.Second, "checkpoints on the connected replicas", func() bool {
		return rs[0].g.Status().Checkpoint >= 80 && rs[1].g.Status().Checkpoint >= 80
	})
	behind := rs[2].g.Status().CommitMin
	m.mu.Lock()
	m.down[2] = false
	m.mu.Unlock()
	want := rs[0].store.Current().Digest()
	until(t, 20*time.Second, "the lagging replica catches up", func() bool { return rs[2].store.Current().Digest() == want })
	st := rs[2].g.Status()
	if behind > 10 || st.Checkpoint < 80 || rs[2].store.Current().StreamCount() != 101 {
		t.Fatalf("lagging replica was at %d, now checkpoint %d with %d streams", behind, st.Checkpoint, rs[2].store.Current().StreamCount())
	}
	wantFx := []metadata.EffectKind{metadata.EffectCreatePartitions, metadata.EffectDropPartitions, metadata.EffectCreatePartitions}
	if got := rs[2].fx.kinds(); !slices.Equal(got, wantFx) {
		t.Fatalf("replica 2 partition effects %v, want %v (the transferred state's drops and creations)", got, wantFx)
	}
}
