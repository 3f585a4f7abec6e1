package quicconn

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// numbered returns a Request frame with a body of n bytes and request id id.
func numbered(id uint64, n int) []byte {
	b := make([]byte, wire.HeaderSize+n)
	h := wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(len(b))}, Client: wire.NewClientID(0, 1), Request: id, Operation: wire.OpNonReplicated}
	h.Put(b)
	for i := wire.HeaderSize; i < len(b); i++ {
		b[i] = byte(id) + byte(i)
	}
	return b
}

// TestUnboundedPipelining sends more requests than MaxStreams, and more
// bytes than the initial connection window, without waiting for any
// reply; every reply comes back, in order. Before the server accepted and
// read every stream at once, data of later streams filled the window while
// the oldest request was incomplete and the connection stalled for good
// (the loopback benchmark hung at about 4,500 requests of 1 KiB).
func TestUnboundedPipelining(t *testing.T) {
	for _, body := range []int{0, 1024} {
		t.Run(fmt.Sprintf("body=%d", body), func(t *testing.T) {
			l := listen(t, 0, nil)
			defer l.Close()
			client, server := pair(t, l)
			var wg sync.WaitGroup
			defer func() {
				client.Close()
				server.Close()
				wg.Wait()
			}()
			wg.Go(func() { // echo, in arrival order
				for {
					f, err := server.ReadFrame()
					if err != nil {
						return
					}
					err = server.SendBatch([][]byte{f.Bytes()})
					f.Release()
					if err != nil {
						return
					}
				}
			})
			const n = 6000 // > MaxStreams; 6000 × 1280 B ≈ 7.3 MB, > the initial window
			sendErr := make(chan error, 1)
			wg.Go(func() {
				batch := make([][]byte, 0, 64)
				for id := uint64(1); id <= n; id++ {
					batch = append(batch, numbered(id, body))
					if len(batch) == cap(batch) || id == n {
						if err := client.SendBatch(batch); err != nil {
							sendErr <- err
							return
						}
						batch = batch[:0]
					}
				}
				sendErr <- nil
			})
			for want := uint64(1); want <= n; want++ {
				f, err := client.ReadFrame()
				if err != nil {
					t.Fatalf("reply %d: %v", want, err)
				}
				got := binary.LittleEndian.Uint64(f.Bytes()[offRequestID:])
				ok := got == want && string(f.Bytes()) == string(numbered(want, body))
				f.Release()
				if !ok {
					t.Fatalf("reply %d: got request %d or a different body", want, got)
				}
			}
			if err := <-sendErr; err != nil {
				t.Fatal(err)
			}
		})
	}
}
