package shard

import (
	"bytes"
	"context"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoOnOwner answers each request on the owning shard.
func echoOnOwner(s *Shard, id wire.ClientID, f *wire.Frame) {
	f.Bytes()[60] = byte(wire.CommandReply)
	if err := s.Bus().SendToClient(id, f); err != nil {
		f.Release()
	}
}

func newRuntime(t testing.TB, shards int, h Handlers) *Runtime {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Shards = shards
	rt, err := New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// serveTCP binds a loopback TCP listener through shard 0.
func serveTCP(t testing.TB, rt *Runtime) string {
	t.Helper()
	addrs, err := rt.Shard(0).Serve(ListenerSpec{Name: "tcp", Bind: func() (transport.Listener, error) {
		return tcp.Listen(context.Background(), "127.0.0.1:0", tcp.DefaultConfig())
	}})
	if err != nil {
		t.Fatal(err)
	}
	return addrs[0].String()
}

func dial(t testing.TB, addr string) *tcp.Conn {
	t.Helper()
	c, err := tcp.Dial(context.Background(), addr, tcp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func roundTrip(t testing.TB, c *tcp.Conn, seq uint64) []byte {
	t.Helper()
	if err := c.SendBatch([][]byte{transporttest.Frame(wire.CommandRequest, 32, seq)}); err != nil {
		t.Fatal(err)
	}
	f, err := c.ReadFrame()
	if err != nil {
		t.Fatalf("ReadFrame: %v", err)
	}
	defer f.Release()
	if f.Command() != wire.CommandReply || transporttest.Seq(f.Bytes()) != seq {
		t.Fatalf("got %v seq %d, want Reply seq %d", f.Command(), transporttest.Seq(f.Bytes()), seq)
	}
	return bytes.Clone(f.Bytes())
}

func stop(t testing.TB, rt *Runtime) {
	t.Helper()
	out := rt.Shutdown(context.Background())
	rt.Wait()
	if out.Forced != 0 || out.BackgroundForced != 0 {
		t.Fatalf("shutdown forced: %+v", out)
	}
}
