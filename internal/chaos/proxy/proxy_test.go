package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRefusesNonLoopback(t *testing.T) {
	for _, cfg := range []Config{
		{Listen: "127.0.0.1:0", Target: "10.0.0.1:80"},
		{Listen: "127.0.0.1:0", Target: "example.com:80"},
		{Listen: "127.0.0.1:0", Target: "[2001:db8::1]:80"},
		{Listen: ":0", Target: "127.0.0.1:80"},
		{Listen: "0.0.0.0:0", Target: "127.0.0.1:80"},
	} {
		if p, err := New(cfg); !errors.Is(err, ErrNotLoopback) {
			if p != nil {
				p.Close()
			}
			t.Errorf("New(%+v) = %v, want ErrNotLoopback", cfg, err)
		}
	}
	if _, err := New(Config{Listen: "127.0.0.1", Target: "127.0.0.1:80"}); err == nil || errors.Is(err, ErrNotLoopback) {
		t.Errorf("missing port: %v", err)
	}
	// localhost is accepted and pinned to 127.0.0.1 without a lookup.
	s := listen(t)
	p := start(t, "localhost:"+s.addr()[strings.LastIndex(s.addr(), ":")+1:], nil)
	if !strings.HasPrefix(p.Target(), "127.0.0.1:") {
		t.Fatalf("target %s", p.Target())
	}
	pair(t, p, s)
}

func TestPassForwardsBothWaysAndHalfClose(t *testing.T) {
	s := listen(t)
	ev := newEvents()
	p := start(t, s.addr(), ev)
	client, srv := pair(t, p, s)

	// Client half-closes: the server reads its last bytes then EOF, and
	// can still answer.
	send(t, client, "bye")
	if err := client.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(srv); err != nil || string(b) != "bye" {
		t.Fatalf("server read %q, %v", b, err)
	}
	send(t, srv, "last")
	srv.Close()
	if b, err := io.ReadAll(client); err != nil || string(b) != "last" {
		t.Fatalf("client read %q, %v", b, err)
	}
	if e := ev.next(t, kind(Closed, Up)); e.Err != nil {
		t.Fatalf("clean finish closed with %v", e.Err)
	}
}

func TestDropClosesExistingAndNewConnections(t *testing.T) {
	s := listen(t)
	ev := newEvents()
	p := start(t, s.addr(), ev)
	client, srv := pair(t, p, s)

	if err := p.SetFault(Fault{Mode: Drop}); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, client) // both ends of the existing connection see it end
	expectClosed(t, srv)
	ev.next(t, kind(Closed, Up))

	// A new connection is accepted and closed before the target is dialed.
	late := dial(t, p.Addr())
	ev.next(t, kind(Refused, Up))
	expectClosed(t, late)

	// After Pass, the next connection the server accepts is a new one
	// carrying new bytes: the refused one never reached it.
	if err := p.SetFault(Fault{}); err != nil {
		t.Fatal(err)
	}
	pair(t, p, s)
}

func TestDropInOneDirectionDropsTheConnection(t *testing.T) {
	s := listen(t)
	p := start(t, s.addr(), nil)
	client, srv := pair(t, p, s)
	if err := p.SetFaults(Fault{}, Fault{Mode: Drop}); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, client)
	expectClosed(t, srv)
}

func TestBlackholeOneDirection(t *testing.T) {
	s := listen(t)
	ev := newEvents()
	p := start(t, s.addr(), ev)
	client, srv := pair(t, p, s)

	if err := p.SetFaults(Fault{Mode: Blackhole}, Fault{}); err != nil {
		t.Fatal(err)
	}
	// The client's write succeeds and is read by the proxy, then dropped.
	send(t, client, "lost")
	if e := ev.next(t, kind(Discarded, Up)); e.N != 4 {
		t.Fatalf("discarded %d bytes, want 4", e.N)
	}
	// The other direction still flows.
	send(t, srv, "still here")
	expect(t, client, "still here")

	// Leaving Blackhole closes the connection with the hole: both ends
	// see it end, and the server never got the lost bytes.
	if err := p.SetFault(Fault{}); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, srv)
	expectClosed(t, client)
	if e := ev.next(t, kind(Closed, Up)); !errors.Is(e.Err, errDropped) && !errors.Is(e.Err, errHealed) {
		t.Fatalf("closed with %v", e.Err)
	}
	pair(t, p, s) // new connections pass
}

func TestBlackholeNewConnectionAndFIN(t *testing.T) {
	s := listen(t)
	ev := newEvents()
	p := start(t, s.addr(), ev)
	if err := p.SetFault(Fault{Mode: Blackhole}); err != nil {
		t.Fatal(err)
	}
	client := dial(t, p.Addr())
	srv := s.accept(t) // the connection exists; nothing crosses it
	send(t, client, "a")
	ev.next(t, kind(Discarded, Up))
	send(t, srv, "b")
	ev.next(t, kind(Discarded, Down))
	// The client's FIN is swallowed too.
	if err := client.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if e := ev.next(t, kind(Discarded, Up)); e.N != 0 {
		t.Fatalf("want the FIN (N=0), got %+v", e)
	}
	// Until the heal, which closes it at both ends with nothing delivered.
	if err := p.SetFault(Fault{}); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, srv)
	expectClosed(t, client)
}

// A blackhole that saw no byte leaves no hole: the connection survives the
// heal.
func TestBlackholeWithoutTrafficKeepsConnection(t *testing.T) {
	s := listen(t)
	p := start(t, s.addr(), nil)
	client, srv := pair(t, p, s)
	if err := p.SetFault(Fault{Mode: Blackhole}); err != nil {
		t.Fatal(err)
	}
	if err := p.SetFault(Fault{}); err != nil {
		t.Fatal(err)
	}
	send(t, client, "x")
	expect(t, srv, "x")
}

// stream writes n numbered lines to w, each in its own Write.
func stream(w io.Writer, prefix string, n int) error {
	for i := range n {
		if _, err := fmt.Fprintf(w, "%s%05d\n", prefix, i); err != nil {
			return err
		}
	}
	return nil
}

func want(prefix string, n int) string {
	var b bytes.Buffer
	_ = stream(&b, prefix, n)
	return b.String()
}

func TestDelayDeliversEverythingInOrder(t *testing.T) {
	s := listen(t)
	p := start(t, s.addr(), nil)
	client, srv := pair(t, p, s)
	if err := p.SetFault(Fault{Mode: Delay, Fixed: 100 * time.Microsecond, Jitter: 2 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	const n = 300
	errs := make(chan error, 2)
	go func() { errs <- stream(client, "up", n) }()
	go func() { errs <- stream(srv, "down", n) }()
	expect(t, srv, want("up", n))
	expect(t, client, want("down", n))
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Switching between Pass and Delay while bytes flow never reorders them:
// a Pass chunk waits behind the Delay chunks read before it.
func TestFaultChangesKeepOrder(t *testing.T) {
	s := listen(t)
	p := start(t, s.addr(), nil)
	client, srv := pair(t, p, s)
	const n = 2000
	errs := make(chan error, 1)
	go func() { errs <- stream(client, "m", n) }()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		faults := []Fault{{Mode: Delay, Fixed: time.Millisecond, Jitter: time.Millisecond}, {}}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := p.SetFault(faults[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	expect(t, srv, want("m", n))
	close(stop)
	wg.Wait()
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

func TestDialFailureClosesClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	ev := newEvents()
	p := start(t, dead, ev)
	c := dial(t, p.Addr())
	expectClosed(t, c)
	if e := ev.next(t, kind(Closed, Up)); e.Err == nil || !strings.Contains(e.Err.Error(), "dial") {
		t.Fatalf("closed with %v, want a dial error", e.Err)
	}
}

// Close returns with links in every state, including a chunk queued for an
// hour, and stops every goroutine (TestMain's goleak check).
func TestCloseStopsEveryLink(t *testing.T) {
	s := listen(t)
	ev := newEvents()
	p := start(t, s.addr(), ev)
	c1, s1 := pair(t, p, s)
	c2, s2 := pair(t, p, s)
	if err := p.SetFaults(Fault{Mode: Delay, Fixed: time.Hour}, Fault{Mode: Blackhole}); err != nil {
		t.Fatal(err)
	}
	send(t, c1, "queued for an hour")
	send(t, s2, "blackholed")
	ev.next(t, kind(Discarded, Down))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []net.Conn{c1, s1, c2, s2} {
		expectClosed(t, c)
	}
	if err := p.SetFault(Fault{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetFault after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		c.Close()
		t.Fatal("closed proxy still accepts")
	}
}

func TestBadFault(t *testing.T) {
	s := listen(t)
	p := start(t, s.addr(), nil)
	for _, f := range []Fault{{Mode: Delay, Fixed: -1}, {Mode: Delay, Jitter: -1}, {Mode: 9}} {
		if err := p.SetFault(f); !errors.Is(err, ErrBadFault) {
			t.Errorf("SetFault(%v) = %v", f, err)
		}
	}
	if up, down := p.Faults(); up != (Fault{}) || down != (Fault{}) {
		t.Fatalf("a rejected fault changed the proxy: %v %v", up, down)
	}
}
