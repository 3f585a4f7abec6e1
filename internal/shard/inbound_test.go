package shard

import (
	"context"
	"errors"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// inboundSpec says what the next accepted connection of an inboundListener
// does: authenticate peer, fail its handshake with fail, or (plain) not be
// an InboundReplica at all.
type inboundSpec struct {
	peer  wire.ReplicaID
	fail  error
	plain bool
}

type settled struct {
	owner wire.ShardID
	err   error
	owned bool // the owner table named the peer while the handshake ran
}

// inboundListener is a replica-plane listener over TCP whose connections
// follow the specs, in order.
type inboundListener struct {
	*tcp.Listener
	rt      *Runtime
	specs   chan inboundSpec
	settled chan settled
}

func (l *inboundListener) Accept() (transport.Pending, error) {
	p, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sp := <-l.specs
	if sp.plain {
		return p, nil
	}
	return &fakeInbound{Pending: p, l: l, spec: sp}, nil
}

// fakeInbound stands in for internal/replica's Inbound: its handshake
// "authenticates" spec.peer, and it records whether the owner table
// already named that peer while the handshake ran.
type fakeInbound struct {
	transport.Pending
	l            *inboundListener
	spec         inboundSpec
	ownedInShake bool
}

func (f *fakeInbound) Handshake(ctx context.Context) (transport.Conn, error) {
	_, f.ownedInShake = f.l.rt.Owners().Owner(f.spec.peer)
	if f.spec.fail != nil {
		f.Pending.Close()
		return nil, f.spec.fail
	}
	return f.Pending.Handshake(ctx)
}

func (f *fakeInbound) Peer() wire.ReplicaID { return f.spec.peer }

func (f *fakeInbound) Settled(owner wire.ShardID, err error) {
	f.l.settled <- settled{owner, err, f.ownedInShake}
}

// TestInboundReplicaClaimsAfterHandshake: shard 0's accept loop delegates
// a replica listener's connections untouched (S6) to an owner picked
// round-robin off shard 0; the owner runs the handshake before it claims
// the owner table, so an unauthenticated peer never holds a replica's
// slot, and a peer that is connected already keeps its connection (S4).
func TestInboundReplicaClaimsAfterHandshake(t *testing.T) {
	got := make(chan wire.ShardID, 4)
	rt := newRuntime(t, 3, Handlers{OnReplicaMessage: func(s *Shard, r wire.ReplicaID, f *wire.Frame) {
		got <- s.ID()
		f.Release()
	}})
	l := &inboundListener{rt: rt, specs: make(chan inboundSpec, 8), settled: make(chan settled, 8)}
	addrs, err := rt.Shard(0).Serve(ListenerSpec{Name: "replica", Replica: true, Bind: func() (transport.Listener, error) {
		tl, err := tcp.Listen(context.Background(), "127.0.0.1:0", tcp.DefaultConfig())
		l.Listener = tl
		return l, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	addr := addrs[0].String()
	sealed := func(seq uint64) [][]byte {
		f := transporttest.Frame(wire.CommandPrepareOk, 0, seq)
		wire.SealFrame(f)
		return [][]byte{f}
	}

	// A failed handshake claims nothing.
	errBad := errors.New("bad MAC")
	l.specs <- inboundSpec{peer: 4, fail: errBad}
	dial(t, addr)
	if s := <-l.settled; !errors.Is(s.err, errBad) || s.owner != 1 {
		t.Fatalf("failed handshake settled %+v", s)
	}
	if _, ok := rt.Owners().Owner(4); ok {
		t.Fatal("a failed handshake claimed the owner table")
	}

	// An authenticated one is claimed and installed on its owner.
	l.specs <- inboundSpec{peer: 4}
	first := dial(t, addr)
	if s := <-l.settled; s.err != nil || s.owner != 2 || s.owned {
		t.Fatalf("handshake settled %+v", s)
	}
	if o, ok := rt.Owners().Owner(4); !ok || o != 2 {
		t.Fatalf("owner table: %d %v", o, ok)
	}
	if err := first.SendBatch(sealed(1)); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != 2 {
		t.Fatalf("frame handled on shard %d", s)
	}

	// A second authenticated connection of replica 4 is closed; the first
	// one stays.
	l.specs <- inboundSpec{peer: 4}
	second := dial(t, addr)
	if s := <-l.settled; !errors.Is(s.err, ErrReplicaConnected) || s.owner != 1 {
		t.Fatalf("duplicate settled %+v", s)
	}
	if _, err := second.ReadFrame(); err == nil {
		t.Fatal("duplicate connection left open")
	}
	if err := first.SendBatch(sealed(2)); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != 2 {
		t.Fatalf("frame handled on shard %d", s)
	}

	// A replica listener whose connection is not an InboundReplica gets it
	// closed, and nothing settles.
	l.specs <- inboundSpec{plain: true}
	if _, err := dial(t, addr).ReadFrame(); err == nil {
		t.Fatal("a plain connection on the replica listener was kept")
	}
	stop(t, rt)
	close(l.settled)
	for s := range l.settled {
		t.Fatalf("unexpected settle %+v", s)
	}
}

// TestCloseReplica: the runtime closes a replica's connection on the shard
// holding it; when CloseReplica returns, the owner table slot is free for
// a new connection, and connection-lost reaches shard 0 once.
func TestCloseReplica(t *testing.T) {
	installed := make(chan struct{}, 1)
	lost := make(chan wire.ReplicaID, 4)
	rt := newRuntime(t, 3, Handlers{
		OnReplicaMessage: func(s *Shard, r wire.ReplicaID, f *wire.Frame) {
			installed <- struct{}{}
			f.Release()
		},
		OnConnectionLost: func(s *Shard, r wire.ReplicaID) { lost <- r },
	})
	peer, p := replicaPeer(t)
	if _, err := rt.DelegateReplica(4, p); err != nil {
		t.Fatal(err)
	}
	f := transporttest.Frame(wire.CommandCommit, 0, 0)
	wire.SealFrame(f)
	if err := peer.SendBatch([][]byte{f}); err != nil {
		t.Fatal(err)
	}
	<-installed
	if !rt.CloseReplica(4, errors.New("superseded")) {
		t.Fatal("CloseReplica found no connection")
	}
	if o, ok := rt.Owners().Owner(4); ok {
		t.Fatalf("owner table still names shard %d", o)
	}
	if _, err := peer.ReadFrame(); err == nil {
		t.Fatal("peer still connected")
	}
	if r := <-lost; r != 4 {
		t.Fatalf("lost %d", r)
	}
	if rt.CloseReplica(4, nil) || rt.CloseReplica(5, nil) {
		t.Fatal("closed a replica that is not connected")
	}
	stop(t, rt)
	close(lost)
	for r := range lost {
		t.Fatalf("extra connection-lost for %d", r)
	}
}
