package bus

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/transport/memconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestSendsRaceTeardownAndShutdown: senders hammer SendToClient while peers
// disconnect and Shutdown runs. Every send returns at once (S1) with nil or
// a typed error, nothing panics, and no goroutine outlives the bus (goleak).
func TestSendsRaceTeardownAndShutdown(t *testing.T) {
	const clients = 8
	b := New(0, DefaultConfig(), Hooks{})
	peers := make([]*memconn.Conn, clients)
	for i := range clients {
		a, s := memconn.Pipe(0)
		peers[i] = a
		if err := b.InstallClient(wire.NewClientID(0, uint64(i+1)), s); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				f := frame(wire.CommandReply, 16, uint64(i))
				err := b.SendToClient(wire.NewClientID(0, uint64((i+g)%clients+1)), f)
				switch {
				case err == nil:
				case errors.Is(err, ErrShuttingDown):
					f.Release()
					return
				case errors.Is(err, ErrBackpressure), errors.Is(err, ErrNotConnected):
					f.Release()
				default:
					t.Errorf("send: %v", err)
					f.Release()
					return
				}
			}
		})
	}
	// Half the peers go away while sends are in flight; the others drain
	// what reaches them.
	for i, p := range peers {
		if i%2 == 0 {
			p.Close()
			continue
		}
		wg.Go(func() {
			for {
				f, err := p.ReadFrame()
				if err != nil {
					return
				}
				f.Release()
			}
		})
	}
	out := b.Shutdown(context.Background())
	close(stop)
	for _, p := range peers {
		p.Close()
	}
	wg.Wait()
	b.Wait()
	if out.Clean+out.Forced > clients || out.Forced != 0 {
		t.Fatalf("outcome %+v", out)
	}
}
