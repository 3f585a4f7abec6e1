package transporttest

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Acceptor is a listening transport for the accept-path tests.
type Acceptor struct {
	// Listener is the transport's listener. RunAccept closes it.
	Listener transport.Listener
	// Dial connects a well-behaved client and completes the client side
	// of the handshake; it runs concurrently with the server's Handshake.
	Dial func(ctx context.Context) (transport.Conn, error)
	// DialSilent opens a raw connection that never sends a byte. Its Read
	// must fail or return io.EOF once the server closes it. Nil skips the
	// silent-peer test (a transport whose stack screens silent peers
	// before Accept, like QUIC, tests that on its own).
	DialSilent func(ctx context.Context) (net.Conn, error)
}

// MakeAcceptor returns a fresh Acceptor.
type MakeAcceptor func(t *testing.T) Acceptor

// HandshakeDeadline is the handshake deadline the silent-peer test gives
// the silent connection's owner.
const HandshakeDeadline = 1500 * time.Millisecond

// RunAccept runs the accept-path tests: a silent peer is closed once its
// handshake deadline passes, and while its handshake is pending the next
// client is accepted, handshaken and served (S6).
func RunAccept(t *testing.T, mk MakeAcceptor) {
	t.Run("SilentPeerClosedAfterDeadline", func(t *testing.T) { testSilentPeer(t, mk) })
}

func testSilentPeer(t *testing.T, mk MakeAcceptor) {
	a := mk(t)
	defer a.Listener.Close()
	if a.DialSilent == nil {
		t.Skip("the transport screens silent peers before Accept")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	silent, err := a.DialSilent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	p1, err := a.Listener.Accept() // the silent peer: Accept does no protocol work (S6)
	if err != nil {
		t.Fatal(err)
	}
	hs1 := make(chan error, 1)
	go func() {
		hctx, hcancel := context.WithTimeout(ctx, HandshakeDeadline)
		defer hcancel()
		c, err := p1.Handshake(hctx)
		if err == nil {
			c.Close()
		}
		hs1 <- err
	}()

	// A well-behaved client arrives while the silent handshake is pending.
	type dialed struct {
		c   transport.Conn
		err error
	}
	dc := make(chan dialed, 1)
	go func() {
		c, err := a.Dial(ctx)
		dc <- dialed{c, err}
	}()
	p2, err := a.Listener.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, err := p2.Handshake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	d := <-dc
	if d.err != nil {
		t.Fatal(d.err)
	}
	client := d.c
	defer client.Close()
	req := Frame(wire.CommandRequest, 32, 7)
	if err := client.SendBatch([][]byte{req}); err != nil {
		t.Fatal(err)
	}
	if got := readOne(t, server); !bytes.Equal(got, req) {
		t.Fatal("server read a different request")
	}
	if err := server.SendBatch([][]byte{Frame(wire.CommandReply, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	readOne(t, client)
	select {
	case err := <-hs1:
		t.Fatalf("silent handshake ended (%v) before the second client was served", err)
	default:
	}

	// The deadline passes: the silent handshake fails and its connection
	// is closed, which the silent peer observes.
	if err := <-hs1; err == nil {
		t.Fatal("handshake with a silent peer succeeded")
	}
	if err := silent.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var b [512]byte
	for {
		if _, err := silent.Read(b[:]); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("silent peer still open 10 s after its handshake failed")
			}
			break
		}
	}
}
