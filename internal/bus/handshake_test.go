package bus

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/memconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// silentPending is a peer that connects and never completes a handshake:
// Handshake returns only when its context ends.
type silentPending struct {
	err    chan error
	closed chan struct{}
}

func (p *silentPending) Handshake(ctx context.Context) (transport.Conn, error) {
	<-ctx.Done()
	p.err <- ctx.Err()
	p.Close()
	return nil, ctx.Err()
}
func (p *silentPending) Close() error         { close(p.closed); return nil }
func (p *silentPending) Kind() transport.Kind { return transport.KindMem }
func (p *silentPending) RemoteAddr() net.Addr { return nil }

// TestHandshakeDeadline (S6): a silent peer's handshake runs on the owner
// under Config.HandshakeTimeout; it does not delay the next connection's
// install, and it is abandoned (closed) at the deadline. Virtual time
// (testing/synctest) makes this deterministic.
func TestHandshakeDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.LoginTimeout = time.Minute // the second client outlives the silent handshake
		b := New(0, cfg, Hooks{})
		silent := &silentPending{err: make(chan error, 1), closed: make(chan struct{})}
		if err := b.AcceptClient(wire.NewClientID(0, 1), silent); err != nil {
			t.Fatal(err)
		}

		l := memconn.Listen(0)
		defer l.Close()
		dialed := make(chan *memconn.Conn, 1)
		go func() {
			c, err := l.Dial(context.Background())
			if err != nil {
				t.Error(err)
			}
			dialed <- c
		}()
		p, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		second := wire.NewClientID(0, 2)
		if err := b.AcceptClient(second, p); err != nil {
			t.Fatal(err)
		}
		client := <-dialed
		defer client.Close()
		synctest.Wait()
		if !b.HasClient(second) {
			t.Fatal("second connection waited for the silent one")
		}
		select {
		case <-silent.closed:
			t.Fatal("silent peer dropped before its deadline")
		default:
		}
		if err := <-silent.err; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("silent handshake ended with %v", err)
		}
		<-silent.closed
		out := b.Shutdown(context.Background())
		if out.Clean != 1 || out.Forced != 0 || out.BackgroundForced != 0 {
			t.Fatalf("outcome %+v", out)
		}
	})
}
