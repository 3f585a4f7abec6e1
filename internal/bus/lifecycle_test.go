package bus

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestDuplicateClientID (S4): the second install of an id loses; its
// connection is closed before any goroutine starts, so a request written on
// it never reaches the hook, and the winner keeps working. Shutdown then
// drains the winner alone, with nothing forced.
func TestDuplicateClientID(t *testing.T) {
	var b *Bus
	var fromLoser atomic.Int32
	b = New(0, DefaultConfig(), Hooks{OnRequest: func(id wire.ClientID, f *wire.Frame) {
		if transporttest.Seq(f.Bytes()) == 666 {
			fromLoser.Add(1)
		}
		echo(&b)(id, f)
	}})
	wc, ws := tcpPair(t)
	lc, ls := tcpPair(t)
	if err := b.InstallClient(client1, ws); err != nil {
		t.Fatal(err)
	}
	if err := b.InstallClient(client1, ls); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second install: got %v, want ErrDuplicate", err)
	}
	_ = lc.SendBatch([][]byte{transporttest.Frame(wire.CommandRequest, 8, 666)})
	if _, err := lc.ReadFrame(); err == nil {
		t.Fatal("loser's connection still open")
	}
	if !b.HasClient(client1) || b.Clients() != 1 {
		t.Fatal("winner disturbed")
	}
	send(t, wc, transporttest.Frame(wire.CommandRequest, 8, 1))
	if got := transporttest.Seq(read(t, wc)); got != 1 {
		t.Fatalf("winner reply seq %d", got)
	}
	out := shutdown(t, b)
	if out.Forced != 0 || out.Clean != 1 || fromLoser.Load() != 0 {
		t.Fatalf("outcome %+v, loser requests %d", out, fromLoser.Load())
	}
}

// TestConnectionLostOnce (S4): connection-lost fires exactly once per
// replica disconnect, never for a losing duplicate, never during Shutdown.
func TestConnectionLostOnce(t *testing.T) {
	lost := make(chan wire.ReplicaID, 8)
	b := New(1, DefaultConfig(), Hooks{OnConnectionLost: func(r wire.ReplicaID) { lost <- r }})
	pc, ps := tcpPair(t)
	if err := b.InstallReplica(4, ps); err != nil {
		t.Fatal(err)
	}
	dc, ds := tcpPair(t)
	if err := b.InstallReplica(4, ds); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	dc.Close()
	// A second replica that stays up until Shutdown: no notification.
	_, ks := tcpPair(t)
	if err := b.InstallReplica(5, ks); err != nil {
		t.Fatal(err)
	}
	// Both the reader (EOF) and the writer (failed write) see the failure.
	pc.Close()
	if r := <-lost; r != 4 {
		t.Fatalf("lost %d", r)
	}
	if err := b.SendToReplica(4, frame(wire.CommandCommit, 0, 0)); err != nil && !errors.Is(err, ErrNotConnected) {
		t.Fatal(err)
	}
	if b.HasReplica(4) {
		t.Fatal("entry not freed for a redial")
	}
	if out := shutdown(t, b); out.Forced != 0 || out.Clean != 1 {
		t.Fatalf("outcome %+v", out)
	}
	close(lost)
	for r := range lost {
		t.Fatalf("extra connection-lost for replica %d", r)
	}
}

// TestGracefulShutdown (S9): five connected clients drain cleanly; frames
// queued before Shutdown are flushed before the connection closes; sends
// and installs afterwards fail with ErrShuttingDown.
func TestGracefulShutdown(t *testing.T) {
	b := New(0, DefaultConfig(), Hooks{})
	var clients []*tcp.Conn
	var gate *gatedConn
	for i := range 5 {
		c, s := tcpPair(t)
		clients = append(clients, c)
		tc := s
		if i == 0 {
			gate = gated(s)
			tc = gate
		}
		if err := b.InstallClient(wire.NewClientID(0, uint64(i+1)), tc); err != nil {
			t.Fatal(err)
		}
	}
	first := wire.NewClientID(0, 1)
	for i := range 10 {
		if err := b.SendToClient(first, frame(wire.CommandReply, 8, uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	<-gate.entered
	done := make(chan DrainOutcome)
	go func() { done <- b.Shutdown(context.Background()) }()
	close(gate.gate)
	for i := range 10 {
		if got := transporttest.Seq(read(t, clients[0])); got != uint64(i) {
			t.Fatalf("queued frame %d arrived as %d", i, got)
		}
	}
	out := <-done
	if out.Clean != 5 || out.Forced != 0 {
		t.Fatalf("outcome %+v, want 5 clean", out)
	}
	for _, c := range clients {
		if _, err := c.ReadFrame(); !errors.Is(err, io.EOF) {
			t.Fatalf("client after shutdown: %v", err)
		}
	}
	if b.Clients() != 0 || !b.ShuttingDown() {
		t.Fatal("registry not empty after shutdown")
	}
	f := frame(wire.CommandReply, 0, 0)
	defer f.Release()
	if err := b.SendToClient(wire.NewClientID(0, 1), f); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("send after shutdown: %v", err)
	}
	_, s := tcpPair(t)
	if err := b.InstallClient(wire.NewClientID(0, 9), s); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("install after shutdown: %v", err)
	}
	if err := b.Go(func(context.Context) {}); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("Go after shutdown: %v", err)
	}
}

// TestShutdownDrainsConnectionsBeforeSlowBackground (S9): connections
// drain first; a background task that ignores its context is counted as
// forced at the deadline and waited for afterwards with Wait.
func TestShutdownDrainsConnectionsBeforeSlowBackground(t *testing.T) {
	b := New(0, DefaultConfig(), Hooks{})
	for i := range 2 {
		_, s := tcpPair(t)
		if err := b.InstallClient(wire.NewClientID(0, uint64(i+1)), s); err != nil {
			t.Fatal(err)
		}
	}
	release := make(chan struct{})
	started := make(chan struct{})
	if err := b.Go(func(context.Context) { close(started); <-release }); err != nil {
		t.Fatal(err)
	}
	polite := make(chan struct{})
	if err := b.Go(func(ctx context.Context) { <-ctx.Done(); close(polite) }); err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out := b.Shutdown(ctx)
	close(release)
	b.Wait()
	<-polite
	want := DrainOutcome{Clean: 2, BackgroundClean: 1, BackgroundForced: 1}
	if out != want {
		t.Fatalf("outcome %+v, want %+v", out, want)
	}
}

// TestHeadOfLine (S1, S11): a client that never reads fills its socket and
// its queue; sends to it never block, and the one that finds the queue full
// fails with ErrBackpressure and closes the connection with
// ErrReplyQueueFull logged, instead of dropping the frame silently. Another
// client on the same bus still gets its replies.
func TestHeadOfLine(t *testing.T) {
	b, logs, lost := echoBus(DefaultConfig())
	mc, mute := tcpPair(t)
	// Pin both socket buffers small so the mute connection's capacity is
	// far below what the bus queues, whatever the kernel's autotuning.
	if err := mc.NetConn().SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if err := mute.(*tcp.Conn).NetConn().SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	fc, fs := tcpPair(t)
	muteID, fastID := wire.NewClientID(0, 1), wire.NewClientID(0, 2)
	if err := b.InstallClient(muteID, mute); err != nil {
		t.Fatal(err)
	}
	if err := b.InstallClient(fastID, fs); err != nil {
		t.Fatal(err)
	}
	// 64 KiB frames: the queue (256) alone holds 16 MiB.
	sent := 0
	for {
		f := frame(wire.CommandReply, 64<<10, uint64(sent))
		err := b.SendToClient(muteID, f)
		if errors.Is(err, ErrBackpressure) {
			f.Release()
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sent++
	}
	if sent < DefaultConfig().PeerQueueCapacity {
		t.Fatalf("only %d sends before backpressure", sent)
	}
	for i := range uint64(100) {
		send(t, fc, transporttest.Frame(wire.CommandRequest, 32, i))
		if got := transporttest.Seq(read(t, fc)); got != i {
			t.Fatalf("fast client reply %d arrived as %d", i, got)
		}
	}
	if id := <-lost; id != muteID {
		t.Fatalf("lost %v, want the mute client", id)
	}
	logs.expect(t, "client connection closed", ErrReplyQueueFull, mute.RemoteAddr())
	if out := shutdown(t, b); out.Clean != 1 || out.Forced != 0 {
		t.Fatalf("outcome %+v after %d queued sends", out, sent)
	}
}

// TestCloseClientStopsRequests (issue #15 item 12): once the session layer
// has called CloseClient, no further request of that connection reaches
// it, so it has no reason to log the close again for each request already
// read.
func TestCloseClientStopsRequests(t *testing.T) {
	var b *Bus
	var handled atomic.Int64
	lost := make(chan wire.ClientID, 1)
	b = New(0, DefaultConfig(), Hooks{
		OnClientLost: func(id wire.ClientID) { lost <- id },
		OnRequest: func(id wire.ClientID, f *wire.Frame) {
			f.Release()
			if handled.Add(1) == 1 {
				b.CloseClient(id)
			}
		}})
	client, server := tcpPair(t)
	if err := b.InstallClient(client1, server); err != nil {
		t.Fatal(err)
	}
	var batch [][]byte
	for i := range uint64(50) {
		batch = append(batch, transporttest.Frame(wire.CommandRequest, 16, i))
	}
	send(t, client, batch...)
	<-lost
	if n := handled.Load(); n != 1 {
		t.Fatalf("%d requests reached the hook, want 1 (the one that closed)", n)
	}
	shutdown(t, b)
}

// TestCloseReplica: closing a replica's connection tears it down before the
// call returns (connection-lost has fired, the entry is free for the next
// install) and the peer sees the close; a replica not connected here
// reports false.
func TestCloseReplica(t *testing.T) {
	lost := make(chan wire.ReplicaID, 4)
	b := New(1, DefaultConfig(), Hooks{OnConnectionLost: func(r wire.ReplicaID) { lost <- r }})
	pc, ps := tcpPair(t)
	if err := b.InstallReplica(4, ps); err != nil {
		t.Fatal(err)
	}
	cause := errors.New("superseded")
	if !b.CloseReplica(4, cause) {
		t.Fatal("CloseReplica found no connection")
	}
	select {
	case r := <-lost:
		if r != 4 {
			t.Fatalf("lost %d", r)
		}
	default:
		t.Fatal("connection-lost had not fired when CloseReplica returned")
	}
	if b.HasReplica(4) || b.CloseReplica(4, cause) || b.CloseReplica(5, cause) {
		t.Fatal("replica 4 still registered, or a missing replica was closed")
	}
	if _, err := pc.ReadFrame(); err == nil {
		t.Fatal("peer still connected")
	}
	_, ps2 := tcpPair(t)
	if err := b.InstallReplica(4, ps2); err != nil {
		t.Fatalf("reinstall: %v", err)
	}
	if out := shutdown(t, b); out.Forced != 0 || out.Clean != 1 {
		t.Fatalf("outcome %+v", out)
	}
	close(lost)
	for r := range lost {
		t.Fatalf("extra connection-lost for replica %d", r)
	}
}

// TestShutdownAnswersRequestsRead (issue 15, item 10): requests a client
// had sent and the server had read when Shutdown began are answered before
// the connection closes, not reset. The server here answers them only once
// Shutdown has cancelled background work (S9 step 2), that is while the
// clients drain.
func TestShutdownAnswersRequestsRead(t *testing.T) {
	const n = 20
	read := make(chan *wire.Frame, n)
	b := New(0, DefaultConfig(), Hooks{OnRequest: func(_ wire.ClientID, f *wire.Frame) { read <- f }})
	c, s := tcpPair(t)
	id := wire.NewClientID(0, 1)
	if err := b.InstallClient(id, s); err != nil {
		t.Fatal(err)
	}
	var batch [][]byte
	for i := range n {
		batch = append(batch, frame(wire.CommandRequest, 8, uint64(i)).Bytes())
	}
	if err := c.SendBatch(batch); err != nil {
		t.Fatal(err)
	}
	reqs := make([]*wire.Frame, 0, n)
	for range n {
		reqs = append(reqs, <-read)
	}
	if err := b.Go(func(ctx context.Context) {
		<-ctx.Done() // Shutdown has begun
		for _, f := range reqs {
			if err := b.SendToClient(id, frame(wire.CommandReply, 8, transporttest.Seq(f.Bytes()))); err != nil {
				t.Errorf("answer during shutdown: %v", err)
			}
			f.Release()
		}
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan DrainOutcome, 1)
	go func() { done <- b.Shutdown(context.Background()) }()
	for i := range n {
		f, err := c.ReadFrame()
		if err != nil {
			t.Fatalf("reply %d of %d: %v", i, n, err)
		}
		if got := transporttest.Seq(f.Bytes()); got != uint64(i) {
			t.Fatalf("reply %d answers request %d", i, got)
		}
		f.Release()
	}
	if _, err := c.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the answers: %v, want EOF", err)
	}
	if out := <-done; out.Clean != 1 || out.Forced != 0 {
		t.Fatalf("outcome %+v", out)
	}
}
