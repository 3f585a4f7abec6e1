package quicconn

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testCert = func() tls.Certificate {
	c, err := tlsconn.SelfSigned()
	if err != nil {
		panic(err)
	}
	return c
}()

func listen(t testing.TB, max uint32, qc *quic.Config) *Listener {
	t.Helper()
	l, err := Listen(context.Background(), "127.0.0.1:0", Config{
		TLS: tlsconn.NewServerConfig(testCert), QUIC: qc, MaxFrameSize: max,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func pair(t testing.TB, l *Listener) (*Conn, *serverConn) {
	t.Helper()
	client, err := Dial(context.Background(), l.Addr().String(), tlsconn.ClientConfig(testCert))
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Accept()
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	server, err := p.Handshake(context.Background())
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	return client, server.(*serverConn)
}

// TestConformance runs the transport suite over real QUIC on loopback.
func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, max uint32) transporttest.Pair {
		l := listen(t, max, nil)
		defer l.Close()
		client, server := pair(t, l)
		return transporttest.Pair{Client: client, Server: server, Truncate: func(f []byte, n int) error {
			// QUIC's "close mid-frame": the request stream ends (FIN)
			// after n bytes of its frame.
			s, err := client.qc.OpenStreamSync(context.Background())
			if err != nil {
				return err
			}
			if _, err := s.Write(f[:n]); err != nil {
				return err
			}
			return s.Close()
		}, Partial: func(f []byte, n int) error {
			// A request stream that stops after n bytes, without FIN.
			s, err := client.qc.OpenStreamSync(context.Background())
			if err != nil {
				return err
			}
			_, err = s.Write(f[:n])
			return err
		}}
	})
}

func request(id uint64) []byte {
	b := make([]byte, wire.HeaderSize)
	h := wire.RequestHeader{Prefix: wire.Prefix{Size: wire.HeaderSize}, Client: wire.NewClientID(0, 1), Request: id, Operation: wire.OpNonReplicated}
	h.Put(b)
	return b
}

func reply(id uint64) []byte {
	b := make([]byte, wire.HeaderSize)
	h := wire.ReplyHeader{Prefix: wire.Prefix{Size: wire.HeaderSize}, Request: id, Operation: wire.OpNonReplicated}
	h.Put(b)
	return b
}

func eviction() []byte {
	b := make([]byte, wire.HeaderSize)
	h := wire.EvictionHeader{Client: wire.NewClientID(0, 1), Reason: wire.EvictionReason(13)}
	h.Put(b)
	return b
}

func readReplyID(t *testing.T, c transport.Conn) (wire.Command, uint64) {
	t.Helper()
	f, err := c.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	return f.Command(), binary.LittleEndian.Uint64(f.Bytes()[offReplyID:])
}

// TestRepliesMatchedByRequestID: the server answers out of order; each
// reply travels on its request's stream (matched by request id), so the
// client still gets reply 1 for request 1 and reply 2 for request 2.
func TestRepliesMatchedByRequestID(t *testing.T) {
	l := listen(t, 0, nil)
	defer l.Close()
	client, server := pair(t, l)
	defer server.Close()
	defer client.Close()
	if err := client.SendBatch([][]byte{request(1), request(2), request(3)}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f, err := server.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	if err := server.SendBatch([][]byte{reply(3), reply(2), reply(99), reply(1)}); err != nil {
		t.Fatal(err)
	}
	for want := uint64(1); want <= 3; want++ {
		if cmd, id := readReplyID(t, client); cmd != wire.CommandReply || id != want {
			t.Fatalf("got %v %d, want reply %d", cmd, id, want)
		}
	}
	if server.Stale() != 1 {
		t.Fatalf("stale replies %d, want 1 (the reply to 99)", server.Stale())
	}
}

// TestEvictionRouting: a server-initiated frame goes on the oldest stream
// awaiting a reply; with none waiting, on a server-opened stream (S11).
func TestEvictionRouting(t *testing.T) {
	l := listen(t, 0, nil)
	defer l.Close()
	client, server := pair(t, l)
	defer server.Close()
	defer client.Close()

	// Nothing outstanding: a unidirectional stream.
	if err := server.SendBatch([][]byte{eviction()}); err != nil {
		t.Fatal(err)
	}
	if cmd, _ := readReplyID(t, client); cmd != wire.CommandEviction {
		t.Fatalf("got %v, want Eviction", cmd)
	}

	// A request outstanding: the eviction answers it on its stream.
	if err := client.SendBatch([][]byte{request(5)}); err != nil {
		t.Fatal(err)
	}
	f, err := server.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	if err := server.SendBatch([][]byte{eviction()}); err != nil {
		t.Fatal(err)
	}
	if cmd, _ := readReplyID(t, client); cmd != wire.CommandEviction {
		t.Fatalf("got %v, want Eviction", cmd)
	}
}

// TestWrongALPNRefused: a client offering another ALPN fails the handshake.
func TestWrongALPNRefused(t *testing.T) {
	l := listen(t, 0, nil)
	defer l.Close()
	cfg := tlsconn.ClientConfig(testCert)
	cfg.NextProtos = []string{"h3"}
	cfg.MinVersion = tls.VersionTLS13
	cfg.ServerName = "127.0.0.1"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr := &quic.Transport{Conn: mustUDP(t)}
	defer tr.Close()
	defer tr.Conn.Close()
	qc, err := tr.Dial(ctx, l.Addr(), cfg, DefaultQUICConfig())
	if err == nil {
		qc.CloseWithError(0, "")
		t.Fatal("handshake with ALPN h3 succeeded")
	}
}

func mustUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestDefaults pins the settings the issue names.
func TestDefaults(t *testing.T) {
	c := DefaultQUICConfig()
	if c.Allow0RTT || c.MaxIdleTimeout != 30*time.Second || c.KeepAlivePeriod != 10*time.Second ||
		c.HandshakeIdleTimeout != 10*time.Second || c.MaxIncomingUniStreams != -1 {
		t.Fatalf("unexpected defaults %+v", c)
	}
	l := listen(t, 0, nil)
	defer l.Close()
	client, server := pair(t, l)
	defer server.Close()
	defer client.Close()
	st := client.qc.ConnectionState()
	if st.TLS.NegotiatedProtocol != ALPN || st.Used0RTT || st.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("connection state %+v", st)
	}
}

// stallProxy forwards the client's first datagram to the server and drops
// everything after it, so that client's handshake stalls half way.
func stallProxy(t *testing.T, server net.Addr) (*net.UDPConn, *sync.WaitGroup) {
	p := mustUDP(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 2048)
		n, _, err := p.ReadFromUDP(buf)
		if err != nil {
			return
		}
		_, _ = p.WriteTo(buf[:n], server)
		for {
			if _, _, err := p.ReadFromUDP(buf); err != nil {
				return
			}
		}
	})
	return p, &wg
}

// TestStalledHandshakeDoesNotBlockAccept (S6): while one client's handshake
// is stalled inside quic-go (bounded there by HandshakeIdleTimeout), the
// next client is accepted and served.
func TestStalledHandshakeDoesNotBlockAccept(t *testing.T) {
	l := listen(t, 0, nil)
	defer l.Close()
	proxy, wg := stallProxy(t, l.Addr())
	stalledCtx, cancelStalled := context.WithCancel(context.Background())
	var stalled sync.WaitGroup
	stalled.Go(func() {
		c, err := Dial(stalledCtx, proxy.LocalAddr().String(), tlsconn.ClientConfig(testCert))
		if err == nil {
			c.Close()
		}
	})
	client, server := pair(t, l)
	if err := client.SendBatch([][]byte{request(1)}); err != nil {
		t.Fatal(err)
	}
	f, err := server.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	if err := server.SendBatch([][]byte{reply(1)}); err != nil {
		t.Fatal(err)
	}
	if _, id := readReplyID(t, client); id != 1 {
		t.Fatal("wrong reply")
	}
	client.Close()
	server.Close()
	cancelStalled()
	stalled.Wait()
	proxy.Close()
	wg.Wait()
}

// TestIdleTimeoutClosesSilentPeer: an established client that goes silent
// (no keepalive) is closed by the idle timeout; ReadFrame reports it.
func TestIdleTimeoutClosesSilentPeer(t *testing.T) {
	qc := DefaultQUICConfig()
	qc.MaxIdleTimeout = 300 * time.Millisecond
	qc.KeepAlivePeriod = 0
	l := listen(t, 0, qc)
	defer l.Close()
	client, err := Dial(context.Background(), l.Addr().String(), tlsconn.ClientConfig(testCert))
	if err != nil {
		t.Fatal(err)
	}
	// The server is gone when the client closes: nobody will acknowledge
	// its goodbye.
	client.closeWait = 0
	defer client.Close()
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, err := p.Handshake(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	_, err = server.ReadFrame()
	var ie *quic.IdleTimeoutError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want an idle timeout", err)
	}
}

// TestGoodbyeIsEOF: the client's Close reaches the server as io.EOF after
// every request it sent. The server acknowledges the goodbye once it has
// read the requests in full, before ReadFrame takes any: a server not
// reading (the bus under backpressure) does not hold the client's Close
// for closeTimeout (every test pair's teardown used to wait 2 s here). The
// client waits a minute at most here, so the old behaviour fails rather
// than hangs.
func TestGoodbyeIsEOF(t *testing.T) {
	l := listen(t, 0, nil)
	defer l.Close()
	client, server := pair(t, l)
	defer server.Close()
	client.closeWait = time.Minute
	if err := client.SendBatch([][]byte{request(1), request(2)}); err != nil {
		t.Fatal(err)
	}
	client.Close()
	if !client.acked {
		t.Fatal("the goodbye was not acknowledged")
	}
	for want := uint64(1); want <= 2; want++ {
		f, err := server.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		id := binary.LittleEndian.Uint64(f.Bytes()[offRequestID:])
		f.Release()
		if id != want {
			t.Fatalf("got request %d, want %d", id, want)
		}
	}
	if _, err := server.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want io.EOF", err)
	}
}
