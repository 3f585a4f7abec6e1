package replica

import (
	"context"
	"net"
	"testing"
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
