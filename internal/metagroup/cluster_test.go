package metagroup

import (
	"errors"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// until polls cond until it holds, failing the test after limit.
func until(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-afterTick()
	}
}

// TestClusterReplicatesForwardsAndFailsOver runs three replicas over an
// in-memory plane: an operation committed on the primary is applied on
// every replica with its effects; a backup refuses to propose and forwards
// a login to the primary; when the primary stops, a new one is elected and
// commits, and the old one, restarted, catches up to the same state.
func TestClusterReplicatesForwardsAndFailsOver(t *testing.T) {
	const n = 3
	m := newMesh(n)
	rs := make([]*replica, n)
	for i := range n {
		rs[i] = start(t, m, i, n, vfs.NewMem())
	}
	defer func() {
		for _, r := range rs {
			r.g.Stop()
		}
	}()
	hash, err := metadata.HashPassword("secret-pw", metadata.TestHashParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	user, _ := propose(t, rs[0], metadata.CreateUser{Timestamp: 1, Status: metadata.UserActive, Username: "user1", Password: hash})
	res, _ := propose(t, rs[0], metadata.CreateTopic{Timestamp: 2, Stream: wire.NumericID(1), Partitions: 1, Shards: 1, Name: "t"})
	if res.OK() {
		t.Fatal("topic in a missing stream accepted")
	}
	propose(t, rs[0], metadata.CreateStream{Timestamp: 3, Name: "s"})
	res, _ = propose(t, rs[0], metadata.CreateTopic{Timestamp: 4, Stream: wire.NamedID("s"), Partitions: 3, Shards: 1, Name: "t"})
	if !res.OK() {
		t.Fatalf("create topic: %v", res.Status)
	}
	want := rs[0].store.Current().Digest()
	for i := 1; i < n; i++ {
		r := rs[i]
		until(t, 10*time.Second, "backup applies", func() bool { return r.store.Current().Digest() == want })
		if got := r.fx.kinds(); len(got) != 1 || got[0] != metadata.EffectCreatePartitions {
			t.Fatalf("backup %d effects %v, want the creation", i, got)
		}
	}
	if _, _, err := rs[1].g.Propose(metadata.CreateStream{Timestamp: 5, Name: "x"}); !errors.Is(err, ErrNotPrimary) {
		t.Fatalf("backup propose: %v, want ErrNotPrimary", err)
	}

	// A login on a backup is forwarded to the primary.
	client := wire.ClientID{Lo: 99}
	epoch, out, err := rs[2].g.ForwardRegister(client, user.UserID)
	if err != nil || out != wire.ForwardRegisterOK || epoch == 0 {
		t.Fatalf("forward register: epoch %d outcome %d err %v", epoch, out, err)
	}
	until(t, 10*time.Second, "session on the backup", func() bool {
		s, ok := rs[2].store.Current().Session(client)
		return ok && s.Epoch == epoch
	})
	if _, _, err := rs[2].g.ForwardRegister(wire.ClientID{Lo: 100}, 12345); err != nil {
		t.Fatalf("forward register of a missing user: %v", err)
	}
	if out, err := rs[1].g.ForwardLogout(client, epoch); err != nil || out != wire.ForwardLogoutOK {
		t.Fatalf("forward logout: outcome %d err %v", out, err)
	}
	until(t, 10*time.Second, "logout on the backup", func() bool {
		_, ok := rs[1].store.Current().Session(client)
		return !ok
	})

	// The primary fails; 1 and 2 elect a new primary, which commits.
	old := rs[0]
	if err := old.g.Stop(); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	m.down[0] = true
	m.mu.Unlock()
	var primary *replica
	until(t, 20*time.Second, "a new primary", func() bool {
		for _, r := range rs[1:] {
			if r.g.IsPrimary() {
				primary = r
				return true
			}
		}
		return false
	})
	res, _ = propose(t, primary, metadata.CreateStream{Timestamp: 6, Name: "after-failover"})
	if !res.OK() {
		t.Fatalf("create after failover: %v", res.Status)
	}

	// The old primary restarts from its directory and catches up.
	rs[0] = start(t, m, 0, n, old.fs)
	want = primary.store.Current().Digest()
	until(t, 20*time.Second, "the restarted replica catches up", func() bool { return rs[0].store.Current().Digest() == want })
}
