package tcp

import (
	"context"
	"testing"

	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestConformance runs the transport suite over real loopback sockets.
func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, max uint32) transporttest.Pair {
		ctx := context.Background()
		cfg := DefaultConfig()
		cfg.MaxFrameSize = max
		l, err := Listen(ctx, "127.0.0.1:0", cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		client, err := Dial(ctx, l.Addr().String(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		server, err := p.Handshake(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return transporttest.Pair{Client: client, Server: server, Truncate: func(f []byte, n int) error {
			_, err := client.NetConn().Write(f[:n])
			client.Close()
			return err
		}, Partial: func(f []byte, n int) error {
			_, err := client.NetConn().Write(f[:n])
			return err
		}}
	})
}

// TestHandshakeAppliesOptions: the owning shard's handshake sets
// TCP_NODELAY and keepalive from the config.
func TestHandshakeAppliesOptions(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	l, err := Listen(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := Dial(ctx, l.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Handshake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkSockopts(t, c.(*Conn), cfg)
}
