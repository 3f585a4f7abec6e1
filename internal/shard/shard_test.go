package shard

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestClientRoundTrip: shard 0 accepts, the coordinator spreads clients
// round-robin, each owner installs and answers its own clients (S5, S6).
func TestClientRoundTrip(t *testing.T) {
	type seen struct {
		shard wire.ShardID
		id    wire.ClientID
	}
	var mu sync.Mutex
	var log []seen
	rt := newRuntime(t, 3, Handlers{OnRequest: func(s *Shard, id wire.ClientID, f *wire.Frame) {
		mu.Lock()
		log = append(log, seen{s.ID(), id})
		mu.Unlock()
		echoOnOwner(s, id, f)
	}})
	addr := serveTCP(t, rt)
	for i := range 6 {
		roundTrip(t, dial(t, addr), uint64(i))
	}
	stop(t, rt)
	if len(log) != 6 {
		t.Fatalf("%d requests handled", len(log))
	}
	for i, e := range log {
		if e.id.Shard() != e.shard || e.shard != wire.ShardID(i%3) || e.id != wire.NewClientID(e.shard, uint64(i+1)) {
			t.Fatalf("request %d: handled on shard %d for client %v", i, e.shard, e.id)
		}
	}
}

// TestReplyFromNonOwningShard (S10): a reply sent from a shard that does
// not own the client is forwarded through the owner's reply lane and
// reaches the client.
func TestReplyFromNonOwningShard(t *testing.T) {
	senders := make(chan wire.ShardID, 4)
	rt := newRuntime(t, 2, Handlers{OnRequest: func(s *Shard, id wire.ClientID, f *wire.Frame) {
		other := s.Runtime().Shard(int(1 - s.ID()))
		f.Bytes()[60] = byte(wire.CommandReply)
		if err := other.Post(func(o *Shard) {
			senders <- o.ID()
			if err := o.Bus().SendToClient(id, f); err != nil {
				f.Release()
			}
		}); err != nil {
			f.Release()
		}
	}})
	addr := serveTCP(t, rt)
	c0, c1 := dial(t, addr), dial(t, addr) // owners 0 and 1
	roundTrip(t, c0, 10)
	roundTrip(t, c1, 11)
	stop(t, rt)
	if a, b := <-senders, <-senders; a != 1 || b != 0 {
		t.Fatalf("replies sent from shards %d, %d; want 1, 0 (the non-owners)", a, b)
	}
}

// TestShardZeroGating (S6): only shard 0 binds listeners; on another shard
// Serve binds nothing and returns no addresses.
func TestShardZeroGating(t *testing.T) {
	rt := newRuntime(t, 2, Handlers{OnRequest: echoOnOwner})
	binds := 0
	spec := ListenerSpec{Name: "tcp", Bind: func() (transport.Listener, error) {
		binds++
		return tcp.Listen(context.Background(), "127.0.0.1:0", tcp.DefaultConfig())
	}}
	addrs, err := rt.Shard(1).Serve(spec)
	if err != nil || addrs != nil || binds != 0 {
		t.Fatalf("shard 1 Serve: addrs %v, err %v, binds %d; want nothing bound", addrs, err, binds)
	}
	addrs, err = rt.Shard(0).Serve(spec)
	if err != nil || len(addrs) != 1 || binds != 1 {
		t.Fatalf("shard 0 Serve: addrs %v, err %v, binds %d", addrs, err, binds)
	}
	roundTrip(t, dial(t, addrs[0].String()), 1)
	stop(t, rt)
}

// TestClientIDs: ids carry the owning shard in their top 16 bits, owners
// follow the round robin, and 1e5 minted ids are unique with sequence
// numbers from 1.
func TestClientIDs(t *testing.T) {
	for _, tc := range []struct {
		n        int
		skipZero bool
		first    []wire.ShardID
	}{
		{4, false, []wire.ShardID{0, 1, 2, 3, 0}},
		{4, true, []wire.ShardID{1, 2, 3, 1, 2}},
		{1, true, []wire.ShardID{0, 0, 0}},
	} {
		c := coordinator{n: tc.n, skipZeroClients: tc.skipZero}
		seen := make(map[wire.ClientID]struct{}, 100_000)
		for i := range 100_000 {
			owner, id := c.nextClient()
			if id.Shard() != owner || id.Hi&(1<<48-1) != 0 || id.Lo != uint64(i+1) {
				t.Fatalf("n=%d: id %v for owner %d at %d", tc.n, id, owner, i)
			}
			if i < len(tc.first) && owner != tc.first[i] {
				t.Fatalf("n=%d skip=%v: pick %d is shard %d, want %d", tc.n, tc.skipZero, i, owner, tc.first[i])
			}
			if _, dup := seen[id]; dup {
				t.Fatalf("duplicate id %v", id)
			}
			seen[id] = struct{}{}
		}
	}
	c := coordinator{n: 4, skipZeroReplicas: true}
	for i, want := range []wire.ShardID{1, 2, 3, 1, 2} {
		if got := c.nextReplica(); got != want {
			t.Fatalf("replica pick %d: %d, want %d", i, got, want)
		}
	}
}

// TestOwnerTable: one claim wins among concurrent claimers; only the owner
// clears.
func TestOwnerTable(t *testing.T) {
	var ot OwnerTable
	var wins sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for s := range 8 {
		wins.Go(func() {
			if ot.Claim(7, wire.ShardID(s)) {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		})
	}
	wins.Wait()
	owner, ok := ot.Owner(7)
	if winners != 1 || !ok {
		t.Fatalf("%d winners", winners)
	}
	if ot.ClearIfOwned(7, owner+1) {
		t.Fatal("non-owner cleared the slot")
	}
	if !ot.ClearIfOwned(7, owner) {
		t.Fatal("owner could not clear")
	}
	if _, ok := ot.Owner(7); ok || !ot.Claim(7, 0) {
		t.Fatal("slot not free after clear")
	}
	if o, _ := ot.Owner(7); o != 0 {
		t.Fatalf("owner %d", o)
	}
}

// replicaPeer accepts one TCP connection and returns the peer side and the
// Pending for DelegateReplica.
func replicaPeer(t *testing.T) (*tcp.Conn, transport.Pending) {
	t.Helper()
	ctx := context.Background()
	l, err := tcp.Listen(ctx, "127.0.0.1:0", tcp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peer := dial(t, l.Addr().String())
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return peer, p
}

// TestReplicaPlaneAcrossShards: a replica connection delegated to shard 1
// claims the owner table; a send from shard 2 is forwarded there; frames
// from the replica reach the owner's handler; when the peer goes away,
// connection-lost reaches shard 0 exactly once and frees the slot (S4).
func TestReplicaPlaneAcrossShards(t *testing.T) {
	inbound := make(chan wire.ShardID, 1)
	lost := make(chan wire.ShardID, 4)
	rt := newRuntime(t, 3, Handlers{
		OnReplicaMessage: func(s *Shard, r wire.ReplicaID, f *wire.Frame) {
			inbound <- s.ID()
			f.Release()
		},
		OnConnectionLost: func(s *Shard, r wire.ReplicaID) { lost <- s.ID() },
	})
	peer, p := replicaPeer(t)
	owner, err := rt.DelegateReplica(4, p)
	if err != nil || owner != 1 {
		t.Fatalf("delegated to %d: %v", owner, err)
	}
	// The peer speaks first; once its frame reaches the owner, the
	// connection is installed and the owner table claimed.
	hello := transporttest.Frame(wire.CommandCommit, 0, 0)
	wire.SealFrame(hello)
	if err := peer.SendBatch([][]byte{hello}); err != nil {
		t.Fatal(err)
	}
	if s := <-inbound; s != 1 {
		t.Fatalf("replica frame handled on shard %d", s)
	}
	if o, ok := rt.Owners().Owner(4); !ok || o != 1 {
		t.Fatalf("owner table: %d %v", o, ok)
	}
	out := transporttest.Frame(wire.CommandPrepareOk, 0, 9)
	wire.SealFrame(out)
	if err := rt.Shard(2).Bus().SendToReplica(4, wire.FrameOf(out)); err != nil {
		t.Fatal(err)
	}
	f, err := peer.ReadFrame()
	if err != nil || f.Command() != wire.CommandPrepareOk {
		t.Fatalf("peer read %v, %v", f, err)
	}
	f.Release()
	peer.Close()
	if s := <-lost; s != 0 {
		t.Fatalf("connection-lost handled on shard %d", s)
	}
	if _, ok := rt.Owners().Owner(4); ok {
		t.Fatal("owner slot not freed")
	}
	stop(t, rt)
	close(lost)
	for range lost {
		t.Fatal("connection-lost fired twice")
	}
}

// TestLanesKeepReplicationAhead: with the client lane full, a consensus
// frame posted after it is still handled before any client request: a
// client burst cannot starve replication.
func TestLanesKeepReplicationAhead(t *testing.T) {
	var order []wire.Command
	n := 0
	done := make(chan struct{})
	record := func(f *wire.Frame) {
		order = append(order, f.Command())
		f.Release()
		if len(order) == n+1 {
			close(done)
		}
	}
	rt := newRuntime(t, 1, Handlers{
		OnRequest:        func(s *Shard, id wire.ClientID, f *wire.Frame) { record(f) },
		OnReplicaMessage: func(s *Shard, r wire.ReplicaID, f *wire.Frame) { record(f) },
	})
	s := rt.Shard(0)
	entered, gate := make(chan struct{}), make(chan struct{})
	if err := s.Post(func(*Shard) { close(entered); <-gate }); err != nil {
		t.Fatal(err)
	}
	<-entered
	for try(s.client, msg{kind: kindRequest, frame: wire.FrameOf(transporttest.Frame(wire.CommandRequest, 0, 0))}) == nil {
		n++
	}
	if n != cap(s.client) {
		t.Fatalf("client lane took %d of %d", n, cap(s.client))
	}
	if err := try(s.cons, msg{kind: kindReplicaMessage, frame: wire.FrameOf(transporttest.Frame(wire.CommandPrepare, 0, 0))}); err != nil {
		t.Fatal(err)
	}
	close(gate)
	<-done
	stop(t, rt) // the shard loop has exited: order is safe to read
	if len(order) != n+1 || order[0] != wire.CommandPrepare {
		t.Fatalf("handled %d, first %v; want the Prepare first", len(order), order[0])
	}
}

// TestForwardBackpressure (S1): when the owner's reply lane is full, a send
// from another shard fails at once with bus.ErrBackpressure.
func TestForwardBackpressure(t *testing.T) {
	rt := newRuntime(t, 2, Handlers{})
	owner := rt.Shard(1)
	entered, gate := make(chan struct{}), make(chan struct{})
	if err := owner.Post(func(*Shard) { close(entered); <-gate }); err != nil {
		t.Fatal(err)
	}
	<-entered
	id := wire.NewClientID(1, 77)
	from := rt.Shard(0).Bus()
	for i := range cap(owner.reply) {
		if err := from.SendToClient(id, wire.FrameOf(transporttest.Frame(wire.CommandReply, 0, uint64(i)))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	f := wire.FrameOf(transporttest.Frame(wire.CommandReply, 0, 0))
	defer f.Release()
	if err := from.SendToClient(id, f); !errors.Is(err, bus.ErrBackpressure) {
		t.Fatalf("full reply lane: got %v", err)
	}
	close(gate)
	stop(t, rt)
}

// TestGracefulShutdown (S9): clients on every shard drain cleanly, the
// listener is closed first, and nothing is left running (goleak).
func TestGracefulShutdown(t *testing.T) {
	rt := newRuntime(t, 2, Handlers{OnRequest: echoOnOwner})
	addr := serveTCP(t, rt)
	var conns []*tcp.Conn
	for i := range 5 {
		c := dial(t, addr)
		roundTrip(t, c, uint64(i)) // installed once answered
		conns = append(conns, c)
	}
	out := rt.Shutdown(context.Background())
	rt.Wait()
	if out.Clean != 5 || out.Forced != 0 || out.BackgroundForced != 0 {
		t.Fatalf("outcome %+v, want 5 clean connections", out)
	}
	for _, c := range conns {
		if _, err := c.ReadFrame(); err == nil {
			t.Fatal("client still connected")
		}
	}
	if _, err := rt.Shard(0).Serve(ListenerSpec{Name: "late", Bind: func() (transport.Listener, error) {
		return tcp.Listen(context.Background(), "127.0.0.1:0", tcp.DefaultConfig())
	}}); !errors.Is(err, bus.ErrShuttingDown) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}

// TestHeadOfLine (S1, S11): on one shard, a client that never reads gets
// its queue filled by the shard goroutine: sends never block, and the one
// that finds the queue full fails with bus.ErrBackpressure and closes that
// connection (reported through OnClientLost) rather than dropping the
// frame silently. Another client of the same shard keeps getting replies.
func TestHeadOfLine(t *testing.T) {
	flooded := make(chan int, 1)
	lost := make(chan wire.ClientID, 2)
	rt := newRuntime(t, 1, Handlers{OnRequest: func(s *Shard, id wire.ClientID, f *wire.Frame) {
		if transporttest.Seq(f.Bytes()) != 999 {
			echoOnOwner(s, id, f)
			return
		}
		f.Release()
		sent := 0
		for {
			big := wire.FrameOf(transporttest.Frame(wire.CommandReply, 64<<10, uint64(sent)))
			if err := s.Bus().SendToClient(id, big); err != nil {
				big.Release()
				if !errors.Is(err, bus.ErrBackpressure) {
					t.Errorf("flood: %v", err)
				}
				break
			}
			sent++
		}
		flooded <- sent
	}, OnClientLost: func(_ *Shard, id wire.ClientID) { lost <- id }})
	addr := serveTCP(t, rt)
	mute := dial(t, addr)
	if err := mute.NetConn().SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if err := mute.SendBatch([][]byte{transporttest.Frame(wire.CommandRequest, 32, 999)}); err != nil {
		t.Fatal(err)
	}
	if n := <-flooded; n < rt.cfg.Bus.PeerQueueCapacity {
		t.Fatalf("only %d sends before backpressure", n)
	}
	fast := dial(t, addr)
	for i := range uint64(50) {
		roundTrip(t, fast, i)
	}
	<-lost // the mute connection, closed on overflow
	stop(t, rt)
}

// TestSilentSocketsDoNotLockOut (issue #15 item 3c): sockets that connect
// and never send a byte take unauthenticated slots only up to the caps:
// beyond MaxUnauthenticatedPerAddr from their address they are closed at
// once, and a client from another address is still served. The caps are
// shared by every shard (one Gate per runtime).
func TestSilentSocketsDoNotLockOut(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Shards = 2
	cfg.Bus.MaxUnauthenticated, cfg.Bus.MaxUnauthenticatedPerAddr = 8, 4
	rt, err := New(cfg, Handlers{OnRequest: echoOnOwner})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTCP(t, rt)
	const silent = 12
	closed := make(chan int, silent)
	for i := range silent {
		c := transporttest.DialFrom(t, "127.0.0.1", addr)
		go func() {
			var one [1]byte
			c.Read(one[:]) // returns when the server closes the socket
			closed <- i
		}()
	}
	for range silent - cfg.Bus.MaxUnauthenticatedPerAddr {
		<-closed
	}
	unauth := func() int { return rt.Shard(0).Bus().Unauthenticated() }
	if n := unauth(); n != cfg.Bus.MaxUnauthenticatedPerAddr {
		t.Fatalf("%d unauthenticated slots held, want %d", n, cfg.Bus.MaxUnauthenticatedPerAddr)
	}
	nc := transporttest.DialFrom(t, "127.0.0.2", addr)
	c := &rawClient{nc: nc, fr: transport.NewFrameReader(nc, 0)}
	c.roundTrip(t, 7)
	stop(t, rt)
	for range cfg.Bus.MaxUnauthenticatedPerAddr {
		<-closed
	}
}

// rawClient is a client on a plain net.Conn.
type rawClient struct {
	nc net.Conn
	fr *transport.FrameReader
}

func (c *rawClient) roundTrip(t *testing.T, seq uint64) {
	t.Helper()
	if _, err := c.nc.Write(transporttest.Frame(wire.CommandRequest, 32, seq)); err != nil {
		t.Fatal(err)
	}
	f, err := c.fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if transporttest.Seq(f.Bytes()) != seq {
		t.Fatalf("reply seq %d, want %d", transporttest.Seq(f.Bytes()), seq)
	}
}
