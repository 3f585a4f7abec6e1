package bus

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// frame returns a pooled frame of cmd with a body carrying seq.
func frame(cmd wire.Command, bodyLen int, seq uint64) *wire.Frame {
	return wire.FrameOf(transporttest.Frame(cmd, bodyLen, seq))
}

// echo turns a Request into a Reply in place and sends it back.
func echo(b **Bus) func(wire.ClientID, *wire.Frame) {
	return func(id wire.ClientID, f *wire.Frame) {
		f.Bytes()[60] = byte(wire.CommandReply)
		if err := (*b).SendToClient(id, f); err != nil {
			f.Release()
		}
	}
}

// tcpPair returns a loopback TCP connection: the client end and the server
// end after the owning shard's handshake.
func tcpPair(t testing.TB) (*tcp.Conn, transport.Conn) {
	t.Helper()
	ctx := context.Background()
	cfg := tcp.DefaultConfig()
	l, err := tcp.Listen(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := tcp.Dial(ctx, l.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, err := p.Handshake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return client, server
}

func send(t testing.TB, c transport.Conn, frames ...[]byte) {
	t.Helper()
	if err := c.SendBatch(frames); err != nil {
		t.Fatal(err)
	}
}

func read(t testing.TB, c transport.Conn) []byte {
	t.Helper()
	f, err := c.ReadFrame()
	if err != nil {
		t.Fatalf("ReadFrame: %v", err)
	}
	b := bytes.Clone(f.Bytes())
	f.Release()
	return b
}

func shutdown(t testing.TB, b *Bus) DrainOutcome {
	t.Helper()
	out := b.Shutdown(context.Background())
	b.Wait()
	return out
}

// gatedConn wraps a Conn: its first SendBatch signals entered and waits for
// gate; every SendBatch is counted (the "wrapping conn" of the vectored
// batch test).
type gatedConn struct {
	transport.Conn
	entered chan struct{}
	gate    chan struct{}

	mu sync.Mutex // guards the following
	// +checklocks:mu
	sizes []int
}

func gated(c transport.Conn) *gatedConn {
	return &gatedConn{Conn: c, entered: make(chan struct{}), gate: make(chan struct{})}
}

func (g *gatedConn) SendBatch(frames [][]byte) error {
	g.mu.Lock()
	g.sizes = append(g.sizes, len(frames))
	first := len(g.sizes) == 1
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.gate
	}
	return g.Conn.SendBatch(frames)
}

func (g *gatedConn) batchSizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.sizes...)
}
