package ws

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

var testCert = func() tls.Certificate {
	c, err := tlsconn.SelfSigned()
	if err != nil {
		panic(err)
	}
	return c
}()

// listen starts a WS listener, or WSS when secure.
func listen(t testing.TB, secure bool, max uint32) *Listener {
	t.Helper()
	cfg := Config{TCP: tcp.DefaultConfig()}
	cfg.TCP.MaxFrameSize = max
	if secure {
		cfg.TLS = tlsconn.NewServerConfig(testCert)
	}
	l, err := Listen(context.Background(), "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func urlOf(l *Listener) string {
	if l.Kind() == transport.KindWSS {
		return "wss://" + l.Addr().String() + "/"
	}
	return "ws://" + l.Addr().String() + "/"
}

func clientTLS() *tls.Config { return tlsconn.ClientConfig(testCert) }

// pair dials l and runs both handshakes concurrently.
func pair(t testing.TB, l *Listener) (client *Conn, server transport.Conn) {
	t.Helper()
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := Dial(context.Background(), urlOf(l), clientTLS())
		ch <- res{c, err}
	}()
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, err = p.Handshake(context.Background())
	r := <-ch
	if err != nil || r.err != nil {
		if r.c != nil {
			r.c.Close()
		}
		if server != nil {
			server.Close()
		}
		t.Fatal(err, r.err)
	}
	return r.c, server
}

// request returns a header-only Request frame with the given ids.
func request(client wire.ClientID, id uint64) []byte {
	b := make([]byte, wire.HeaderSize)
	h := wire.RequestHeader{
		Prefix:    wire.Prefix{Size: wire.HeaderSize},
		Client:    client,
		Request:   id,
		Operation: wire.OpNonReplicated,
	}
	h.Put(b)
	return b
}

// replyTo returns a Reply frame echoing req's request id.
func replyTo(t testing.TB, req []byte) []byte {
	var rh wire.RequestHeader
	if err := rh.Decode(req); err != nil {
		t.Error(err)
	}
	b := make([]byte, wire.HeaderSize)
	var h wire.ReplyHeader
	h.ReplyTo(&rh, 0)
	h.Put(b)
	return b
}

// echoServer serves every connection l accepts until l is closed: each
// Request is handed to onRequest (if set) and answered with a Reply that
// echoes its request id, through SendBatch. Handshake errors go to hsErr
// (if set). Stop closes l and waits for every goroutine.
type echoServer struct {
	l         *Listener
	onRequest func([]byte)
	hsErr     chan error
	wg        sync.WaitGroup
	mu        sync.Mutex
	conns     []transport.Conn
}

func serveEcho(t testing.TB, l *Listener, onRequest func([]byte), hsErr chan error) *echoServer {
	s := &echoServer{l: l, onRequest: onRequest, hsErr: hsErr}
	s.wg.Go(func() {
		for {
			p, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(t, p) })
		}
	})
	return s
}

func (s *echoServer) serve(t testing.TB, p transport.Pending) {
	c, err := p.Handshake(context.Background())
	if s.hsErr != nil {
		s.hsErr <- err
	}
	if err != nil {
		return
	}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	defer c.Close()
	for {
		f, err := c.ReadFrame()
		if err != nil {
			return
		}
		if f.Command() == wire.CommandRequest {
			if s.onRequest != nil {
				s.onRequest(f.Bytes())
			}
			err = c.SendBatch([][]byte{replyTo(t, f.Bytes())})
		}
		f.Release()
		if err != nil {
			return
		}
	}
}

func (s *echoServer) Stop() {
	s.l.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// dialRaw opens a plain TCP connection to l.
func dialRaw(t testing.TB, l *Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
