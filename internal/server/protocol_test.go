package server

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// rawConn speaks frames directly, to check protocol details the client
// hides.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	r  *wire.Reader
	id wire.ClientID
}

func (ts *testServer) raw() *rawConn {
	ts.t.Helper()
	c, err := net.Dial("tcp", ts.Addr("tcp").String())
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { c.Close() })
	return &rawConn{t: ts.t, c: c, r: wire.NewReader(c, 0), id: wire.ClientID{Lo: 0xabc, Hi: 0x77}}
}

func (rc *rawConn) send(h wire.RequestHeader, body []byte) {
	rc.t.Helper()
	if h.Client.IsZero() {
		h.Client = rc.id
	}
	b := make([]byte, wire.HeaderSize+len(body))
	h.Size = uint32(len(b))
	h.Put(b)
	copy(b[wire.HeaderSize:], body)
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatal(err)
	}
}

// next reads the next frame; a test that expects one fails rather than
// hanging if the server never answers.
func (rc *rawConn) next() *wire.Frame {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := rc.r.ReadFrame()
	if err != nil {
		rc.t.Fatalf("read: %v", err)
	}
	return f
}

func (rc *rawConn) reply() (wire.ReplyHeader, []byte) {
	rc.t.Helper()
	f := rc.next()
	defer f.Release()
	var h wire.ReplyHeader
	if err := h.Decode(f.Bytes()); err != nil {
		rc.t.Fatalf("expected a reply, got %v: %v", f.Command(), err)
	}
	return h, append([]byte(nil), f.Body()...)
}

func (rc *rawConn) eviction() wire.EvictionHeader {
	rc.t.Helper()
	f := rc.next()
	defer f.Release()
	var h wire.EvictionHeader
	if err := h.Decode(f.Bytes()); err != nil {
		rc.t.Fatalf("expected an eviction, got %v: %v", f.Command(), err)
	}
	return h
}

func (rc *rawConn) login(user, pass string) wire.Epoch {
	rc.t.Helper()
	body := (&wire.LoginPassword{Version: wire.ClientVersionInfo{Protocol: wire.CurrentProtocolVersion,
		SDKName: []byte("raw"), SDKVersion: []byte("1")}, Username: []byte(user), Password: []byte(pass)}).Append(nil)
	rc.send(wire.RequestHeader{Operation: wire.OpRegister}, body)
	h, b := rc.reply()
	payload, st, err := wire.SplitResult(b)
	var lr wire.LoginReply
	if h.Status != 0 || st != 0 || err != nil || lr.Decode(payload) != nil || lr.Session == 0 {
		rc.t.Fatalf("login: status %v/%v %v", h.Status, st, err)
	}
	if h.Op != wire.Op(lr.Session) || h.Operation != wire.OpRegister || h.Request != 0 {
		rc.t.Fatalf("login reply header %+v", h)
	}
	return lr.Session
}

func createUserBody(name, pass string) []byte {
	b := append([]byte{byte(len(name))}, name...)
	b = append(b, byte(len(pass)))
	b = append(b, pass...)
	return append(b, 1, 0) // active, no permissions
}

// wire.md §2.4: a retried replicated request gets the cached reply; an
// older one gets RequestAlreadyApplied.
func TestRetriedRequestGetsCachedReply(t *testing.T) {
	ts := startServer(t, "")
	rc := ts.raw()
	epoch := rc.login("iggy", "iggy")
	req := wire.RequestHeader{Operation: wire.OpCreateUser, Request: 1, Session: uint64(epoch)}
	rc.send(req, createUserBody("alice", "secret1"))
	h1, b1 := rc.reply()
	if h1.Status != 0 || h1.Request != 1 || h1.Operation != wire.OpCreateUser {
		t.Fatalf("create: %+v", h1)
	}
	payload, st, err := wire.SplitResult(b1)
	if err != nil || st != 0 || !strings.Contains(string(payload), "alice") {
		t.Fatalf("create body %x %v %v", b1, st, err)
	}
	// The same request again: the cached reply, byte for byte, and no
	// second user (a second CreateUser of alice would be rejected).
	rc.send(req, createUserBody("alice", "secret1"))
	h2, b2 := rc.reply()
	if h2 != h1 || string(b2) != string(b1) {
		t.Fatalf("retry got %+v %x, want the cached reply", h2, b2)
	}
	// A newer request is new: alice exists now.
	req.Request = 2
	rc.send(req, createUserBody("alice", "secret1"))
	h3, b3 := rc.reply()
	if _, st, _ := wire.SplitResult(b3); h3.Status != wire.StatusUserAlreadyExists && st != wire.StatusUserAlreadyExists {
		t.Fatalf("duplicate create: %+v %x", h3, b3)
	}
	// An older request than the watermark whose reply is gone.
	req.Request = 1
	rc.send(req, createUserBody("bob", "secret1"))
	if h4, _ := rc.reply(); h4.Status != wire.StatusRequestAlreadyApplied {
		t.Fatalf("stale request: %+v", h4)
	}
}

func TestSessionRules(t *testing.T) {
	ts := startServer(t, "")
	rc := ts.raw()
	// A replicated operation on an unbound connection: Eviction NoSession.
	rc.send(wire.RequestHeader{Operation: wire.OpCreateStream, Request: 1, Session: 1}, []byte{1, 's'})
	if e := rc.eviction(); e.Reason != wire.EvictNoSession || e.Client != rc.id {
		t.Fatalf("unbound replicated op: %+v", e)
	}
	// Session-control codes on the raw path: Eviction MalformedLogin.
	rc.send(wire.RequestHeader{Operation: wire.OpNonReplicated, Request: 1, Code: 38}, nil)
	if e := rc.eviction(); e.Reason != wire.EvictMalformedLogin {
		t.Fatalf("code 38: %+v", e)
	}
	epoch := rc.login("iggy", "iggy")
	// Unknown read code: status 3. A replicated code sent as a read: 5.
	rc.send(wire.RequestHeader{Operation: wire.OpNonReplicated, Request: 1, Session: uint64(epoch), Code: 60000}, nil)
	if h, _ := rc.reply(); h.Status != wire.StatusInvalidCommand || h.Request != 1 {
		t.Fatalf("unknown code: %+v", h)
	}
	rc.send(wire.RequestHeader{Operation: wire.OpNonReplicated, Request: 1, Session: uint64(epoch), Code: 202}, nil)
	if h, _ := rc.reply(); h.Status != wire.StatusFeatureUnavailable {
		t.Fatalf("replicated code as a read: %+v", h)
	}
	// A stamped request checksum that does not match: status 4.
	bad := wire.RequestHeader{Operation: wire.OpNonReplicated, Request: 1, Session: uint64(epoch), Code: 1,
		RequestChecksum: wire.Uint128{Lo: 1}}
	rc.send(bad, []byte{1, 2, 3})
	if h, _ := rc.reply(); h.Status != wire.StatusInvalidFormat {
		t.Fatalf("bad request checksum: %+v", h)
	}
	// A session below the bound one: Eviction SessionTooLow.
	rc.send(wire.RequestHeader{Operation: wire.OpCreateUser, Request: 1, Session: uint64(epoch) - 1}, createUserBody("carol", "secret"))
	if e := rc.eviction(); e.Reason != wire.EvictSessionTooLow {
		t.Fatalf("stale session: %+v", e)
	}
}

// An invalid request header closes the connection (S11: with a logged
// cause), where Iggy would drop the frame silently.
func TestInvalidRequestClosesConnection(t *testing.T) {
	ts := startServer(t, "")
	rc := ts.raw()
	rc.send(wire.RequestHeader{Operation: 99, Request: 1}, nil) // undefined operation
	rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := rc.r.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want the connection closed", err)
	}
}

// Users and the root password survive a restart; sessions do not.
func TestRestartKeepsUsers(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	rc := ts.raw()
	epoch := rc.login("iggy", "iggy")
	rc.send(wire.RequestHeader{Operation: wire.OpCreateUser, Request: 1, Session: uint64(epoch)}, createUserBody("alice", "secret1"))
	if h, _ := rc.reply(); h.Status != 0 {
		t.Fatalf("create: %+v", h)
	}
	rc.c.Close()
	ts.stop()

	ts2 := startServer(t, dir, func(o *Options) { o.Root = RootCredentials{Username: "iggy", Password: "changed"} })
	c := ts2.dial()
	if _, err := c.Login(context.Background(), "alice", "secret1"); err != nil {
		t.Fatalf("alice after restart: %v", err)
	}
	c2 := ts2.dial(client.WithReconnect(false))
	if _, err := c2.Login(context.Background(), "iggy", "iggy"); err != nil {
		t.Fatalf("root keeps its first password: %v", err)
	}
}

func TestSystemReads(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	other := ts.dial() // connected, not logged in
	if err := other.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	me, err := c.Request(ctx, wire.OpNonReplicated, client.CodeMe, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := wire.DecodeClientInfo(me, true)
	if err != nil || info.UserID != 0 || info.Transport != wire.ClientTransportTCP || !strings.HasPrefix(info.Address, "127.0.0.1:") {
		t.Fatalf("me %+v %v", info, err)
	}
	all, err := c.Request(ctx, wire.OpNonReplicated, client.CodeClients, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for off := 0; off < len(all); n++ {
		_, k, err := wire.DecodeClientInfo(all[off:], false)
		if err != nil {
			t.Fatal(err)
		}
		off += k
	}
	if n != 2 {
		t.Fatalf("%d clients, want 2", n)
	}
	one, err := c.Request(ctx, wire.OpNonReplicated, client.CodeClient, binary.LittleEndian.AppendUint32(nil, info.ID))
	if got, _, err2 := wire.DecodeClientInfo(one, true); err != nil || err2 != nil || got.ID != info.ID {
		t.Fatalf("client %d: %v %v", info.ID, err, err2)
	}
	st, err := c.Request(ctx, wire.OpNonReplicated, client.CodeStats, nil)
	var stats wire.Stats
	if err != nil || stats.Decode(st) != nil || stats.ClientsCount != 2 || stats.ServerVersion != Version || stats.ProcessID == 0 {
		t.Fatalf("stats %+v %v", stats, err)
	}
}

func TestHTTPEndpoints(t *testing.T) {
	ts := startServer(t, "")
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := "http://" + ts.Addr("http").String()
	for path, want := range map[string]string{"/health": `"status":"healthy"`, "/metrics": `shoal_requests_total{operation="Register"} 1`} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("%s: %d %q does not contain %q", path, resp.StatusCode, b, want)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

// A connection silent for longer than 1.2 × heartbeat is evicted
// (StaleClient) and closed.
func TestIdleSessionIsEvicted(t *testing.T) {
	ts := startServer(t, "", func(o *Options) { o.Heartbeat = 50 * time.Millisecond })
	rc := ts.raw()
	rc.login("iggy", "iggy")
	// Waiting on the eviction frame itself, not on a timer.
	if e := rc.eviction(); e.Reason != wire.EvictStaleClient {
		t.Fatalf("got %+v", e)
	}
	rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := rc.r.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("after eviction: %v, want the connection closed", err)
	}
}

// A guesser is refused once an address has failed too often (issue 15):
// the fifth bad password starts a back-off, and the next login from that
// address is answered TransientNotAccepted before any password work, even
// with the right password.
func TestLoginBackoff(t *testing.T) {
	ts := startServer(t, "")
	for i := range 5 {
		rc := ts.raw()
		body := (&wire.LoginPassword{Version: wire.ClientVersionInfo{Protocol: wire.CurrentProtocolVersion,
			SDKName: []byte("raw"), SDKVersion: []byte("1")}, Username: []byte("iggy"), Password: []byte("guess")}).Append(nil)
		rc.send(wire.RequestHeader{Operation: wire.OpRegister}, body)
		if e := rc.eviction(); e.Reason != wire.EvictInvalidCredentials {
			t.Fatalf("guess %d: %v", i, e.Reason)
		}
	}
	rc := ts.raw()
	body := (&wire.LoginPassword{Version: wire.ClientVersionInfo{Protocol: wire.CurrentProtocolVersion,
		SDKName: []byte("raw"), SDKVersion: []byte("1")}, Username: []byte("iggy"), Password: []byte("iggy")}).Append(nil)
	rc.send(wire.RequestHeader{Operation: wire.OpRegister}, body)
	if h, _ := rc.reply(); h.Status != wire.StatusTransientNotAccepted {
		t.Fatalf("login during the back-off: %v, want TransientNotAccepted", h.Status)
	}
}
