package proxy

import (
	"io"
	"net"
	"testing"
)

// benchStream writes b.N blocks of 64 KiB to addr and waits until a sink
// behind it has read them all.
func benchStream(b *testing.B, addr string, sink net.Listener) {
	const block = 64 << 10
	got := make(chan int64, 1)
	go func() {
		c, err := sink.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		got <- n
	}()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, block)
	b.SetBytes(block)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	if n := <-got; n != int64(b.N)*block {
		b.Fatalf("sink read %d bytes, want %d", n, int64(b.N)*block)
	}
	b.StopTimer()
	c.Close()
}

func benchSink(b *testing.B) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	return ln
}

// BenchmarkPassThrough is one-way throughput through a Pass proxy.
func BenchmarkPassThrough(b *testing.B) {
	sink := benchSink(b)
	p, err := New(Config{Listen: "127.0.0.1:0", Target: sink.Addr().String()})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	benchStream(b, p.Addr(), sink)
}

// BenchmarkDirect is the same stream without the proxy: the floor.
func BenchmarkDirect(b *testing.B) {
	sink := benchSink(b)
	benchStream(b, sink.Addr().String(), sink)
}
