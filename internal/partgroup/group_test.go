package partgroup

import (
	"bytes"
	"testing"
	"testing/synctest"

	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestReplicates checks the group's contract: a send is answered after
// its commit with the offsets it got, in proposal order; every replica
// ends with the same partition, byte for byte (the primary's timestamp
// travels in the prepare); a consumer offset stored and deleted through
// the group is the same everywhere.
func TestReplicates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 0)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		for i := range 10 {
			r := m.send(0, uint64(3*i), 3)
			if r.Status != wire.StatusOK || r.BaseOffset != uint64(3*i) || r.Count != 3 {
				t.Fatalf("send %d: %+v", i, r)
			}
		}
		k := partition.ConsumerKey{Kind: wire.ConsumerSingle, ID: 7}
		for _, off := range []uint64{5, 40} { // 40 is past the current offset: refused everywhere
			ch := make(chan Result, 1)
			m.ms[0].g.Load().StoreOffset(k, off, func(r Result) { ch <- r })
			r := <-ch
			if want := map[uint64]wire.Status{5: wire.StatusOK, 40: wire.StatusInvalidOffset}[off]; r.Status != want {
				t.Fatalf("store offset %d: %v, want %v", off, r.Status, want)
			}
		}
		_, want := m.contents(0)
		waitFor(t, "every replica applied everything", func() bool {
			for i := range m.ms {
				if next, data := m.contents(i); next != 30 || !bytes.Equal(data, want) {
					return false
				}
			}
			return true
		})
		for i, mb := range m.ms {
			var off uint64
			var ok bool
			_ = mb.own.On(func(p *partition.Partition) { off, ok = p.ConsumerOffset(k) })
			if !ok || off != 5 {
				t.Fatalf("replica %d: offset %d %v, want 5", i, off, ok)
			}
		}
	})
}

// TestFollowsLeader checks that a group's primary that is not the leader
// stands down until the leader's replica leads, and that a proposal on a
// replica that does not serve the group is answered TransientNotAccepted.
func TestFollowsLeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 0)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		if r := m.send(0, 0, 2); r.Status != wire.StatusOK {
			t.Fatalf("send: %+v", r)
		}
		m.leader.Store(2)
		waitFor(t, "replica 2 serving", func() bool { return m.serving() == 2 })
		if r := m.send(0, 2, 1); r.Status != wire.StatusTransientNotAccepted {
			t.Fatalf("send on a backup: %+v", r)
		}
		if r := m.send(2, 2, 1); r.Status != wire.StatusOK || r.BaseOffset != 2 {
			t.Fatalf("send on the new primary: %+v", r)
		}
	})
}

// TestFailover stops the primary: the others elect a new one (the leader
// moves with it), which holds every acknowledged batch; the old primary,
// restarted, catches up to the same partition.
func TestFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 0)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		for i := range 5 {
			if r := m.send(0, uint64(2*i), 2); r.Status != wire.StatusOK {
				t.Fatalf("send %d: %+v", i, r)
			}
		}
		m.stopMember(m.ms[0])
		m.leader.Store(1)
		waitFor(t, "replica 1 serving", func() bool { return m.serving() == 1 })
		if r := m.send(1, 10, 2); r.Status != wire.StatusOK || r.BaseOffset != 10 {
			t.Fatalf("send after failover: %+v", r)
		}
		m.start(0)
		_, want := m.contents(1)
		waitFor(t, "the restarted replica caught up", func() bool {
			next, data := m.contents(0)
			return next == 12 && bytes.Equal(data, want)
		})
	})
}
