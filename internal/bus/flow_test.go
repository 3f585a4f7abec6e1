package bus

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/memconn"
	"github.com/shoal-io/shoal/internal/transport/quicconn"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/transport/ws"
	"github.com/shoal-io/shoal/internal/wire"
)

// dialer connects a client to b over a real transport: the server end goes
// through AcceptClient as client id (handshake on the bus).
type dialer func(t *testing.T, b *Bus, id wire.ClientID) transport.Conn

var dialers = map[string]dialer{"tcp": viaTCP, "ws": viaWS, "quic": viaQUIC}

var testCert = func() tls.Certificate {
	c, err := tlsconn.SelfSigned()
	if err != nil {
		panic(err)
	}
	return c
}()

func viaQUIC(t *testing.T, b *Bus, id wire.ClientID) transport.Conn {
	t.Helper()
	ctx := context.Background()
	l, err := quicconn.Listen(ctx, "127.0.0.1:0", quicconn.Config{TLS: tlsconn.NewServerConfig(testCert)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := quicconn.Dial(ctx, l.Addr().String(), tlsconn.ClientConfig(testCert))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AcceptClient(id, p); err != nil {
		t.Fatal(err)
	}
	return client
}

func viaTCP(t *testing.T, b *Bus, id wire.ClientID) transport.Conn {
	t.Helper()
	client, p := tcpPending(t)
	if err := b.AcceptClient(id, p); err != nil {
		t.Fatal(err)
	}
	return client
}

func viaWS(t *testing.T, b *Bus, id wire.ClientID) transport.Conn {
	t.Helper()
	ctx := context.Background()
	l, err := ws.Listen(ctx, "127.0.0.1:0", ws.Config{TCP: tcp.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type dialed struct {
		c   *ws.Conn
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		c, err := ws.Dial(ctx, "ws://"+l.Addr().String()+"/", nil)
		ch <- dialed{c, err}
	}()
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AcceptClient(id, p); err != nil {
		t.Fatal(err)
	}
	d := <-ch
	if d.err != nil {
		t.Fatal(d.err)
	}
	t.Cleanup(func() { d.c.Close() })
	return d.c
}

// TestPipelinedRepliesNotLost (issue #15 item 6, S11): 5,000 requests
// pipelined over TCP, WS and QUIC, each answered with a 4 KiB reply, to a
// client that reads nothing until the bus has stopped reading from it
// (its replies fill the sockets, so the writer blocks). Every send
// succeeds and every reply arrives, in order: the bus stops reading
// rather than dropping replies.
func TestPipelinedRepliesNotLost(t *testing.T) {
	for name, dial := range dialers {
		t.Run(name, func(t *testing.T) { testPipelinedRepliesNotLost(t, dial) })
	}
}

func testPipelinedRepliesNotLost(t *testing.T, dial dialer) {
	const n, replyBody = 5000, 4 << 10
	var b *Bus
	dropped := make(chan error, 1)
	// The QUIC case takes seconds (more on a loaded machine): the login
	// deadline, which closes an unauthenticated connection, is not what
	// is tested here.
	cfg := DefaultConfig()
	cfg.LoginTimeout = time.Hour
	b = New(0, cfg, Hooks{OnRequest: func(id wire.ClientID, f *wire.Frame) {
		seq := transporttest.Seq(f.Bytes())
		f.Release()
		rep := frame(wire.CommandReply, replyBody, seq)
		if err := b.SendToClient(id, rep); err != nil {
			rep.Release()
			select {
			case dropped <- fmt.Errorf("reply %d not sent: %w", seq, err):
			default:
			}
		}
	}})
	paused := make(chan struct{})
	var once sync.Once
	b.onCreditWait = func() { once.Do(func() { close(paused) }) }
	client := dial(t, b, client1)

	written := make(chan error, 1)
	go func() {
		for i := 0; i < n; i += 100 {
			batch := make([][]byte, 100)
			for j := range batch {
				batch[j] = transporttest.Frame(wire.CommandRequest, 16, uint64(i+j))
			}
			if err := client.SendBatch(batch); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	// The slow reader starts once the bus has stopped reading the
	// connection, or (without backpressure) once everything is written.
	var wErr error
	writeDone := false
	select {
	case <-paused:
	case wErr = <-written:
		writeDone = true
	}
	if wErr != nil {
		t.Fatal(wErr)
	}
	got := make(chan error, 1)
	go func() {
		for i := range uint64(n) {
			f, err := client.ReadFrame()
			if err != nil {
				got <- fmt.Errorf("reply %d: %w", i, err)
				return
			}
			seq := transporttest.Seq(f.Bytes())
			f.Release()
			if seq != i {
				got <- fmt.Errorf("reply %d arrived as %d", i, seq)
				return
			}
		}
		got <- nil
	}()
	select {
	case err := <-dropped:
		client.Close()
		<-got
		t.Fatal(err)
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	}
	if !writeDone {
		if err := <-written; err != nil {
			t.Fatal(err)
		}
	}
	if out := shutdown(t, b); out.Forced != 0 {
		t.Fatalf("outcome %+v", out)
	}
}

// TestInFlightBounded (issue #15 item 5): a connection cannot have more
// than MaxInFlight requests in its shard. With the handler holding every
// request unanswered, the reader stops after exactly MaxInFlight; as they
// are answered it reads on, and all 1,000 are answered in order.
func TestInFlightBounded(t *testing.T) {
	const n = 1000
	var b *Bus
	held := make(chan *wire.Frame, n)
	over := make(chan struct{})
	var count atomic.Int64
	b = New(0, DefaultConfig(), Hooks{OnRequest: func(id wire.ClientID, f *wire.Frame) {
		held <- f
		if count.Add(1) == DefaultMaxInFlight+1 {
			close(over)
		}
	}})
	paused := make(chan struct{})
	var once sync.Once
	b.onCreditWait = func() { once.Do(func() { close(paused) }) }
	client, server := tcpPair(t)
	if err := b.InstallClient(client1, server); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range uint64(n) {
			if err := client.SendBatch([][]byte{transporttest.Frame(wire.CommandRequest, 16, i)}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	select {
	case <-paused:
	case <-over:
		t.Fatalf("more than MaxInFlight (%d) requests handed to the shard", DefaultMaxInFlight)
	}
	if got := count.Load(); got != DefaultMaxInFlight {
		t.Fatalf("%d requests in flight while the reader waits, want %d", got, DefaultMaxInFlight)
	}
	// Answer in arrival order; each answer lets the reader take one more.
	wg.Go(func() {
		for range n {
			echo(&b)(client1, <-held)
		}
	})
	for i := range uint64(n) {
		if got := transporttest.Seq(read(t, client)); got != i {
			t.Fatalf("reply %d arrived as %d", i, got)
		}
	}
	wg.Wait()
	shutdown(t, b)
}

// stuckConn is a Conn whose SendBatch blocks until Close: a peer that does
// not read.
type stuckConn struct {
	transport.Conn
	closed chan struct{}
	once   sync.Once
}

func (s *stuckConn) SendBatch([][]byte) error {
	<-s.closed
	return transport.ErrClosed
}

func (s *stuckConn) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.Conn.Close()
}

// TestSlowConsumerClosed (issue #15 item 5): a client floods requests and
// never reads its replies. The bus stops reading it after MaxInFlight, and
// once one write has been blocked for SlowConsumerTimeout the connection
// is closed, with the cause and remote address logged once at Info. In
// virtual time (testing/synctest), so the deadline itself is checked.
func TestSlowConsumerClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := newLogRecorder()
		lost := make(chan wire.ClientID, 1)
		var handled atomic.Int64
		var b *Bus
		b = New(0, DefaultConfig(), Hooks{Logger: logs.logger(),
			OnClientLost: func(id wire.ClientID) { lost <- id },
			OnRequest: func(id wire.ClientID, f *wire.Frame) {
				handled.Add(1)
				echo(&b)(id, f)
			}})
		client, server := memconn.Pipe(0)
		defer client.Close()
		stuck := &stuckConn{Conn: server, closed: make(chan struct{})}
		if err := b.InstallClient(client1, stuck); err != nil {
			t.Fatal(err)
		}
		if err := b.Authenticated(client1); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		flood := make([][]byte, 10000)
		for i := range flood {
			flood[i] = transporttest.Frame(wire.CommandRequest, 16, uint64(i))
		}
		if err := client.SendBatch(flood); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := handled.Load(); got != DefaultMaxInFlight {
			t.Fatalf("%d requests handled while the client reads nothing, want %d", got, DefaultMaxInFlight)
		}
		time.Sleep(DefaultSlowConsumerTimeout - time.Since(start) - time.Nanosecond)
		synctest.Wait()
		select {
		case <-lost:
			t.Fatalf("closed before SlowConsumerTimeout (%s)", time.Since(start))
		default:
		}
		time.Sleep(2 * b.watchPeriod())
		synctest.Wait()
		select {
		case <-lost:
		default:
			t.Fatalf("still open %s after the writer blocked", time.Since(start))
		}
		logs.expect(t, "client connection closed", ErrSlowConsumer, server.RemoteAddr())
		shutdown(t, b)
	})
}
