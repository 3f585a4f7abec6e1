package quicconn

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// Replies in the pipelined benchmarks carry a 4 KiB body and at most 64
// requests are unanswered, as in internal/bus TestPipelinedRepliesNotLost
// (Config.MaxInFlight).
const (
	benchReplyBody = 4 << 10
	benchInFlight  = 64
)

// bigReply is a Reply to request id with a body of n bytes.
func bigReply(id uint64, n int) []byte {
	b := make([]byte, wire.HeaderSize+n)
	h := wire.ReplyHeader{Prefix: wire.Prefix{Size: uint32(len(b))}, Request: id, Operation: wire.OpNonReplicated}
	h.Put(b)
	return b
}

// pooledReply is bigReply in a pooled frame, as the bus's replies are.
func pooledReply(id uint64, n int) *wire.Frame {
	f := wire.NewFrame(wire.HeaderSize + n)
	h := wire.ReplyHeader{Prefix: wire.Prefix{Size: uint32(f.Len())}, Request: id, Operation: wire.OpNonReplicated}
	h.Put(f.Bytes())
	return f
}

// BenchmarkPipelinedReplies is the bus's backpressure case without the
// bus: the client pipelines requests in batches of 100; the server reads
// at most benchInFlight ahead of the replies it has written (the bus's
// credits) and answers each with a 4 KiB reply, writing what is queued in
// one SendBatch (the bus's writer). One op is one request and its reply.
// BenchmarkRawStreamPerRequest is the same exchange on quic-go alone.
func BenchmarkPipelinedReplies(b *testing.B) {
	const sendBatch = 100
	l := listen(b, 0, nil)
	defer l.Close()
	client, server := pair(b, l)
	var wg sync.WaitGroup
	defer func() {
		client.Close()
		server.Close()
		wg.Wait()
	}()
	credits := make(chan struct{}, benchInFlight)
	queue := make(chan *wire.Frame, 256)
	wg.Go(func() { // the bus's reader: a credit per request
		defer close(queue)
		for {
			f, err := server.ReadFrame()
			if err != nil {
				return
			}
			id := binary.LittleEndian.Uint64(f.Bytes()[offRequestID:])
			f.Release()
			credits <- struct{}{}
			queue <- pooledReply(id, benchReplyBody)
		}
	})
	wg.Go(func() { // the bus's writer: what is queued, in one SendBatch
		frames := make([]*wire.Frame, 0, cap(queue))
		batch := make([][]byte, 0, cap(queue))
		for f := range queue {
			frames, batch = transporttest.Gather(queue, f, frames, batch, cap(queue))
			err := server.SendBatch(batch)
			for _, f := range frames {
				f.Release()
				<-credits
			}
			if err != nil {
				return
			}
		}
	})
	b.SetBytes(wire.HeaderSize + benchReplyBody)
	b.ReportAllocs()
	b.ResetTimer()
	wg.Go(func() {
		batch := make([][]byte, 0, sendBatch)
		for i := range b.N {
			batch = append(batch, request(uint64(i+1)))
			if len(batch) == sendBatch || i == b.N-1 {
				if client.SendBatch(batch) != nil {
					return
				}
				batch = batch[:0]
			}
		}
	})
	for want := uint64(1); want <= uint64(b.N); want++ {
		f, err := client.ReadFrame()
		if err != nil {
			b.Fatalf("reply %d: %v", want, err)
		}
		got := binary.LittleEndian.Uint64(f.Bytes()[offReplyID:])
		f.Release()
		if got != want {
			b.Fatalf("reply %d: got %d", want, got)
		}
	}
	b.StopTimer()
}

// rawPair connects two quic-go connections on loopback with the settings
// of this package, without it.
func rawPair(b *testing.B) (client, server *quic.Conn, closeAll func()) {
	b.Helper()
	var trs []*quic.Transport
	transport := func() *quic.Transport {
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		tr := &quic.Transport{Conn: u}
		trs = append(trs, tr)
		return tr
	}
	closeAll = func() {
		for _, tr := range trs {
			tr.Close()
			tr.Conn.Close()
		}
	}
	ql, err := transport().Listen(withALPN(tlsconn.NewServerConfig(testCert)), DefaultQUICConfig())
	if err != nil {
		closeAll()
		b.Fatal(err)
	}
	cfg := withALPN(tlsconn.ClientConfig(testCert))
	cfg.ServerName = "127.0.0.1"
	client, err = transport().Dial(context.Background(), ql.Addr(), cfg, clientQUICConfig())
	if err == nil {
		server, err = ql.Accept(context.Background())
	}
	ql.Close()
	if err != nil {
		closeAll()
		b.Fatal(err)
	}
	return client, server, closeAll
}

// BenchmarkRawStreamPerRequest is the baseline for
// BenchmarkPipelinedReplies on quic-go alone: one bidirectional stream
// per request (a header-sized request, a 4 KiB reply), a goroutine per
// stream on each side, at most benchInFlight requests unanswered.
func BenchmarkRawStreamPerRequest(b *testing.B) {
	client, server, closeAll := rawPair(b)
	defer closeAll()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer server.CloseWithError(0, "")
	defer client.CloseWithError(0, "")
	reply := bigReply(1, benchReplyBody)
	wg.Go(func() {
		for {
			s, err := server.AcceptStream(context.Background())
			if err != nil {
				return
			}
			wg.Go(func() {
				if _, err := io.Copy(io.Discard, s); err != nil {
					return
				}
				_, _ = s.Write(reply)
				_ = s.Close()
			})
		}
	})
	req := request(1)
	sem := make(chan struct{}, benchInFlight)
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	b.ResetTimer()
	var readers sync.WaitGroup
	for range b.N {
		sem <- struct{}{}
		s, err := client.OpenStreamSync(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		_, _ = s.Write(req)
		_ = s.Close()
		readers.Go(func() {
			_, _ = io.Copy(io.Discard, s)
			<-sem
		})
	}
	readers.Wait()
	b.StopTimer()
}

// BenchmarkRawOneStream is the bytes of BenchmarkRawStreamPerRequest's
// replies on a single quic-go stream, until the peer has read them all:
// what loopback QUIC does in bulk.
func BenchmarkRawOneStream(b *testing.B) {
	client, server, closeAll := rawPair(b)
	defer closeAll()
	defer server.CloseWithError(0, "")
	defer client.CloseWithError(0, "")
	read := make(chan error, 1)
	go func() {
		s, err := server.AcceptStream(context.Background())
		if err == nil {
			_, err = io.Copy(io.Discard, s)
		}
		read <- err
	}()
	s, err := client.OpenStreamSync(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	reply := bigReply(1, benchReplyBody)
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Write(reply); err != nil {
			b.Fatal(err)
		}
	}
	_ = s.Close()
	if err := <-read; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
}
