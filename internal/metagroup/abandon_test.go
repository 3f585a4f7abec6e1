package metagroup

import (
	"errors"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
)

// TestAbandonInFlightIsUnknown: a proposal the primary handed to its
// replica and that is abandoned (a node shutting down) before its commit
// is seen may still commit, so the error says so (ErrUnknown) besides
// ErrStopped; callers must not tell clients it never entered the log
// (58), or a client failing over would apply it twice.
func TestAbandonInFlightIsUnknown(t *testing.T) {
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
	propose(t, rs[0], metadata.CreateStream{Timestamp: 1, Name: "a"}) // a primary, a proposer session
	m.mu.Lock()
	m.down[1], m.down[2] = true, true // no quorum: the next proposal waits
	m.mu.Unlock()
	errc := make(chan error, 1)
	go func() {
		_, _, err := rs[0].g.Propose(metadata.CreateStream{Timestamp: 2, Name: "b"})
		errc <- err
	}()
	until(t, 10*time.Second, "the proposal in flight", func() bool {
		rs[0].g.mu.Lock()
		defer rs[0].g.mu.Unlock()
		return len(rs[0].g.waiters) > 0
	})
	rs[0].g.Abandon()
	err := <-errc
	if !errors.Is(err, ErrUnknown) || !errors.Is(err, ErrStopped) {
		t.Fatalf("abandoned in flight: %v, want ErrUnknown and ErrStopped", err)
	}
	if _, _, err := rs[0].g.Propose(metadata.CreateStream{Timestamp: 3, Name: "c"}); !errors.Is(err, ErrStopped) {
		t.Fatalf("after Abandon: %v, want ErrStopped", err)
	}
}
