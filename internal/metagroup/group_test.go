package metagroup

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// effects records what Storage.Apply was asked, per replica.
type effects struct {
	mu   sync.Mutex
	seen []metadata.EffectKind
}

func (e *effects) Apply(_ uint64, fx []metadata.Effect) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range fx {
		e.seen = append(e.seen, f.Kind)
	}
}

func (e *effects) kinds() []metadata.EffectKind {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.seen)
}

// mesh connects groups in memory: a frame sent to replica i is handed to
// i's group as the replica plane would (forwarding frames to
// HandleForward, the rest to its node). Sends never block (S1).
type mesh struct {
	mu     sync.Mutex
	groups []*Group
	down   []bool
}

type link struct {
	m    *mesh
	from wire.ReplicaID
}

func (l link) SendToReplica(to wire.ReplicaID, frame []byte) error {
	l.m.mu.Lock()
	g := l.m.groups[to]
	down := l.m.down[to] || l.m.down[l.from]
	l.m.mu.Unlock()
	if g == nil || down {
		return errors.New("not connected")
	}
	f := slices.Clone(frame)
	if g.HandleForward(l.from, f) {
		return nil
	}
	return g.node.Deliver(f)
}

// replica is one member of a test cluster.
type replica struct {
	fs    *vfs.MemFS
	store *metadata.Store
	fx    *effects
	g     *Group
}

func start(t *testing.T, m *mesh, id, n int, fs *vfs.MemFS) *replica {
	t.Helper()
	return startInterval(t, m, id, n, fs, 0)
}

// startInterval is start with a checkpoint interval (0: the default).
func startInterval(t *testing.T, m *mesh, id, n int, fs *vfs.MemFS, interval uint64) *replica {
	t.Helper()
	store, err := metadata.NewStore(nil, metadata.Options{HashParams: metadata.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{fs: fs, store: store, fx: &effects{}}
	g, err := Start(Config{Store: store, Storage: r.fx, FS: fs, Dir: "meta",
		Replica:   vsr.Config{ID: wire.ReplicaID(id), Replicas: n, Cluster: wire.Uint128{Lo: 7}, CheckpointInterval: interval},
		Transport: link{m, wire.ReplicaID(id)}})
	if err != nil {
		t.Fatal(err)
	}
	r.g = g
	m.mu.Lock()
	m.groups[id] = g
	m.down[id] = false
	m.mu.Unlock()
	g.Opened()
	return r
}

func newMesh(n int) *mesh { return &mesh{groups: make([]*Group, n), down: make([]bool, n)} }

// propose retries op on r until r is a normal primary (a fresh replica
// needs its first round; a new view needs its view change). It fails
// the test after the group's own timeouts.
func propose(t *testing.T, r *replica, op metadata.Op) (metadata.Result, *metadata.State) {
	t.Helper()
	for i := 0; ; i++ {
		res, st, err := r.g.Propose(op)
		if err == nil {
			return res, st
		}
		if !errors.Is(err, ErrNotPrimary) || i > 5000 {
			t.Fatalf("propose %v: %v", op.Kind(), err)
		}
		waitRound(r.g)
	}
}

// waitRound waits for the group's next status change or a short while.
func waitRound(g *Group) {
	select {
	case <-g.node.Done():
	case <-afterTick():
	}
}

func TestStandaloneCommitsAndRestarts(t *testing.T) {
	m := newMesh(1)
	fs := vfs.NewMem()
	r := start(t, m, 0, 1, fs)
	res, st := propose(t, r, metadata.CreateStream{Timestamp: 1, Name: "orders"})
	if !res.OK() {
		t.Fatalf("create stream: %v", res.Status)
	}
	if _, code := st.ResolveStream(wire.NamedID("orders")); code != wire.StatusOK {
		t.Fatalf("stream not in the returned state: %v", code)
	}
	res, _ = propose(t, r, metadata.CreateTopic{Timestamp: 2, Stream: wire.NamedID("orders"), Partitions: 2, Shards: 1, Name: "t"})
	if !res.OK() {
		t.Fatalf("create topic: %v", res.Status)
	}
	if got := r.fx.kinds(); !slices.Equal(got, []metadata.EffectKind{metadata.EffectCreatePartitions}) {
		t.Fatalf("effects %v, want one creation", got)
	}
	// A refused operation is committed, answered, and changes nothing.
	res, _ = propose(t, r, metadata.CreateStream{Timestamp: 3, Name: "orders"})
	if res.OK() {
		t.Fatal("duplicate stream accepted")
	}
	digest := r.store.Current().Digest()
	if err := r.g.Stop(); err != nil {
		t.Fatal(err)
	}

	// Restart from the same directory: the state comes back from the VSR
	// log alone, and the replayed ops carry out no effects again.
	r2 := start(t, m, 0, 1, fs)
	defer r2.g.Stop()
	if got := r2.store.Current().Digest(); got != digest {
		t.Fatal("state after restart differs")
	}
	if got := r2.fx.kinds(); len(got) != 0 {
		t.Fatalf("replay carried out effects %v", got)
	}
	res, _ = propose(t, r2, metadata.DeleteStream{Stream: wire.NamedID("orders")})
	if !res.OK() {
		t.Fatalf("delete stream after restart: %v", res.Status)
	}
	if got := r2.fx.kinds(); !slices.Equal(got, []metadata.EffectKind{metadata.EffectDropPartitions}) {
		t.Fatalf("effects after restart %v, want one drop", got)
	}
}

func TestSessionsAreTheClientTable(t *testing.T) {
	m := newMesh(1)
	r := start(t, m, 0, 1, vfs.NewMem())
	defer r.g.Stop()
	client := wire.ClientID{Lo: 42}
	res, st := propose(t, r, metadata.Register{Client: client, UserID: createUser(t, r), Timestamp: 2})
	if !res.OK() || res.Epoch == 0 {
		t.Fatalf("register: %+v", res)
	}
	s, ok := st.Session(client)
	if !ok || s.Epoch != res.Epoch || uint64(s.Epoch) != st.CommitOp() {
		t.Fatalf("session %+v (ok %v), epoch %d, commit op %d: the epoch must be the Register's op", s, ok, res.Epoch, st.CommitOp())
	}
	// Registering the same client for the same user again answers with
	// the session it has (the client table's reply), committing nothing.
	again, _ := propose(t, r, metadata.Register{Client: client, UserID: s.UserID, Timestamp: 3})
	if again.Epoch != res.Epoch {
		t.Fatalf("second register epoch %d, want %d", again.Epoch, res.Epoch)
	}
	if _, _, err := r.g.Propose(metadata.Logout{Client: client, Epoch: res.Epoch}); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.store.Current().Session(client); ok {
		t.Fatal("session survives its logout")
	}
	// A logout of a session the table no longer has still reaches the
	// metadata (through the proposer) and changes nothing.
	if _, _, err := r.g.Propose(metadata.Logout{Client: client, Epoch: res.Epoch}); err != nil {
		t.Fatal(err)
	}
}

// createUser creates user1 through r and returns its id.
func createUser(t *testing.T, r *replica) uint32 {
	t.Helper()
	hash, err := metadata.HashPassword("secret-pw", metadata.TestHashParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := propose(t, r, metadata.CreateUser{Timestamp: 1, Status: metadata.UserActive, Username: "user1", Password: hash})
	if !res.OK() {
		t.Fatal(res.Status)
	}
	return res.UserID
}

// afterTick paces the polling loops that wait for a view change: they
// poll a condition, and time only bounds how often.
func afterTick() <-chan time.Time { return time.After(5 * time.Millisecond) }

// TestEvictedSessionEndsInMetadata: when a login finds the client table
// full, the session the table evicts ends in the metadata too, so the two
// hold the same sessions.
func TestEvictedSessionEndsInMetadata(t *testing.T) {
	store, err := metadata.NewStore(nil, metadata.Options{HashParams: metadata.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Start(Config{Store: store, Storage: &effects{}, FS: vfs.NewMem(), Dir: "meta",
		Replica:   vsr.Config{Replicas: 1, Cluster: wire.Uint128{Lo: 7}, ClientsMax: 4},
		Transport: link{newMesh(1), 0}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	g.Opened()
	r := &replica{store: store, g: g}
	hash, err := metadata.HashPassword("secret-pw", metadata.TestHashParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := propose(t, r, metadata.CreateUser{Timestamp: 1, Status: metadata.UserActive, Username: "user1", Password: hash})
	// Four slots: the proposer's and three sessions; the fourth login
	// evicts the entry whose latest reply is oldest, the proposer's.
	for i := range 4 {
		if res, _ := propose(t, r, metadata.Register{Client: wire.ClientID{Lo: uint64(100 + i)}, UserID: u.UserID, Timestamp: 2}); !res.OK() {
			t.Fatalf("register %d: %v", i, res.Status)
		}
	}
	if n := store.Current().SessionCount(); n != 4 {
		t.Fatalf("%d sessions in the metadata, want the table's 4", n)
	}
	// The proposer does not know yet when its eviction notice is lost;
	// its next request is refused and sent again after a new Register.
	g.mu.Lock()
	g.session = 1 // the stale session it would still hold
	g.mu.Unlock()
	// The next operation registers the proposer again, which evicts the
	// oldest session: it ends in the metadata too.
	if res, _ := propose(t, r, metadata.CreateStream{Timestamp: 3, Name: "s1"}); !res.OK() {
		t.Fatal(res.Status)
	}
	st := store.Current()
	if _, ok := st.Session(wire.ClientID{Lo: 100}); ok {
		t.Fatal("the evicted session is still in the metadata")
	}
	if n := st.SessionCount(); n != 3 {
		t.Fatalf("%d sessions in the metadata, want 3", n)
	}
}
