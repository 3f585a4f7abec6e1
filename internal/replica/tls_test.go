package replica

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// selfSigned returns a config that serves a fresh self-signed certificate
// and trusts exactly it.
func selfSigned(t *testing.T) (*tls.Config, tls.Certificate) {
	t.Helper()
	cert, err := tlsconn.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}, cert
}

// Three replicas over TLS 1.3: every pair connects and exchanges frames.
func TestTLSThreeReplicasRoundTrip(t *testing.T) {
	cfg, _ := selfSigned(t)
	nodes := startCluster(t, 3, nodeOpts{tls: cfg})
	nodes[1].waitAccepted(t, 0, 1)
	nodes[2].waitAccepted(t, 0, 1)
	nodes[2].waitAccepted(t, 1, 1)
	for _, pair := range [][2]int{{0, 1}, {0, 2}, {1, 2}} {
		exchange(t, nodes[pair[0]], nodes[pair[1]], uint64(10*pair[0]+pair[1]))
	}
}

// A TLS replica port refuses a plaintext dialer and a TLS client of
// another application protocol.
func TestTLSRefusesPlaintextAndWrongALPN(t *testing.T) {
	cfg, cert := selfSigned(t)
	b := startNode(t, nodeOpts{id: 1, tls: cfg})
	if err := testDialer().dial(dialCtx(t), rawDial(t, b), 1, binding{}); err == nil {
		t.Fatal("plaintext handshake accepted by a TLS replica port")
	}
	b.logs.wait(t, 1, "plaintext refusal", attrs("replica handshake rejected", "side", "acceptor"))

	ccfg := tlsconn.ClientConfig(cert)
	ccfg.NextProtos = []string{"iggy.consensus.v1"}
	c, err := tls.Dial("tcp", b.addr(), ccfg)
	if err == nil {
		err = c.Handshake()
		c.Close()
	}
	if err == nil {
		t.Fatal("TLS client with the wrong ALPN connected")
	}
	b.logs.wait(t, 2, "ALPN refusal", attrs("replica handshake rejected", "side", "acceptor"))

	// A client offering no ALPN at all gets through Go's TLS handshake,
	// but the replica port still refuses it (tlsconn.Config.RequireALPN).
	c, err = tls.Dial("tcp", b.addr(), tlsconn.ClientConfig(cert))
	if err == nil {
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if err == nil {
		t.Fatal("TLS client without ALPN was served")
	}
	rec := b.logs.wait(t, 3, "no-ALPN refusal", attrs("replica handshake rejected", "side", "acceptor"))
	if !strings.Contains(rec["err"], "no application protocol") {
		t.Fatalf("refused for %q, want the missing ALPN", rec["err"])
	}
	b.registryEmpty(t)
	b.ownersEmpty(t)
}

// A relay that terminates the dialer's TLS session and opens its own to
// the acceptor forwards every byte faithfully, yet both MACs fail: each
// side binds its own session's exporter.
func TestTLSRelayFailsMAC(t *testing.T) {
	cfg, cert := selfSigned(t)
	b := startNode(t, nodeOpts{id: 1, tls: cfg})

	rl, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert}, NextProtos: []string{ALPN}, MinVersion: tls.VersionTLS13,
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c1, err := rl.Accept()
			if err != nil {
				return
			}
			c2, err := tls.Dial("tcp", b.addr(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{ALPN}})
			if err != nil {
				c1.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c1, c2)
			mu.Unlock()
			wg.Go(func() { io.Copy(c2, c1); c2.Close() })
			wg.Go(func() { io.Copy(c1, c2); c1.Close() })
		}
	})
	defer func() {
		rl.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()

	// The dialer accepts any certificate, as a self-signed cluster would.
	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: rl.Addr().String()}, manual: true,
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true}})
	a.logs.wait(t, 1, "dialer MAC refusal", rejected("dialer", "mac_mismatch"))
	b.logs.wait(t, 1, "acceptor failure", attrs("replica handshake rejected", "side", "acceptor"))
	a.registryEmpty(t)
	b.registryEmpty(t)
	b.ownersEmpty(t)
}

// mutualCert returns a self-signed certificate for 127.0.0.1 that serves
// both ends of a mutual TLS link (server and client authentication).
func mutualCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "replica"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// mutualConfig presents cert and trusts exactly trusted, as server and as
// client, and requires the peer's certificate.
func mutualConfig(cert, trusted tls.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(trusted.Leaf)
	return &tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: pool,
		ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert,
	}
}

// With ClientAuth set, the replica plane is mutual TLS: a dialer whose
// certificate the acceptor trusts connects, one presenting another
// certificate is refused in the TLS handshake and never gets a Hello in.
func TestTLSMutual(t *testing.T) {
	good, other := mutualCert(t), mutualCert(t)
	cfg := mutualConfig(good, good)
	b := startNode(t, nodeOpts{id: 2, tls: cfg})
	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{2: b.addr()}, tls: cfg})
	b.waitAccepted(t, 0, 1)
	exchange(t, a, b, 1)

	// Replica 1 trusts b's certificate but presents one b does not trust.
	c := startNode(t, nodeOpts{id: 1, peers: map[wire.ReplicaID]string{2: b.addr()}, manual: true,
		tls: mutualConfig(other, good)})
	rec := b.logs.wait(t, 1, "client certificate refusal", attrs("replica handshake rejected", "side", "acceptor"))
	if !strings.Contains(rec["err"], "certificate") {
		t.Fatalf("refused for %q, want the client certificate", rec["err"])
	}
	c.logs.wait(t, 1, "dialer failure", attrs("replica handshake rejected", "side", "dialer"))
	c.registryEmpty(t)
	if b.pl.Connected(1) {
		t.Fatal("replica 1 connected with an untrusted certificate")
	}
	exchange(t, a, b, 2)
}
