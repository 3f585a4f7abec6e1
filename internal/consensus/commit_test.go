package consensus

import (
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/vsrlog"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestCommitPointDeferred: a commit that changes nothing durable but the
// commit point does not cost a superblock write of its own: a stream of
// requests takes one Persist each (its prepare), the commit point follows
// a few ticks later or at Stop, and a restart finds it.
func TestCommitPointDeferred(t *testing.T) {
	fsys := vfs.NewMem()
	replies := make(chan []byte, 64)
	ticks := make(chan time.Time)
	n, err := Start(Config{Replica: vsr.Config{Replicas: 1, Cluster: wire.Uint128{Lo: 1}, StateMachine: &logSM{}},
		FS: fsys, Dir: "r", Transport: memPort{net: &memNet{}}, Ticks: ticks,
		Replies: func(cf vsr.ClientFrame) { replies <- cf.Frame }})
	if err != nil {
		t.Fatal(err)
	}
	cl := registered(t, n, replies)
	before := n.Stats().Persists
	const requests = 20
	for i := range requests {
		cl.req = uint64(i + 1)
		if err := n.Propose(cl.frame([]byte("x"))); err != nil {
			t.Fatal(err)
		}
		waitChan(t, replies, "reply")
	}
	if got := n.Stats().Persists - before; got > requests {
		t.Fatalf("%d persists for %d requests: the commit point is written on its own", got, requests)
	}
	// A few ticks write the deferred commit point.
	for range commitFlushTicks {
		ticks <- time.Time{}
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	l, hs, _, _, err := vsrlog.Open(fsys, "r")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if want := wire.Op(requests + 1); hs.Commit != want {
		t.Fatalf("durable commit %d after stop, want %d", hs.Commit, want)
	}
}
