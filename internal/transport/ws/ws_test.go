package ws

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func conformance(t *testing.T, secure bool) {
	transporttest.Run(t, func(t *testing.T, max uint32) transporttest.Pair {
		l := listen(t, secure, max)
		defer l.Close()
		client, server := pair(t, l)
		return transporttest.Pair{Client: client, Server: server, Truncate: func(f []byte, n int) error {
			// The whole message's header, then only n bytes of it.
			enc := client.appendFrame(nil, opBinary, f)
			_, err := client.nc.Write(enc[:len(enc)-len(f)+n])
			client.nc.Close()
			return err
		}, Partial: func(f []byte, n int) error {
			enc := client.appendFrame(nil, opBinary, f)
			_, err := client.nc.Write(enc[:len(enc)-len(f)+n])
			return err
		}}
	})
}

// TestConformanceWS and TestConformanceWSS run the transport suite.
func TestConformanceWS(t *testing.T)  { conformance(t, false) }
func TestConformanceWSS(t *testing.T) { conformance(t, true) }

func accept(t *testing.T, secure bool) {
	transporttest.RunAccept(t, func(t *testing.T) transporttest.Acceptor {
		l := listen(t, secure, 0)
		return transporttest.Acceptor{
			Listener: l,
			Dial: func(ctx context.Context) (transport.Conn, error) {
				return Dial(ctx, urlOf(l), clientTLS())
			},
			DialSilent: func(ctx context.Context) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", l.Addr().String())
			},
		}
	})
}

// TestAcceptWS and TestAcceptWSS: a silent peer's upgrade is bounded by the
// owner's deadline and never delays the next accept (S6).
func TestAcceptWS(t *testing.T)  { accept(t, false) }
func TestAcceptWSS(t *testing.T) { accept(t, true) }

// TestHandshakeSucceedsAndRequestReachesHandler is the seed's positive
// test: a client offering iggy.consensus.v1 is upgraded on the owner and its
// Request reaches the server-side handler.
func TestHandshakeSucceedsAndRequestReachesHandler(t *testing.T) {
	for _, secure := range []bool{false, true} {
		l := listen(t, secure, 0)
		seen := make(chan []byte, 1)
		hs := make(chan error, 1)
		s := serveEcho(t, l, func(b []byte) { seen <- append([]byte(nil), b...) }, hs)
		c, err := Dial(context.Background(), urlOf(l), clientTLS())
		if err != nil {
			s.Stop()
			t.Fatal(err)
		}
		if err := <-hs; err != nil {
			t.Fatalf("server handshake: %v", err)
		}
		client := wire.NewClientID(0, 1)
		if err := c.SendBatch([][]byte{request(client, 42)}); err != nil {
			t.Fatal(err)
		}
		got := <-seen
		var h wire.RequestHeader
		if err := h.Decode(got); err != nil || h.Client != client || h.Request != 42 {
			t.Fatalf("handler saw %+v, %v", h, err)
		}
		c.Close()
		s.Stop()
	}
}

// TestRoundTripRepliesVerified is the round trip the seed could not do:
// 500 requests in flight at once on one connection, every reply arrives,
// in order, echoing its request id (spec/bus.md §4).
func TestRoundTripRepliesVerified(t *testing.T) {
	for _, secure := range []bool{false, true} {
		l := listen(t, secure, 0)
		s := serveEcho(t, l, nil, nil)
		c, err := Dial(context.Background(), urlOf(l), clientTLS())
		if err != nil {
			s.Stop()
			t.Fatal(err)
		}
		const n = 500
		client := wire.NewClientID(3, 9)
		batch := make([][]byte, 0, n)
		for i := range uint64(n) {
			batch = append(batch, request(client, i+1))
		}
		if err := c.SendBatch(batch); err != nil {
			t.Fatal(err)
		}
		for i := range uint64(n) {
			f, err := c.ReadFrame()
			if err != nil {
				t.Fatalf("reply %d: %v", i, err)
			}
			var h wire.ReplyHeader
			if err := h.Decode(f.Bytes()); err != nil {
				t.Fatal(err)
			}
			if h.Request != i+1 || h.Client != client {
				t.Fatalf("reply %d: request %d client %v", i, h.Request, h.Client)
			}
			f.Release()
		}
		c.Close()
		s.Stop()
	}
}

// rawUpgrade sends an upgrade request as curl would (no WS library) with
// the given extra header lines and returns the response.
func rawUpgrade(t *testing.T, l *Listener, extra string) (*http.Response, string) {
	t.Helper()
	c := dialRaw(t, l)
	defer c.Close()
	req := "GET / HTTP/1.1\r\nHost: " + l.Addr().String() + "\r\n" +
		"User-Agent: curl/8.14.1\r\nAccept: */*\r\n" +
		"Connection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		extra + "\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestSubprotocolRejected covers the seed's two negative tests (missing
// and wrong subprotocol → HTTP 400) with a raw request as curl sends it:
// the 400's body names iggy.consensus.v1, and the owner's Handshake
// returns ErrSubprotocol.
func TestSubprotocolRejected(t *testing.T) {
	for name, extra := range map[string]string{
		"missing":       "",
		"wrong":         "Sec-WebSocket-Protocol: mqtt\r\n",
		"wrong-version": "Sec-WebSocket-Protocol: iggy.consensus.v2\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			l := listen(t, false, 0)
			hs := make(chan error, 1)
			s := serveEcho(t, l, nil, hs)
			defer s.Stop()
			resp, body := rawUpgrade(t, l, extra)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			if !strings.Contains(body, Subprotocol) {
				t.Fatalf("400 body %q does not name %s", body, Subprotocol)
			}
			if err := <-hs; !errors.Is(err, ErrSubprotocol) {
				t.Fatalf("owner's handshake: %v, want ErrSubprotocol", err)
			}
		})
	}
}

// TestSubprotocolEchoed: with the header, a raw request gets 101 and the
// value echoed.
func TestSubprotocolEchoed(t *testing.T) {
	l := listen(t, false, 0)
	hs := make(chan error, 1)
	s := serveEcho(t, l, nil, hs)
	defer s.Stop()
	resp, _ := rawUpgrade(t, l, "Sec-WebSocket-Protocol: "+Subprotocol+"\r\n")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != Subprotocol {
		t.Fatalf("echoed %q, want %q", got, Subprotocol)
	}
	if err := <-hs; err != nil {
		t.Fatal(err)
	}
}

// TestDialRejectedWithoutEcho: the client side refuses a server that does
// not echo the subprotocol (here: answers 400).
func TestDialRejectedWithoutEcho(t *testing.T) {
	l := listen(t, false, 0)
	hs := make(chan error, 1)
	s := serveEcho(t, l, nil, hs)
	defer s.Stop()
	u := urlOf(l)
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// A gobwas dialer offering another protocol gets the 400.
	c, err := dialWith(nc, u, "other")
	if err == nil {
		c.Close()
		t.Fatal("dial with the wrong subprotocol succeeded")
	}
	if err := <-hs; !errors.Is(err, ErrSubprotocol) {
		t.Fatalf("owner's handshake: %v", err)
	}
}

// TestFrameRightAfterUpgrade: a frame the client pipelines behind its
// upgrade request is not lost in the upgrader's buffer.
func TestFrameRightAfterUpgrade(t *testing.T) {
	l := listen(t, false, 0)
	c := dialRaw(t, l)
	defer c.Close()
	req := request(wire.NewClientID(0, 5), 77)
	up := "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Protocol: " + Subprotocol + "\r\n\r\n"
	cl := &Conn{client: true}
	msg := append([]byte(up), cl.appendFrame(nil, opBinary, req)...)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, err := p.Handshake(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	f, err := server.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if binary.LittleEndian.Uint64(f.Bytes()[168:]) != 77 {
		t.Fatal("wrong frame after upgrade")
	}
	l.Close()
}
