package transportbench

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/quicconn"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/transport/ws"
	"github.com/shoal-io/shoal/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var cert = func() tls.Certificate {
	c, err := tlsconn.SelfSigned()
	if err != nil {
		panic(err)
	}
	return c
}()

// maker returns a connected client and the server's installed Conn.
type maker func(tb testing.TB) (client, server transport.Conn)

var transports = []struct {
	name string
	mk   maker
}{
	{"tcp", mkTCP},
	{"tls", mkTLS},
	{"ws", mkWS(false)},
	{"wss", mkWS(true)},
	{"quic", mkQUIC},
}

// connect dials concurrently with the server's Accept and Handshake.
func connect(tb testing.TB, l transport.Listener, dial func(context.Context) (transport.Conn, error)) (transport.Conn, transport.Conn) {
	tb.Helper()
	defer l.Close()
	ctx := context.Background()
	type res struct {
		c   transport.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := dial(ctx)
		ch <- res{c, err}
	}()
	p, err := l.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	server, err := p.Handshake(ctx)
	r := <-ch
	if err != nil || r.err != nil {
		tb.Fatal(err, r.err)
	}
	return r.c, server
}

func mkTCP(tb testing.TB) (transport.Conn, transport.Conn) {
	l, err := tcp.Listen(context.Background(), "127.0.0.1:0", tcp.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	return connect(tb, l, func(ctx context.Context) (transport.Conn, error) {
		return tcp.Dial(ctx, l.Addr().String(), tcp.DefaultConfig())
	})
}

func mkTLS(tb testing.TB) (transport.Conn, transport.Conn) {
	l, err := tlsconn.Listen(context.Background(), "127.0.0.1:0",
		tlsconn.Config{TCP: tcp.DefaultConfig(), TLS: tlsconn.NewServerConfig(cert)})
	if err != nil {
		tb.Fatal(err)
	}
	return connect(tb, l, func(ctx context.Context) (transport.Conn, error) {
		return tlsconn.Dial(ctx, l.Addr().String(), tlsconn.ClientConfig(cert))
	})
}

func mkWS(secure bool) maker {
	return func(tb testing.TB) (transport.Conn, transport.Conn) {
		cfg := ws.Config{TCP: tcp.DefaultConfig()}
		scheme := "ws://"
		if secure {
			cfg.TLS = tlsconn.NewServerConfig(cert)
			scheme = "wss://"
		}
		l, err := ws.Listen(context.Background(), "127.0.0.1:0", cfg)
		if err != nil {
			tb.Fatal(err)
		}
		return connect(tb, l, func(ctx context.Context) (transport.Conn, error) {
			return ws.Dial(ctx, scheme+l.Addr().String()+"/", tlsconn.ClientConfig(cert))
		})
	}
}

func mkQUIC(tb testing.TB) (transport.Conn, transport.Conn) {
	l, err := quicconn.Listen(context.Background(), "127.0.0.1:0",
		quicconn.Config{TLS: tlsconn.NewServerConfig(cert)})
	if err != nil {
		tb.Fatal(err)
	}
	return connect(tb, l, func(ctx context.Context) (transport.Conn, error) {
		return quicconn.Dial(ctx, l.Addr().String(), tlsconn.ClientConfig(cert))
	})
}

// maxBatch is the bus writer's batch bound.
const maxBatch = 256

// echo serves c as the bus would: a reader goroutine hands frames to a
// writer goroutine, which blocks for the first, drains up to maxBatch
// more without blocking and sends them with one SendBatch. It returns a
// function that waits for both goroutines (after c is closed).
func echo(c transport.Conn) (wait func()) {
	var wg sync.WaitGroup
	q := make(chan *wire.Frame, 4*maxBatch)
	wg.Go(func() {
		defer close(q)
		for {
			f, err := c.ReadFrame()
			if err != nil {
				return
			}
			q <- f
		}
	})
	wg.Go(func() {
		frames := make([]*wire.Frame, 0, maxBatch)
		batch := make([][]byte, 0, maxBatch)
		for f := range q {
			frames, batch = transporttest.Gather(q, f, frames, batch, maxBatch)
			err := c.SendBatch(batch)
			for _, f := range frames {
				f.Release()
			}
			if err != nil {
				for f := range q {
					f.Release()
				}
				return
			}
		}
	})
	return wg.Wait
}

// bodies are the benchmarked body sizes.
var bodies = []int{256, 1024}

// BenchmarkRoundTrip: one request, wait for its echo, repeat.
func BenchmarkRoundTrip(b *testing.B) {
	for _, tr := range transports {
		for _, body := range bodies {
			b.Run(fmt.Sprintf("%s/body=%d", tr.name, body), func(b *testing.B) {
				client, server := tr.mk(b)
				wait := echo(server)
				req := transporttest.Frame(wire.CommandRequest, body, 1)
				b.ReportAllocs()
				b.SetBytes(int64(len(req)))
				b.ResetTimer()
				for range b.N {
					if err := client.SendBatch([][]byte{req}); err != nil {
						b.Fatal(err)
					}
					f, err := client.ReadFrame()
					if err != nil {
						b.Fatal(err)
					}
					f.Release()
				}
				b.StopTimer()
				client.Close()
				server.Close()
				wait()
			})
		}
	}
}

// clientBatch is how many requests the pipelining client sends per
// SendBatch.
const clientBatch = 64

// BenchmarkPipelined: the client keeps sending in batches of 64 without
// waiting while it reads the echoes; reports frames/s (echoed frames).
func BenchmarkPipelined(b *testing.B) {
	for _, tr := range transports {
		for _, body := range bodies {
			b.Run(fmt.Sprintf("%s/body=%d", tr.name, body), func(b *testing.B) {
				client, server := tr.mk(b)
				wait := echo(server)
				req := transporttest.Frame(wire.CommandRequest, body, 1)
				batch := make([][]byte, clientBatch)
				b.ReportAllocs()
				b.SetBytes(int64(len(req)))
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				var sendErr error
				wg.Go(func() {
					for sent := 0; sent < b.N; {
						n := min(clientBatch, b.N-sent)
						for i := range n {
							batch[i] = req // SendBatch may overwrite them
						}
						if sendErr = client.SendBatch(batch[:n]); sendErr != nil {
							client.Close() // unblock the reader below
							return
						}
						sent += n
					}
				})
				var readErr error
				for range b.N {
					f, err := client.ReadFrame()
					if err != nil {
						readErr = err
						break
					}
					f.Release()
				}
				elapsed := time.Since(start)
				b.StopTimer()
				if readErr != nil {
					client.Close() // unblock the sender
				}
				wg.Wait()
				if sendErr != nil || readErr != nil {
					client.Close()
					server.Close()
					wait()
					b.Fatal(sendErr, readErr)
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "frames/s")
				client.Close()
				server.Close()
				wait()
			})
		}
	}
}

// TestSmoke runs one round trip per transport so CI keeps the benchmark
// setup working.
func TestSmoke(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			client, server := tr.mk(t)
			wait := echo(server)
			if err := client.SendBatch([][]byte{transporttest.Frame(wire.CommandRequest, 256, 1)}); err != nil {
				t.Fatal(err)
			}
			f, err := client.ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			f.Release()
			client.Close()
			server.Close()
			wait()
		})
	}
}
