package client

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// peer is a scripted server on a real socket: it reads each request frame
// and answers with what handle returns. It records every request header so
// tests can check the client's numbering. It exists to test the client's
// side of the protocol; the server's behaviour is tested against the real
// server.
type peer struct {
	t      *testing.T
	l      net.Listener
	handle func(n int, h *wire.RequestHeader, body []byte) [][]byte
	wg     sync.WaitGroup

	arrived chan int // the number of each request as it arrives

	mu    sync.Mutex
	seen  []wire.RequestHeader
	conns []net.Conn
}

func newPeer(t *testing.T, handle func(n int, h *wire.RequestHeader, body []byte) [][]byte) *peer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, l: l, handle: handle, arrived: make(chan int, 1024)}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(p.close)
	return p
}

func (p *peer) addr() string { return p.l.Addr().String() }

func (p *peer) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *peer) serve(c net.Conn) {
	defer p.wg.Done()
	defer c.Close()
	r := wire.NewReader(c, 0)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return
		}
		var h wire.RequestHeader
		if err := h.Decode(f.Bytes()); err != nil {
			p.t.Errorf("client sent an invalid request: %v", err)
			return
		}
		body := append([]byte(nil), f.Body()...)
		f.Release()
		p.mu.Lock()
		p.seen = append(p.seen, h)
		n := len(p.seen)
		p.mu.Unlock()
		p.arrived <- n
		for _, out := range p.handle(n, &h, body) {
			if out == nil {
				return // hang up
			}
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

func (p *peer) close() {
	p.l.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *peer) requests() []wire.RequestHeader {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]wire.RequestHeader(nil), p.seen...)
}

func reply(h *wire.RequestHeader, status wire.Status, body []byte) []byte {
	var rh wire.ReplyHeader
	rh.ReplyTo(h, len(body))
	rh.Status = status
	if status != wire.StatusOK {
		body, rh.Size = nil, wire.HeaderSize
	}
	b := make([]byte, int(rh.Size))
	rh.Put(b)
	copy(b[wire.HeaderSize:], body)
	return b
}

func loginOK(session wire.Epoch) []byte {
	return (&wire.LoginReply{UserID: 0, Session: session, ServerProtocolVersion: wire.CurrentProtocolVersion,
		ServerVersion: []byte("test")}).Append(wire.AppendResultOK(nil))
}

func eviction(h *wire.RequestHeader, r wire.EvictionReason) []byte {
	b := make([]byte, wire.HeaderSize)
	e := wire.EvictionHeader{Client: h.Client, Reason: r}
	if r == wire.EvictIncompatibleProtocol {
		e.ServerProtocolVersion, e.ServerProtocolVersionMin = wire.CurrentProtocolVersion, wire.MinProtocolVersion
	}
	e.Put(b)
	return b
}

// oneNode is the cluster metadata of a standalone server.
var oneNode = (&wire.ClusterMetadata{Name: "single-node", Nodes: []wire.ClusterNode{
	{Name: "iggy-node", IP: "127.0.0.1", TCP: 8090, Role: wire.RoleLeader, Status: wire.NodeHealthy}}}).Append(nil)

// server answers like a well-behaved standalone server: logins succeed with
// session 5, the cluster has one node, result-framed operations get an
// empty result section.
func server(n int, h *wire.RequestHeader, body []byte) [][]byte {
	switch {
	case h.Operation == wire.OpRegister:
		return [][]byte{reply(h, 0, loginOK(5))}
	case h.Operation == wire.OpNonReplicated && h.Code == wire.CodeClusterMetadata:
		return [][]byte{reply(h, 0, oneNode)}
	case h.Operation == wire.OpSendMessages:
		return [][]byte{reply(h, 0, wire.AppendSendConfirmations(nil, wire.SendConfirmation{}))}
	case h.Operation.IsResultFramed():
		return [][]byte{reply(h, 0, wire.AppendResultOK(nil))}
	}
	return [][]byte{reply(h, 0, nil)}
}

func dial(t *testing.T, p *peer, opts ...Option) *Client {
	t.Helper()
	c, err := Dial(context.Background(), p.addr(), append([]Option{WithHeartbeat(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wire.md §2.4: Register uses request 0 and session 0; NonReplicated and
// partition operations reuse the current id; metadata operations consume it.
// A login is followed by the leader check, a GetClusterMetadata (§2.3).
func TestRequestNumbering(t *testing.T) {
	p := newPeer(t, server)
	c := dial(t, p)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		op   wire.Operation
		code uint32
	}{
		{wire.OpNonReplicated, CodeClusterMetadata},
		{wire.OpCreateStream, 0},
		{wire.OpCreateTopic, 0},
		{wire.OpSendMessages, 0},
		{wire.OpStoreConsumerOffset, 0},
		{wire.OpNonReplicated, CodePing},
		{wire.OpDeleteStream, 0},
	}
	for _, s := range steps {
		if _, err := c.Request(ctx, s.op, s.code, []byte{1}); err != nil {
			t.Fatalf("%v: %v", s.op, err)
		}
	}
	want := []struct {
		op               wire.Operation
		request, session uint64
		code             wire.Code
	}{
		{wire.OpNonReplicated, 1, 0, wire.CodePing},
		{wire.OpRegister, 0, 0, 0},
		{wire.OpNonReplicated, 1, 5, wire.CodeClusterMetadata}, // the leader check
		{wire.OpNonReplicated, 1, 5, wire.CodeClusterMetadata},
		{wire.OpCreateStream, 1, 5, 0},
		{wire.OpCreateTopic, 2, 5, 0},
		{wire.OpSendMessages, 3, 5, 0},
		{wire.OpStoreConsumerOffset, 3, 5, 0},
		{wire.OpNonReplicated, 3, 5, wire.CodePing},
		{wire.OpDeleteStream, 3, 5, 0},
	}
	got := p.requests()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Operation != w.op || g.Request != w.request || g.Session != w.session || g.Code != w.code || g.Client != got[0].Client {
			t.Errorf("request %d: %v req %d session %d code %d, want %v req %d session %d code %d",
				i, g.Operation, g.Request, g.Session, g.Code, w.op, w.request, w.session, w.code)
		}
	}
}

func TestReplicatedBeforeLoginSendsNothing(t *testing.T) {
	p := newPeer(t, server)
	c := dial(t, p)
	if _, err := c.Request(context.Background(), wire.OpCreateStream, 0, []byte{1}); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("got %v", err)
	}
	if n := len(p.requests()); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
}

func TestStatusErrors(t *testing.T) {
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		switch h.Operation {
		case wire.OpRegister:
			return [][]byte{reply(h, 0, loginOK(5))}
		case wire.OpCreateStream: // committed business rejection in the result section
			return [][]byte{reply(h, 0, wire.AppendResultError(nil, wire.StatusStreamNameAlreadyExists))}
		}
		return [][]byte{reply(h, wire.StatusUnauthenticated, nil)}
	})
	c := dial(t, p)
	ctx := context.Background()
	if _, err := c.ClusterMetadata(ctx); !errors.Is(err, &StatusError{Status: wire.StatusUnauthenticated}) {
		t.Fatalf("status 40: %v", err)
	}
	if _, err := c.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Request(ctx, wire.OpCreateStream, 0, []byte{2, 's', '1'}); !errors.Is(err, &StatusError{Status: wire.StatusStreamNameAlreadyExists}) {
		t.Fatalf("result section error: %v", err)
	}
}

// An eviction ends the session and closes the socket; the next call dials
// again under a fresh client id and logs in again.
func TestEvictionReconnectsWithFreshIdentity(t *testing.T) {
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		if n == 4 { // requests: login, leader check, ping, this ping
			return [][]byte{eviction(h, wire.EvictStaleClient)}
		}
		return server(n, h, body)
	})
	c := dial(t, p, WithCredentials("iggy", "iggy"))
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	first := c.ID()
	if first.IsZero() || first.String() != p.requests()[2].Client.String() {
		t.Fatalf("ID %v, the ping carried %v", first, p.requests()[2].Client)
	}
	if err := c.Ping(ctx); !errors.Is(err, &EvictionError{Reason: wire.EvictStaleClient}) {
		t.Fatalf("got %v", err)
	}
	if c.LoggedIn() {
		t.Fatal("session survived the eviction")
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if c.ID() == first || !c.LoggedIn() {
		t.Fatal("reconnect did not take a fresh identity and log in")
	}
	got := p.requests()
	if len(got) != 7 || got[2].Client != first.id || got[4].Operation != wire.OpRegister || got[4].Client == first.id ||
		got[5].Code != wire.CodeClusterMetadata {
		t.Fatalf("requests after eviction: %+v", got)
	}
}

func TestIncompatibleProtocolEviction(t *testing.T) {
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		return [][]byte{eviction(h, wire.EvictIncompatibleProtocol)}
	})
	_, err := Dial(context.Background(), p.addr(), WithHeartbeat(0), WithCredentials("iggy", "iggy"),
		WithProtocolVersion(wire.PackVersion(0, 12, 0)))
	var ev *EvictionError
	if !errors.As(err, &ev) || ev.Reason != wire.EvictIncompatibleProtocol || ev.MaxVersion != wire.CurrentProtocolVersion {
		t.Fatalf("got %v", err)
	}
}

func TestReplyToAnotherRequestIsAProtocolError(t *testing.T) {
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		other := *h
		other.Request++
		return [][]byte{reply(&other, 0, nil)}
	})
	c := dial(t, p, WithReconnect(false))
	if err := c.Ping(context.Background()); !errors.Is(err, ErrProtocol) {
		t.Fatalf("got %v", err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("after a protocol error: %v", err)
	}
}

func TestServerHangUp(t *testing.T) {
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte { return [][]byte{nil} })
	c := dial(t, p, WithReconnect(false))
	err := c.Ping(context.Background())
	if !errors.Is(err, ErrDisconnected) || !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want ErrDisconnected caused by io.EOF", err)
	}
}

// A call whose context ends closes the connection: a late reply could not
// be matched any more.
func TestContextCancelDropsConnection(t *testing.T) {
	release := make(chan struct{})
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		if n == 1 {
			<-release
		}
		return [][]byte{reply(h, 0, nil)}
	})
	defer close(release)
	c := dial(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Ping(ctx) }()
	<-p.arrived // the request reached the server
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("reconnect: %v", err)
	}
}

func TestTransientStatusIsReplayed(t *testing.T) {
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		if n <= 2 {
			return [][]byte{reply(h, wire.StatusTransientNotCommitted, nil)}
		}
		return server(n, h, body)
	})
	c := dial(t, p)
	if _, err := c.Login(context.Background(), "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	got := p.requests()
	if len(got) != 4 || got[0].Client != got[2].Client || got[2].Operation != wire.OpRegister || got[3].Code != wire.CodeClusterMetadata {
		t.Fatalf("replays: %+v", got)
	}
}

func TestCloseEndsWaitingCall(t *testing.T) {
	release := make(chan struct{})
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		<-release
		return nil
	})
	defer close(release)
	c, err := Dial(context.Background(), p.addr(), WithHeartbeat(0))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Ping(context.Background()) }()
	<-p.arrived
	c.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v", err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}
