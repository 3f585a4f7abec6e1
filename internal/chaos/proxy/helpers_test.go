package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// failsafe bounds every blocking socket call and event wait of a test so that a bug fails
// the test instead of hanging it. It never synchronises anything.
const failsafe = 60 * time.Second

// server is a loopback listener whose accepted connections arrive on conns.
type server struct {
	ln    net.Listener
	conns chan net.Conn
	wg    sync.WaitGroup
}

func listen(t *testing.T) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln, conns: make(chan net.Conn, 64)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(failsafe))
			s.conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
		close(s.conns)
		for c := range s.conns {
			c.Close()
		}
	})
	return s
}

func (s *server) addr() string { return s.ln.Addr().String() }

// accept returns the next connection the server accepted.
func (s *server) accept(t *testing.T) net.Conn {
	t.Helper()
	c := <-s.conns
	t.Cleanup(func() { c.Close() })
	return c
}

// events collects a proxy's events.
type events chan Event

func newEvents() events { return make(events, 4096) }

func (e events) observe(ev Event) { e <- ev }

// next skips events until one matches and returns it.
func (e events) next(t *testing.T, match func(Event) bool) Event {
	t.Helper()
	deadline := time.NewTimer(failsafe)
	defer deadline.Stop()
	for {
		select {
		case ev := <-e:
			if match(ev) {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("no matching event after %v", failsafe)
			return Event{}
		}
	}
}

func kind(k EventKind, d Dir) func(Event) bool {
	return func(e Event) bool { return e.Kind == k && (k != Forwarded && k != Discarded || e.Dir == d) }
}

func start(t *testing.T, target string, ev events) *Proxy {
	t.Helper()
	cfg := Config{Listen: "127.0.0.1:0", Target: target, Seed: 1}
	if ev != nil {
		cfg.Observe = ev.observe
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(failsafe))
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

func expect(t *testing.T, c net.Conn, want string) {
	t.Helper()
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != want {
		t.Fatalf("read %q, %v; want %q", buf, err, want)
	}
}

// expectClosed reads c to its end and requires that it ends (FIN or reset,
// not the failsafe deadline) with no byte received.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", failsafe)
	}
	if len(b) != 0 {
		t.Fatalf("received %q before the close", b)
	}
}

// pair dials through p and returns both ends after one round trip, so the
// link is established and in Pass.
func pair(t *testing.T, p *Proxy, s *server) (client, srv net.Conn) {
	t.Helper()
	client = dial(t, p.Addr())
	send(t, client, "ping")
	srv = s.accept(t)
	expect(t, srv, "ping")
	send(t, srv, "pong")
	expect(t, client, "pong")
	return client, srv
}
