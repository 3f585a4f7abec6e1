package metagroup

import (
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/vsrlog"
	"github.com/shoal-io/shoal/internal/wire"
)

// startInterval starts a standalone group (no goroutines of the mesh's)
// checkpointing every interval ops.
func startInterval(t *testing.T, fs *vfs.MemFS, interval uint64) *replica {
	t.Helper()
	store, err := metadata.NewStore(nil, metadata.Options{HashParams: metadata.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{fs: fs, store: store, fx: &effects{}}
	m := newMesh(1)
	g, err := Start(Config{Store: store, Storage: r.fx, FS: fs, Dir: "meta",
		Replica:   vsr.Config{ID: 0, Replicas: 1, Cluster: wire.Uint128{Lo: 7}, CheckpointInterval: interval},
		Transport: link{m, 0}})
	if err != nil {
		t.Fatal(err)
	}
	m.groups[0] = g
	r.g = g
	g.Opened()
	return r
}

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
	r := startInterval(t, fs, interval)
	hash, err := metadata.HashPassword("secret-pw", metadata.TestHashParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := propose(t, r, metadata.CreateUser{Timestamp: 1, Status: metadata.UserActive, Username: "user1", Password: hash})
	if !res.OK() {
		t.Fatal(res.Status)
	}
	user := res.UserID
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
	res, _ = propose(t, r, metadata.Register{Client: live, UserID: user, Timestamp: 7})
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
	r2 := startInterval(t, fs, interval)
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
