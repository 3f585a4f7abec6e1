package replica

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"

	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// BenchmarkMAC is one handshake MAC (the transcript is 167 bytes).
func BenchmarkMAC(b *testing.B) {
	a := NewAuth(sampleSecret(), "c")
	tr := sampleTranscript()
	b.ReportAllocs()
	for b.Loop() {
		a.mac(&tr, dirDialer)
	}
}

// BenchmarkHandshake is one full three-message handshake over an
// in-memory pipe: two nonces, three MACs, three frames each way's I/O.
func BenchmarkHandshake(b *testing.B) {
	d := newSide(sampleSecret(), "c", 0, nil)
	a := newSide(sampleSecret(), "c", 1, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		dc, ac := net.Pipe()
		errc := make(chan error, 1)
		go func() { errc <- d.dial(ctx, dc, 1, binding{}) }()
		if _, err := a.accept(ctx, ac, nil, binding{}); err != nil {
			b.Fatal(err)
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
		dc.Close()
		ac.Close()
	}
}

// BenchmarkReplicaSend is one-way replica traffic between two replicas,
// each its own Runtime on loopback, over plain TCP and TLS: replica 0
// sends windows of 128 sealed frames with 4 KiB bodies, and replica 1's
// handler receives each before the next window goes out.
func BenchmarkReplicaSend(b *testing.B) {
	for _, mode := range []string{"tcp", "tls"} {
		b.Run(mode, func(b *testing.B) {
			var cfg *tls.Config
			if mode == "tls" {
				cert, err := tlsconn.SelfSigned()
				if err != nil {
					b.Fatal(err)
				}
				pool := x509.NewCertPool()
				pool.AddCert(cert.Leaf)
				cfg = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}
			}
			acc := startNode(b, nodeOpts{id: 1, tls: cfg})
			dia := startNode(b, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: acc.addr()}, tls: cfg})
			acc.waitAccepted(b, 0, 1)
			exchange(b, dia, acc, 1) // both ends installed
			body := make([]byte, 4096)
			const window = 128
			b.SetBytes(int64(wire.HeaderSize + len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for sent := 0; sent < b.N; {
				n := min(window, b.N-sent)
				for i := range n {
					dia.send(b, 0, 1, uint64(sent+i), body)
				}
				for range n {
					<-acc.msgs
				}
				sent += n
			}
		})
	}
}
