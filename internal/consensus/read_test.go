package consensus

import (
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/vsr"
)

// readNow asks n for a linearizable read and waits for its answer.
func readNow(t testing.TB, n *Node) bool {
	t.Helper()
	ch := make(chan bool, 1)
	if err := n.Read(func(ok bool) { ch <- ok }); err != nil {
		t.Fatalf("Read: %v", err)
	}
	select {
	case ok := <-ch:
		return ok
	case <-time.After(waitLimit):
		t.Fatal("a read was never answered")
		return false
	}
}

// TestNodeRead checks that the primary confirms a read and that the
// backups refuse.
func TestNodeRead(t *testing.T) {
	c := newCluster(t, 3, memPlane, memDisk)
	c.start()
	commitSome(c, c.newClient(1), 3)
	p := c.primary()
	if !readNow(t, p.node) {
		t.Fatalf("the primary refused a read; %s", c.describe())
	}
	for _, m := range c.members {
		if m != p && readNow(t, m.node) {
			t.Fatalf("backup %d confirmed a read", m.id)
		}
	}
}

// TestNodeReadDeposed cuts the primary off; the others elect a new one
// and commit more. The old primary must refuse reads (it cannot confirm
// it still leads); the new one confirms them.
func TestNodeReadDeposed(t *testing.T) {
	c := newCluster(t, 3, memPlane, memDisk)
	c.cfg = func(cfg *vsr.Config) { cfg.Timeouts.Abdicate = 1 << 30 } // it keeps believing it leads
	c.start()
	cl := c.newClient(1)
	commitSome(c, cl, 3)
	old := c.primary()
	c.net.cut(old.id)
	c.waitFor("a new primary", func() bool {
		for _, m := range c.members {
			if st := m.node.Status(); m != old && st.IsPrimary && st.Status == vsr.StatusNormal {
				return true
			}
		}
		return false
	})
	commitSome(c, cl, 2)
	if st := old.node.Status(); !st.IsPrimary || st.Status != vsr.StatusNormal {
		t.Fatalf("the cut-off primary left its view: %+v", st)
	}
	if readNow(t, old.node) {
		t.Fatal("a deposed primary confirmed a read")
	}
	var np *member
	for _, m := range c.members {
		if st := m.node.Status(); m != old && st.IsPrimary {
			np = m
		}
	}
	if !readNow(t, np.node) {
		t.Fatalf("the new primary %d refused a read; %s", np.id, c.describe())
	}
}

// TestNodeReadStop checks that a read still waiting when the node stops
// is refused by the time Stop returns, and that Read refuses after it.
func TestNodeReadStop(t *testing.T) {
	c := newCluster(t, 3, memPlane, memDisk)
	c.cfg = func(cfg *vsr.Config) { cfg.Timeouts.Abdicate, cfg.Timeouts.Read = 1<<30, 1<<30 }
	c.start()
	commitSome(c, c.newClient(1), 1)
	p := c.primary()
	for _, m := range c.members {
		if m != p {
			c.net.cut(m.id) // no backup answers: the round stays open
		}
	}
	var calls, oks atomic.Int32
	for range 3 {
		if err := p.node.Read(func(ok bool) {
			calls.Add(1)
			if ok {
				oks.Add(1)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	node := p.node
	c.stopMember(p)
	if calls.Load() != 3 || oks.Load() != 0 {
		t.Fatalf("after Stop: %d reads answered, %d ok; want 3, 0", calls.Load(), oks.Load())
	}
	if err := node.Read(func(bool) { t.Error("done called after ErrStopped") }); !errors.Is(err, ErrStopped) {
		t.Fatalf("Read after Stop: %v, want ErrStopped", err)
	}
}

// BenchmarkRead measures linearizable reads on the primary of three
// in-process nodes (in-memory network and disks), with up to inflight
// reads outstanding: each costs its share of a quorum round (a Commit to
// each backup and a PrepareOk back; no disk write) and a callback.
func BenchmarkRead(b *testing.B) {
	for _, inflight := range []int{1, 64} {
		b.Run("inflight="+strconv.Itoa(inflight), func(b *testing.B) {
			c := newCluster(b, 3, memPlane, memDisk)
			c.start()
			commitSome(c, c.newClient(1), 1)
			p := c.primary().node
			done := make(chan bool, inflight)
			cb := func(ok bool) { done <- ok }
			b.ReportAllocs()
			b.ResetTimer()
			sent, got := 0, 0
			for ; sent < min(inflight, b.N); sent++ {
				if err := p.Read(cb); err != nil {
					b.Fatal(err)
				}
			}
			for got < b.N {
				if !<-done {
					b.Fatal("a read was refused")
				}
				got++
				if sent < b.N {
					if err := p.Read(cb); err != nil {
						b.Fatal(err)
					}
					sent++
				}
			}
		})
	}
}
