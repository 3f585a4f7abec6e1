package bus

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// errClosedByServer is the teardown cause of CloseClient.
var errClosedByServer = errors.New("bus: closed by the server")

// ClientConn reports the transport and remote address of client id's
// connection on this bus.
func (b *Bus) ClientConn(id wire.ClientID) (transport.Kind, net.Addr, bool) {
	b.mu.Lock()
	c := b.clients[id]
	b.mu.Unlock()
	if c == nil {
		return 0, nil, false
	}
	return c.tc.Kind(), c.tc.RemoteAddr(), true
}

// CloseClient closes client id's connection after the frames already
// queued to it are written (an Eviction sent just before reaches the
// client), waiting at most Config.ClosePeerTimeout for them. From the call
// on the reader hands no further request to OnRequest (one it is handing
// over already still arrives), so a shard closing a flooding connection
// hears from it no more (issue #15 item 12). It never
// blocks the caller: the flush runs as background work. OnClientLost fires
// as for any other close. It reports whether id was connected here.
func (b *Bus) CloseClient(id wire.ClientID) bool {
	b.mu.Lock()
	c := b.clients[id]
	b.mu.Unlock()
	if c == nil {
		return false
	}
	// The writer flushes what is queued, then exits; the reader hands
	// nothing more to the shard.
	c.signalStop()
	err := b.Go(func(ctx context.Context) {
		t := time.NewTimer(b.cfg.ClosePeerTimeout)
		defer t.Stop()
		select {
		case <-c.writerDone:
		case <-t.C:
		case <-ctx.Done():
		}
		b.teardown(c, errClosedByServer)
	})
	if err != nil {
		b.teardown(c, errClosedByServer)
	}
	return true
}
