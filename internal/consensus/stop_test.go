package consensus

import (
	"errors"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// single starts a one-replica node on fsys whose replies go to replies.
func single(t *testing.T, fsys vfs.FS, sm vsr.StateMachine, replies func(vsr.ClientFrame), inbox int) *Node {
	t.Helper()
	n, err := Start(Config{Replica: vsr.Config{Replicas: 1, Cluster: wire.Uint128{Lo: 1}, StateMachine: sm},
		FS: fsys, Dir: "r", Transport: memPort{net: &memNet{}}, Replies: replies, Ticks: make(chan time.Time), Inbox: inbox})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

// registered registers a client on n and returns it with its session.
func registered(t *testing.T, n *Node, replies <-chan []byte) *client {
	t.Helper()
	cl := &client{id: wire.ClientID{Lo: 7}}
	if err := n.Propose(cl.frame(nil)); err != nil {
		t.Fatal(err)
	}
	var h wire.ReplyHeader
	if err := h.Decode(waitChan(t, replies, "Register reply")); err != nil {
		t.Fatal(err)
	}
	cl.session = uint64(h.Op)
	return cl
}

func waitChan[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// TestPersistErrorStopsNode: when the journal fsync fails, the node stops
// loudly (Wait and Err return the error), never delivers a reply for the
// request whose prepare was not made durable, never applies it, and refuses
// later input. A shell that ignored the error and called Advance would
// commit the op on a one-replica cluster and reply (S12).
func TestPersistErrorStopsNode(t *testing.T) {
	var sw vfs.Switch
	sm := &logSM{}
	replies := make(chan []byte, 16)
	n := single(t, vfs.WithErrors(vfs.NewMem(), sw.Inject), sm, func(cf vsr.ClientFrame) { replies <- cf.Frame }, 0)
	cl := registered(t, n, replies)
	cl.req = 1

	sw.Set(vfs.OpSync, vfs.ErrInjected)
	if err := n.Propose(cl.frame([]byte("never durable"))); err != nil {
		t.Fatal(err)
	}
	waitChan(t, n.Done(), "stop after the failed Persist")
	if err := n.Wait(); !errors.Is(err, vfs.ErrInjected) || !errors.Is(n.Err(), vfs.ErrInjected) {
		t.Fatalf("Wait = %v, Err = %v; want the injected fsync error", err, n.Err())
	}
	select {
	case f := <-replies:
		t.Fatalf("a reply left after the failed Persist: %d bytes, command %v", len(f), wire.PeekCommand(f))
	default:
	}
	if s := sm.seq(); len(s) != 0 {
		t.Fatalf("applied %v after the failed Persist", s)
	}
	if err := n.Propose(cl.frame(nil)); !errors.Is(err, ErrStopped) {
		t.Fatalf("Propose on a stopped node: %v", err)
	}
	if err := n.Stop(); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Stop = %v", err)
	}
}

// TestInboxFullDrops: a node whose inbound channel is full drops the next
// frame at once and counts it (S1: the plane handler never blocks; VSR
// retransmits), and a Receiver with no node drops and counts too.
func TestInboxFullDrops(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	n := single(t, vfs.NewMem(), &logSM{}, func(vsr.ClientFrame) {
		entered <- struct{}{}
		<-release // hold the loop inside the round
	}, 1)
	cl := &client{id: wire.ClientID{Lo: 8}}
	if err := n.Propose(cl.frame(nil)); err != nil {
		t.Fatal(err)
	}
	waitChan(t, entered, "Replies callback")
	junk := make([]byte, wire.HeaderSize)
	if err := n.Deliver(junk); err != nil {
		t.Fatalf("first frame into an empty inbox: %v", err)
	}
	if err := n.Deliver(junk); !errors.Is(err, ErrInboxFull) {
		t.Fatalf("second frame into a full inbox: %v", err)
	}
	if d := n.Stats().Dropped; d != 1 {
		t.Fatalf("dropped %d, want 1", d)
	}
	close(release)

	var rc Receiver
	rc.OnReplicaMessage(nil, 1, wire.FrameOf(junk))
	if rc.Dropped() != 1 {
		t.Fatalf("receiver without a node dropped %d", rc.Dropped())
	}
}
