package tlsconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testCert = func() tls.Certificate {
	c, err := SelfSigned()
	if err != nil {
		panic(err)
	}
	return c
}()

func listen(t *testing.T, max uint32) *Listener {
	t.Helper()
	cfg := Config{TCP: tcp.DefaultConfig(), TLS: NewServerConfig(testCert)}
	cfg.TCP.MaxFrameSize = max
	l, err := Listen(context.Background(), "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pair dials l and runs both handshakes concurrently.
func pair(t *testing.T, l *Listener) (client *Conn, server transport.Conn) {
	t.Helper()
	ctx := context.Background()
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := Dial(ctx, l.Addr().String(), ClientConfig(testCert))
		ch <- res{c, err}
	}()
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, err = p.Handshake(ctx)
	r := <-ch
	if err != nil || r.err != nil {
		if r.c != nil {
			r.c.Close()
		}
		t.Fatal(err, r.err)
	}
	return r.c, server
}

// TestConformance runs the transport suite over real loopback TLS.
func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, max uint32) transporttest.Pair {
		l := listen(t, max)
		defer l.Close()
		client, server := pair(t, l)
		return transporttest.Pair{Client: client, Server: server, Truncate: func(f []byte, n int) error {
			_, err := client.tc.Write(f[:n])
			client.Close()
			return err
		}, Partial: func(f []byte, n int) error {
			_, err := client.tc.Write(f[:n])
			return err
		}}
	})
}

// TestAccept: a silent peer's TLS handshake is bounded by the owner's
// deadline and never delays the next accept (S6).
func TestAccept(t *testing.T) {
	transporttest.RunAccept(t, func(t *testing.T) transporttest.Acceptor {
		l := listen(t, 0)
		return transporttest.Acceptor{
			Listener: l,
			Dial: func(ctx context.Context) (transport.Conn, error) {
				return Dial(ctx, l.Addr().String(), ClientConfig(testCert))
			},
			DialSilent: func(ctx context.Context) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", l.Addr().String())
			},
		}
	})
}

// TestTLS13Preferred: a default client negotiates TLS 1.3, and a client
// capped at 1.2 still connects (the floor).
func TestTLS13Preferred(t *testing.T) {
	l := listen(t, 0)
	defer l.Close()
	client, server := pair(t, l)
	defer server.Close()
	defer client.Close()
	if v := client.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("negotiated %#x, want TLS 1.3", v)
	}

	cfg := ClientConfig(testCert)
	cfg.MaxVersion = tls.VersionTLS12
	ch := make(chan error, 1)
	go func() {
		c, err := Dial(context.Background(), l.Addr().String(), cfg)
		if err == nil {
			if v := c.ConnectionState().Version; v != tls.VersionTLS12 {
				err = errors.New("1.2 client did not get TLS 1.2")
			}
			c.Close()
		}
		ch <- err
	}()
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := p.Handshake(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if err := <-ch; err != nil {
		t.Fatal(err)
	}
}

// TestUntrustedClientFails: a client that does not trust the certificate
// fails its handshake, and so does the server's.
func TestUntrustedClientFails(t *testing.T) {
	l := listen(t, 0)
	defer l.Close()
	ch := make(chan error, 1)
	go func() {
		c, err := Dial(context.Background(), l.Addr().String(), &tls.Config{MinVersion: tls.VersionTLS12})
		if err == nil {
			c.Close()
		}
		ch <- err
	}()
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if c, err := p.Handshake(context.Background()); err == nil {
		c.Close()
		t.Fatal("server handshake succeeded with an untrusting client")
	}
	if err := <-ch; err == nil {
		t.Fatal("client trusted an unknown certificate")
	}
}

// TestServerConfigFromFiles loads a PEM pair from disk; without files or
// self_signed it refuses.
func TestServerConfigFromFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	keyDER, err := x509.MarshalPKCS8PrivateKey(testCert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: testCert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ServerConfig(Options{CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || len(cfg.Certificates) != 1 {
		t.Fatalf("unexpected config %+v", cfg)
	}
	if _, err := ServerConfig(Options{SelfSigned: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := ServerConfig(Options{}); !errors.Is(err, ErrNoCertificate) {
		t.Fatalf("got %v, want ErrNoCertificate", err)
	}
	if _, err := ServerConfig(Options{CertFile: certFile, KeyFile: filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("loaded a missing key")
	}
}

// TestSelfSignedSANs: the generated certificate covers localhost and both
// loopback addresses.
func TestSelfSignedSANs(t *testing.T) {
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := testCert.Leaf.VerifyHostname(host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
}

// TestStalledRecordTimesOut: a peer that sends part of a TLS record and
// stops is bounded by the frame deadline too: the bytes reaching the
// socket start it, although TLS yields no plaintext to the frame reader
// yet.
func TestStalledRecordTimesOut(t *testing.T) {
	l := listen(t, 0)
	defer l.Close()
	client, server := pair(t, l)
	defer client.Close()
	defer server.Close()
	server.(transport.Limiter).SetReadLimits(transport.ReadLimits{FrameTimeout: transporttest.FrameTimeout})
	// Encrypt a whole frame into the client's batch buffer, then put only
	// part of its first record on the wire.
	client.bc.Begin()
	if _, err := client.tc.Write(transporttest.Frame(wire.CommandRequest, 100, 1)); err != nil {
		t.Fatal(err)
	}
	client.bc.mu.Lock()
	rec := append([]byte(nil), client.bc.buf...)
	client.bc.buf, client.bc.on = client.bc.buf[:0], false
	client.bc.mu.Unlock()
	if _, err := client.bc.TCPConn.Write(rec[:len(rec)/2]); err != nil {
		t.Fatal(err)
	}
	if _, err := server.ReadFrame(); !errors.Is(err, transport.ErrFrameTimeout) {
		t.Fatalf("got %v, want transport.ErrFrameTimeout", err)
	}
}

// handshakePair runs Client on a dialed connection against l's next
// Pending, concurrently, and returns both outcomes.
func handshakePair(t *testing.T, l *Listener, ccfg Config) (client *Conn, cerr error, server transport.Conn, serr error) {
	t.Helper()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := Client(context.Background(), nc.(*net.TCPConn), l.Addr().String(), ccfg)
		ch <- res{c, err}
	}()
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, serr = p.Handshake(context.Background())
	r := <-ch
	if serr != nil && r.err == nil {
		// The client may finish before the server refuses it.
		_, r.err = r.c.ReadFrame()
		r.c.Close()
		r.c = nil
	}
	return r.c, r.err, server, serr
}

// TestClient: the client handshake runs on a connection dialed elsewhere
// (the replica plane dials on shard 0 and handshakes on the owner), with
// ServerName taken from the address, and frames flow both ways.
func TestClient(t *testing.T) {
	l := listen(t, 0)
	defer l.Close()
	client, cerr, server, serr := handshakePair(t, l, Config{TCP: tcp.DefaultConfig(), TLS: ClientConfig(testCert)})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	defer client.Close()
	defer server.Close()
	if err := client.SendBatch([][]byte{transporttest.Frame(wire.CommandPing, 16, 7)}); err != nil {
		t.Fatal(err)
	}
	f, err := server.ReadFrame()
	if err != nil || transporttest.Seq(f.Bytes()) != 7 {
		t.Fatalf("server read %v, %v", f, err)
	}
	f.Release()
	if _, err := client.NetConn().Write(transporttest.Frame(wire.CommandPing, 8, 8)); err != nil {
		t.Fatal(err)
	}
	f, err = server.ReadFrame()
	if err != nil || transporttest.Seq(f.Bytes()) != 8 {
		t.Fatalf("server read %v, %v after a write on NetConn", f, err)
	}
	f.Release()

	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Client(context.Background(), nc.(*net.TCPConn), "no port", Config{TLS: ClientConfig(testCert)}); err == nil {
		t.Fatal("Client accepted an address without a port and no ServerName")
	}
	if _, err := nc.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("a failed Client left its connection open: %v", err)
	}
}

// TestRequireALPN: with RequireALPN, a peer that offers no application
// protocol is refused on either side (Go's TLS alone lets it through), and
// a peer that negotiates one connects. Without it, as on the client plane,
// no ALPN is needed.
func TestRequireALPN(t *testing.T) {
	const proto = "iggy-replica"
	withALPN := func(c *tls.Config) *tls.Config {
		c = c.Clone()
		c.NextProtos = []string{proto}
		return c
	}
	serve := func(require bool, alpn bool) *Listener {
		scfg := NewServerConfig(testCert)
		if alpn {
			scfg = withALPN(scfg)
		}
		l, err := Listen(context.Background(), "127.0.0.1:0", Config{TCP: tcp.DefaultConfig(), TLS: scfg, RequireALPN: require})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	for _, tc := range []struct {
		name                     string
		serverRequires, serverOn bool
		clientRequires, clientOn bool
		wantServer, wantClient   error // nil: connected
	}{
		{name: "both", serverRequires: true, serverOn: true, clientRequires: true, clientOn: true},
		{name: "client offers none", serverRequires: true, serverOn: true, wantServer: ErrNoALPN},
		{name: "server selects none", clientRequires: true, clientOn: true, wantClient: ErrNoALPN},
		{name: "client plane", serverOn: false, clientOn: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := serve(tc.serverRequires, tc.serverOn)
			ccfg := ClientConfig(testCert)
			if tc.clientOn {
				ccfg = withALPN(ccfg)
			}
			client, cerr, server, serr := handshakePair(t, l, Config{TCP: tcp.DefaultConfig(), TLS: ccfg, RequireALPN: tc.clientRequires})
			if client != nil {
				defer client.Close()
			}
			if server != nil {
				defer server.Close()
			}
			if tc.wantServer != nil && !errors.Is(serr, tc.wantServer) {
				t.Fatalf("server: %v, want %v", serr, tc.wantServer)
			}
			if tc.wantClient != nil && !errors.Is(cerr, tc.wantClient) {
				t.Fatalf("client: %v, want %v", cerr, tc.wantClient)
			}
			if tc.wantServer == nil && tc.wantClient == nil {
				if cerr != nil || serr != nil {
					t.Fatal(cerr, serr)
				}
				if want := map[bool]string{true: proto}[tc.clientOn]; client.ConnectionState().NegotiatedProtocol != want {
					t.Fatalf("negotiated %q, want %q", client.ConnectionState().NegotiatedProtocol, want)
				}
			}
		})
	}
}
