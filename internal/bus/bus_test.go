package bus

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

var client1 = wire.NewClientID(0, 1)

// TestClientRoundTrip: accept → owner handshake → install → read → hook →
// SendToClient → writer, over loopback TCP.
func TestClientRoundTrip(t *testing.T) {
	var b *Bus
	b = New(0, DefaultConfig(), Hooks{OnRequest: echo(&b)})
	client := viaTCP(t, b, client1)
	req := transporttest.Frame(wire.CommandRequest, 64, 42)
	send(t, client, req)
	rep := read(t, client)
	if wire.PeekCommand(rep) != wire.CommandReply || transporttest.Seq(rep) != 42 {
		t.Fatalf("got %v seq %d, want Reply seq 42", wire.PeekCommand(rep), transporttest.Seq(rep))
	}
	if out := shutdown(t, b); out.Forced != 0 || out.Clean != 1 {
		t.Fatalf("outcome %+v", out)
	}
}

// TestClientPlaneIgnoresOtherCommands (wire.md §1.3, §1.10): on the client
// plane only Requests reach the hook; any other valid command (a Ping, a
// Reply, and replica commands such as 9, Commit, and 6, Prepare) is
// ignored and the connection stays open. Each ignored command is logged
// once per connection, at Info, with the remote address (issue #15 items
// 12 and 13).
func TestClientPlaneIgnoresOtherCommands(t *testing.T) {
	var b *Bus
	seen := make(chan wire.Command, 4)
	logs := newLogRecorder()
	b = New(0, DefaultConfig(), Hooks{Logger: logs.logger(), OnRequest: func(id wire.ClientID, f *wire.Frame) {
		seen <- f.Command()
		echo(&b)(id, f)
	}})
	client, server := tcpPair(t)
	if err := b.InstallClient(client1, server); err != nil {
		t.Fatal(err)
	}
	var junk [][]byte
	for range 100 {
		for _, cmd := range []wire.Command{wire.CommandPing, wire.CommandReply, wire.CommandCommit, wire.CommandPrepare} {
			junk = append(junk, transporttest.Frame(cmd, 0, 0))
		}
	}
	send(t, client, junk...)
	send(t, client, transporttest.Frame(wire.CommandRequest, 16, 7))
	if got := transporttest.Seq(read(t, client)); got != 7 {
		t.Fatalf("reply seq %d", got)
	}
	shutdown(t, b)
	close(seen)
	var cmds []wire.Command
	for c := range seen {
		cmds = append(cmds, c)
	}
	if len(cmds) != 1 || cmds[0] != wire.CommandRequest {
		t.Fatalf("hook saw %v, want [Request]", cmds)
	}
	lines := logs.matching("client sent a command that is not a request; ignored (wire.md §1.10), and so are its repeats", nil, server.RemoteAddr())
	if len(lines) != 4 {
		t.Fatalf("%d lines for 4 ignored commands sent 100 times each: %+v", len(lines), lines)
	}
	for _, l := range lines {
		if l.level != slog.LevelInfo {
			t.Fatalf("logged at %v, want INFO", l.level)
		}
	}
}

// TestPlanesAreSeparate (S7): a client request on the replica plane closes
// the connection without reaching a hook. (The client plane ignores
// replica commands: TestClientPlaneIgnoresOtherCommands.)
func TestPlanesAreSeparate(t *testing.T) {
	called := make(chan struct{}, 2)
	b := New(0, DefaultConfig(), Hooks{
		OnReplicaMessage: func(wire.ReplicaID, *wire.Frame) { called <- struct{}{} },
	})
	c2, s2 := tcpPair(t)
	if err := b.InstallReplica(1, s2); err != nil {
		t.Fatal(err)
	}
	send(t, c2, transporttest.Frame(wire.CommandRequest, 0, 0))
	if _, err := c2.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want io.EOF (connection closed)", err)
	}
	// teardown removes the entry before it closes the socket.
	if b.Replicas() != 0 {
		t.Fatalf("entries left: %d replicas", b.Replicas())
	}
	shutdown(t, b)
	if len(called) != 0 {
		t.Fatal("a hook saw a frame of the wrong plane")
	}
}

// TestValidateFirst (S8): replica frames must carry a valid seal (a bad
// one closes the connection). A Request with a mismatched request checksum
// still reaches the hook: the session layer answers it with status 4 (S11).
func TestValidateFirst(t *testing.T) {
	var b *Bus
	got := make(chan wire.Command, 4)
	b = New(0, DefaultConfig(), Hooks{
		OnRequest: echo(&b),
		OnReplicaMessage: func(_ wire.ReplicaID, f *wire.Frame) {
			got <- f.Command()
			f.Release()
		},
	})
	client, server := tcpPair(t)
	if err := b.InstallClient(client1, server); err != nil {
		t.Fatal(err)
	}
	stamp := func(f []byte, sum wire.Uint128) []byte {
		var h wire.RequestHeader
		h.Size = uint32(len(f))
		h.Client = client1
		h.RequestChecksum = sum
		h.Put(f)
		return f
	}
	bad := stamp(transporttest.Frame(wire.CommandRequest, 32, 1), wire.Uint128{Lo: 1})
	good := transporttest.Frame(wire.CommandRequest, 32, 2)
	good = stamp(good, wire.Checksum(good[wire.HeaderSize:]))
	send(t, client, bad, good)
	for _, want := range []uint64{1, 2} {
		if rep := read(t, client); transporttest.Seq(rep) != want {
			t.Fatalf("got reply to seq %d, want %d", transporttest.Seq(rep), want)
		}
	}

	rc, rs := tcpPair(t)
	if err := b.InstallReplica(2, rs); err != nil {
		t.Fatal(err)
	}
	sealed := transporttest.Frame(wire.CommandCommit, 0, 0)
	wire.SealFrame(sealed)
	prepare := transporttest.Frame(wire.CommandPrepare, 64, 3)
	wire.StampPrepare(prepare)
	corrupt := transporttest.Frame(wire.CommandCommit, 0, 0)
	wire.SealFrame(corrupt)
	corrupt[100] ^= 1
	send(t, rc, sealed, prepare, corrupt)
	for _, want := range []wire.Command{wire.CommandCommit, wire.CommandPrepare} {
		if cmd := <-got; cmd != want {
			t.Fatalf("got %v, want %v", cmd, want)
		}
	}
	if _, err := rc.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("corrupt seal: got %v, want the connection closed", err)
	}
	pc, ps := tcpPair(t)
	if err := b.InstallReplica(3, ps); err != nil {
		t.Fatal(err)
	}
	badPrepare := transporttest.Frame(wire.CommandPrepare, 64, 4)
	wire.StampPrepare(badPrepare)
	badPrepare[wire.HeaderSize+10] ^= 1 // body no longer matches checksum_body
	send(t, pc, badPrepare)
	if _, err := pc.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("corrupt prepare: got %v, want the connection closed", err)
	}
	shutdown(t, b)
	if len(got) != 0 {
		t.Fatal("corrupt frame reached the hook")
	}
}

// TestBackpressure (S1): with the writer stuck in a write and the queue
// full, a send fails at once with ErrBackpressure; unknown peers fail with
// ErrNotConnected; nothing blocks.
func TestBackpressure(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PeerQueueCapacity = 4
	b := New(0, cfg, Hooks{})
	_, server := tcpPair(t)
	g := gated(server)
	if err := b.InstallClient(client1, g); err != nil {
		t.Fatal(err)
	}
	if err := b.SendToClient(client1, frame(wire.CommandReply, 0, 0)); err != nil {
		t.Fatal(err)
	}
	<-g.entered // the writer holds frame 0 inside SendBatch; the queue is empty
	for i := range cfg.PeerQueueCapacity {
		if err := b.SendToClient(client1, frame(wire.CommandReply, 0, uint64(i))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	f := frame(wire.CommandReply, 0, 99)
	if err := b.SendToClient(client1, f); !errors.Is(err, ErrBackpressure) {
		t.Fatalf("full queue: got %v, want ErrBackpressure", err)
	}
	if err := b.SendToClient(wire.NewClientID(0, 12345), f); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("unknown client: got %v", err)
	}
	if err := b.SendToReplica(3, f); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("unknown replica: got %v", err)
	}
	f.Release()
	close(g.gate)
	if out := shutdown(t, b); out.Forced != 0 {
		t.Fatalf("outcome %+v", out)
	}
}

// TestSendRouting: sends for another shard's client go to the forward hook;
// replica sends follow the owner table, and a stale entry pointing back at
// this shard reports ErrNotConnected instead of looping.
func TestSendRouting(t *testing.T) {
	type fwd struct {
		owner wire.ShardID
		id    wire.ClientID
		r     wire.ReplicaID
	}
	got := make(chan fwd, 4)
	owners := map[wire.ReplicaID]wire.ShardID{5: 3, 6: 2}
	b := New(2, DefaultConfig(), Hooks{
		ForwardClient: func(o wire.ShardID, id wire.ClientID, f *wire.Frame) error {
			got <- fwd{owner: o, id: id}
			f.Release()
			return nil
		},
		ReplicaOwner: func(r wire.ReplicaID) (wire.ShardID, bool) { o, ok := owners[r]; return o, ok },
		ForwardReplica: func(o wire.ShardID, r wire.ReplicaID, f *wire.Frame) error {
			got <- fwd{owner: o, r: r}
			f.Release()
			return nil
		},
	})
	remote := wire.NewClientID(7, 0x2a)
	if err := b.SendToClient(remote, frame(wire.CommandReply, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g.owner != 7 || g.id != remote {
		t.Fatalf("forwarded %+v", g)
	}
	if err := b.SendToReplica(5, frame(wire.CommandCommit, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g.owner != 3 || g.r != 5 {
		t.Fatalf("forwarded %+v", g)
	}
	f := frame(wire.CommandCommit, 0, 0)
	defer f.Release()
	if err := b.SendToReplica(6, f); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("stale self mapping: got %v", err)
	}
	if err := b.SendToReplica(9, f); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("no mapping: got %v", err)
	}
	nb := New(0, DefaultConfig(), Hooks{})
	if err := nb.SendToClient(remote, f); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("no forward hook: got %v", err)
	}
	shutdown(t, b)
	shutdown(t, nb)
}

// TestVectoredBatch (S2): N frames queued behind a stuck write reach the
// socket in ⌈N/MaxBatch⌉ SendBatch calls (one writev each on TCP), in order.
func TestVectoredBatch(t *testing.T) {
	for _, n := range []int{1, 255, 256, 257, 1000} {
		cfg := DefaultConfig()
		cfg.PeerQueueCapacity = n
		b := New(0, cfg, Hooks{})
		client, server := tcpPair(t)
		g := gated(server)
		if err := b.InstallClient(client1, g); err != nil {
			t.Fatal(err)
		}
		// Frame 0 parks the writer inside its first SendBatch.
		if err := b.SendToClient(client1, frame(wire.CommandReply, 8, 0)); err != nil {
			t.Fatal(err)
		}
		<-g.entered
		for i := 1; i <= n; i++ {
			if err := b.SendToClient(client1, frame(wire.CommandReply, 8, uint64(i))); err != nil {
				t.Fatalf("n=%d send %d: %v", n, i, err)
			}
		}
		close(g.gate)
		for i := 0; i <= n; i++ {
			if got := transporttest.Seq(read(t, client)); got != uint64(i) {
				t.Fatalf("n=%d: frame %d arrived as %d", n, i, got)
			}
		}
		shutdown(t, b)
		sizes := g.batchSizes()
		want := 1 + (n+cfg.MaxBatch-1)/cfg.MaxBatch
		if len(sizes) != want {
			t.Fatalf("n=%d: %d writes %v, want %d", n, len(sizes), sizes, want)
		}
		for i, s := range sizes[1:] {
			if s > cfg.MaxBatch || (i < len(sizes)-2 && s != cfg.MaxBatch) {
				t.Fatalf("n=%d: batch sizes %v", n, sizes)
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, mb := range []int{0, MaxBatchLimit + 1, 4096} {
		cfg := DefaultConfig()
		cfg.MaxBatch = mb
		if err := cfg.Validate(); err == nil {
			t.Errorf("MaxBatch %d accepted", mb)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("New accepted MaxBatch 0")
		}
	}()
	cfg := DefaultConfig()
	cfg.MaxBatch = 0
	New(0, cfg, Hooks{})
}
