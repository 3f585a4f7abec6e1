package bus

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/memconn"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestLoginDeadline (issue #15 item 3b): a connection that is not
// Authenticated within LoginTimeout is closed with the cause logged; an
// Authenticated one stays; LoggedOut starts the deadline again. Virtual
// time (testing/synctest), so the deadline itself is checked.
func TestLoginDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, logs, lost := echoBus(DefaultConfig())
		idle, authed := wire.NewClientID(0, 1), wire.NewClientID(0, 2)
		c1, s1 := memconn.Pipe(0)
		defer c1.Close()
		c2, s2 := memconn.Pipe(0)
		defer c2.Close()
		for id, s := range map[wire.ClientID]transport.Conn{idle: s1, authed: s2} {
			if err := b.InstallClient(id, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Authenticated(authed); err != nil {
			t.Fatal(err)
		}
		expectLost := func(want wire.ClientID, after time.Duration) {
			t.Helper()
			start := time.Now()
			time.Sleep(after - time.Nanosecond)
			synctest.Wait()
			select {
			case id := <-lost:
				t.Fatalf("%v closed %s in, before the login deadline", id, time.Since(start))
			default:
			}
			time.Sleep(b.watchPeriod())
			synctest.Wait()
			select {
			case id := <-lost:
				if id != want {
					t.Fatalf("closed %v, want %v", id, want)
				}
			default:
				t.Fatalf("%v still open %s in", want, time.Since(start))
			}
		}
		expectLost(idle, DefaultLoginTimeout)
		logs.expect(t, "client connection closed", ErrLoginTimeout, s1.RemoteAddr())
		send(t, c2, transporttest.Frame(wire.CommandRequest, 16, 5))
		if got := transporttest.Seq(read(t, c2)); got != 5 {
			t.Fatalf("authenticated client: reply seq %d", got)
		}
		if err := b.LoggedOut(authed); err != nil {
			t.Fatal(err)
		}
		expectLost(authed, DefaultLoginTimeout)
		shutdown(t, b)
	})
}

// TestSilentClientClosedAtLoginDeadline (issue #15 item 3b): a client that
// connects and sends nothing (raw TCP; WebSocket after the upgrade; QUIC
// with no stream) is closed at the login deadline, with the cause logged
// with its transport and remote address, and sees its connection end.
func TestSilentClientClosedAtLoginDeadline(t *testing.T) {
	for name, dial := range dialers {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.LoginTimeout = 300 * time.Millisecond
			b, logs, lost := echoBus(cfg)
			client := dial(t, b, client1)
			addr, kind := serverAddr(t, b, client1)
			<-lost
			if f, err := client.ReadFrame(); err == nil {
				f.Release()
				t.Fatal("silent client read a frame")
			}
			logs.expect(t, "client connection closed", ErrLoginTimeout, addr)
			if got := logs.matching("client connection closed", ErrLoginTimeout, addr)[0].attrs["kind"]; got != kind {
				t.Fatalf("logged kind %v, want %v", got, kind)
			}
			if n := b.Unauthenticated(); n != 0 {
				t.Fatalf("%d gate slots held after the close", n)
			}
			shutdown(t, b)
		})
	}
}

// TestPreLoginFrameCap (issue #15 item 4): before Authenticated a frame
// above MaxUnauthenticatedFrame closes the connection, refused from its
// header with the cause and remote address logged; one at the cap is
// served; after Authenticated a 1 MiB frame is served. Over TCP, WS and
// QUIC.
func TestPreLoginFrameCap(t *testing.T) {
	for name, dial := range dialers {
		t.Run(name, func(t *testing.T) {
			b, logs, lost := echoBus(DefaultConfig())
			const limit = DefaultMaxUnauthenticatedFrame
			over, ok := wire.NewClientID(0, 1), wire.NewClientID(0, 2)
			bad := dial(t, b, over)
			good := dial(t, b, ok)

			send(t, good, transporttest.Frame(wire.CommandRequest, limit-wire.HeaderSize, 1))
			if got := transporttest.Seq(read(t, good)); got != 1 {
				t.Fatalf("frame at the cap: reply seq %d", got)
			}
			addr, _ := serverAddr(t, b, over)
			// The send itself may see the close (QUIC): what counts is
			// that no reply comes and the logged cause.
			_ = bad.SendBatch([][]byte{transporttest.Frame(wire.CommandRequest, limit-wire.HeaderSize+1, 2)})
			if f, err := bad.ReadFrame(); err == nil {
				f.Release()
				t.Fatal("oversized pre-login frame was answered")
			}
			if id := <-lost; id != over {
				t.Fatalf("closed %v, want %v", id, over)
			}
			logs.expect(t, "client connection closed", wire.ErrFrameTooLarge, addr)

			if err := b.Authenticated(ok); err != nil {
				t.Fatal(err)
			}
			send(t, good, transporttest.Frame(wire.CommandRequest, 1<<20, 3))
			if got := transporttest.Seq(read(t, good)); got != 3 {
				t.Fatalf("1 MiB after login: reply seq %d", got)
			}
			shutdown(t, b)
		})
	}
}

// serverAddr waits until client id is installed (its handshake runs as a
// background task of the bus) and returns the remote address the bus sees.
func serverAddr(t *testing.T, b *Bus, id wire.ClientID) (net.Addr, transport.Kind) {
	t.Helper()
	for {
		// Tasks first: an install happens inside a task that AcceptClient
		// started before we were called.
		b.mu.Lock()
		n := len(b.tasks)
		b.mu.Unlock()
		if kind, addr, ok := b.ClientConn(id); ok {
			return addr, kind
		}
		if n == 0 {
			t.Fatalf("%v is not installed and no handshake is running", id)
		}
		waitTasks(b)
	}
}

// waitTasks blocks until the bus's background tasks running now are done.
func waitTasks(b *Bus) {
	b.mu.Lock()
	done := make([]chan struct{}, 0, len(b.tasks))
	for tk := range b.tasks {
		done = append(done, tk.done)
	}
	b.mu.Unlock()
	for _, d := range done {
		<-d
	}
}

// TestStalledFrameClosed (issue #15 item 3a): a client that sends part of a
// frame and stops is closed once FrameTimeout has passed since the frame
// started, with the cause and remote address logged at Info.
func TestStalledFrameClosed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FrameTimeout = transporttest.FrameTimeout
	b, logs, lost := echoBus(cfg)
	client, server := tcpPair(t)
	if err := b.InstallClient(client1, server); err != nil {
		t.Fatal(err)
	}
	if err := b.Authenticated(client1); err != nil {
		t.Fatal(err)
	}
	f := transporttest.Frame(wire.CommandRequest, 1000, 1)
	if _, err := client.NetConn().Write(f[:600]); err != nil {
		t.Fatal(err)
	}
	<-lost
	if _, err := client.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("client read %v, want io.EOF", err)
	}
	logs.expect(t, "client connection closed", transport.ErrFrameTimeout, server.RemoteAddr())
	shutdown(t, b)
}

// TestGateCaps (issue #15 item 3c): unauthenticated connections are capped
// per remote address and in total. Past a cap AcceptClient refuses and
// closes the connection, with the refusal logged; Authenticated and a
// close free a slot. Real sockets from 127.0.0.1, .2 and .3.
func TestGateCaps(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxUnauthenticated, cfg.MaxUnauthenticatedPerAddr = 4, 2
	b, logs, lost := echoBus(cfg)
	l, err := tcp.Listen(context.Background(), "127.0.0.1:0", tcp.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seq := uint64(0)
	conns := map[wire.ClientID]*net.TCPConn{}
	connect := func(from string) (wire.ClientID, error) {
		t.Helper()
		c := transporttest.DialFrom(t, from, l.Addr().String())
		p, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		seq++
		id := wire.NewClientID(0, seq)
		conns[id] = c
		err = b.AcceptClient(id, p)
		if err == nil {
			serverAddr(t, b, id)
		}
		return id, err
	}
	admit := func(from string) wire.ClientID {
		t.Helper()
		id, err := connect(from)
		if err != nil {
			t.Fatalf("from %s: %v", from, err)
		}
		return id
	}
	refuse := func(from string) {
		t.Helper()
		id, err := connect(from)
		if !errors.Is(err, ErrTooManyUnauthenticated) {
			t.Fatalf("from %s: got %v, want ErrTooManyUnauthenticated", from, err)
		}
		var one [1]byte
		if _, err := conns[id].Read(one[:]); err == nil {
			t.Fatalf("refused connection from %s is open", from)
		}
	}
	a1 := admit("127.0.0.1")
	admit("127.0.0.1")
	refuse("127.0.0.1") // per address
	b1 := admit("127.0.0.2")
	admit("127.0.0.2")
	refuse("127.0.0.3") // in total
	if n := b.Unauthenticated(); n != 4 {
		t.Fatalf("%d unauthenticated, want 4", n)
	}
	if got := logs.matching("client connection refused", ErrTooManyUnauthenticated, nil); len(got) == 0 || got[0].level != slog.LevelInfo {
		t.Fatalf("refusal logged as %+v", got)
	}
	if err := b.Authenticated(a1); err != nil {
		t.Fatal(err)
	}
	admit("127.0.0.3") // a1's slot
	conns[b1].Close()
	if id := <-lost; id != b1 {
		t.Fatalf("lost %v, want %v", id, b1)
	}
	admit("127.0.0.3") // b1's slot
	refuse("127.0.0.1")
	if n := b.Unauthenticated(); n != 4 {
		t.Fatalf("%d unauthenticated, want 4", n)
	}
	shutdown(t, b)
	if n := b.Unauthenticated(); n != 0 {
		t.Fatalf("%d slots held after Shutdown", n)
	}
}

// TestGateRefusalReports: refusals are reported at most once per
// refusalReportEvery, each report counting those since the last.
func TestGateRefusalReports(t *testing.T) {
	g := NewGate(Config{MaxUnauthenticated: 1, MaxUnauthenticatedPerAddr: 1})
	addr := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1)}
	if _, err := g.admit(addr); err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	refuse := func() {
		if _, err := g.admit(addr); !errors.Is(err, ErrTooManyUnauthenticated) {
			t.Fatalf("got %v", err)
		}
	}
	refuse()
	if n, ok := g.report(t0); !ok || n != 1 {
		t.Fatalf("first refusal: report %d %v", n, ok)
	}
	for range 500 {
		refuse()
	}
	if _, ok := g.report(t0.Add(refusalReportEvery / 2)); ok {
		t.Fatal("reported twice within refusalReportEvery")
	}
	if n, ok := g.report(t0.Add(refusalReportEvery)); !ok || n != 500 {
		t.Fatalf("second report %d %v, want 500", n, ok)
	}
	if _, ok := g.report(t0.Add(3 * refusalReportEvery)); ok {
		t.Fatal("reported with nothing refused")
	}
}

// TestAddrKey: the per-address key is the IP, whatever the port or the
// IPv4-in-IPv6 form.
func TestAddrKey(t *testing.T) {
	a := addrKey(&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 1})
	b := addrKey(&net.UDPAddr{IP: net.ParseIP("192.0.2.1"), Port: 2})
	if a != b || a != "192.0.2.1" {
		t.Fatalf("keys %q %q", a, b)
	}
}
