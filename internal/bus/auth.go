package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// A client connection starts unauthenticated (issue #15 items 3 and 4):
// it holds a Gate slot, its frames are capped at MaxUnauthenticatedFrame
// and it is closed if it is not Authenticated within LoginTimeout. The
// session layer, which alone knows when a login succeeded, calls
// Authenticated; LoggedOut is the reverse.

// Authenticated marks client id's connection as logged in: its frame cap
// becomes MaxMessageSize, its login deadline is cancelled and its Gate
// slot is freed. Call it on the owning shard after a successful login and
// before the login reply is sent, so the client's next frame already
// meets the lifted cap. A second call is a no-op. It fails with
// ErrNotConnected if id has no connection here.
func (b *Bus) Authenticated(id wire.ClientID) error {
	c := b.clientConn(id)
	if c == nil {
		return ErrNotConnected
	}
	if c.authed.Swap(true) {
		return nil
	}
	c.ticket.Swap(nil).release()
	b.setLimits(c)
	return nil
}

// LoggedOut is the reverse of Authenticated, for a session that logs out
// and keeps its connection (wire.md §2.10): the frame cap is back, the
// login deadline starts again from now and the connection counts as
// unauthenticated again (even above the Gate's caps: it is not a new
// connection). A call on an unauthenticated connection is a no-op.
func (b *Bus) LoggedOut(id wire.ClientID) error {
	c := b.clientConn(id)
	if c == nil {
		return ErrNotConnected
	}
	if !c.authed.Load() {
		return nil
	}
	c.ticket.Store(b.gate.force(c.tc.RemoteAddr()))
	if c.torn.Load() {
		// teardown may have looked for a ticket before it was stored.
		c.ticket.Swap(nil).release()
	}
	c.loginAt.Store(mono())
	c.authed.Store(false)
	b.setLimits(c)
	return nil
}

// Unauthenticated reports how many client connections hold a slot of this
// bus's Gate (shared with the other buses of the runtime, if any).
func (b *Bus) Unauthenticated() int { return b.gate.Unauthenticated() }

func (b *Bus) clientConn(id wire.ClientID) *conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.clients[id]
}

// setLimits applies c's read limits: the frame cap of its state and, on
// the client plane, the frame deadline. The replica plane keeps the
// transport's limits: replicas are authenticated by their handshake, and
// a slow link's large state transfer must not be cut short.
func (b *Bus) setLimits(c *conn) {
	if c.plane != planeClient {
		return
	}
	if l, ok := c.tc.(transport.Limiter); ok {
		l.SetReadLimits(transport.ReadLimits{MaxFrame: c.frameLimit(), FrameTimeout: b.cfg.FrameTimeout})
	}
}

// frameLimit is the largest frame c accepts now.
func (c *conn) frameLimit() uint32 {
	if c.authed.Load() {
		return c.b.cfg.MaxMessageSize
	}
	return c.b.cfg.MaxUnauthenticatedFrame
}

// kill closes c with cause on a goroutine of its own: the caller (a shard
// goroutine sending, or the watchdog) never blocks on the transport's
// Close or on OnClientLost (S1). It runs at most once per connection.
func (b *Bus) kill(c *conn, cause error) {
	if c.torn.Load() || !c.killed.CompareAndSwap(false, true) {
		return
	}
	b.spawn(func() { b.teardown(c, cause) }) // shutting down: the drain closes c
}

// spawn runs fn on a goroutine the bus waits for, unless Shutdown has
// begun. Unlike Go it is the bus's own machinery, not background work:
// it is not counted in the DrainOutcome.
func (b *Bus) spawn(fn func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shut {
		return false
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		fn()
	}()
	return true
}

// watchState is the watchdog's view of one connection's writer.
type watchState struct {
	seq   uint64 // wseq when last seen odd
	since int64  // monotonic ns when that write was first seen
}

// watchPeriod is how often the watchdog looks at every client connection:
// a quarter of the shorter deadline, so each is enforced within 25 %.
func (b *Bus) watchPeriod() time.Duration {
	return max(min(b.cfg.LoginTimeout, b.cfg.SlowConsumerTimeout)/4, time.Millisecond)
}

// startWatch starts the watchdog once, when the first client connection
// is installed. It ends when Shutdown cancels the bus's context.
func (b *Bus) startWatch() {
	b.watchOnce.Do(func() { b.spawn(func() { b.watch(b.ctx) }) })
}

// watch enforces the login deadline and the slow-consumer limit on every
// client connection until ctx ends. It never blocks on a connection: the
// closes run as background work (kill).
func (b *Bus) watch(ctx context.Context) {
	t := time.NewTicker(b.watchPeriod())
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b.mu.Lock()
		for _, c := range b.clients {
			conns = append(conns, c)
		}
		b.mu.Unlock()
		now := mono()
		for _, c := range conns {
			b.check(c, now)
		}
		clear(conns)
		conns = conns[:0]
	}
}

// check applies the deadlines to c. Only the watchdog calls it.
func (b *Bus) check(c *conn, now int64) {
	if !c.authed.Load() && now-c.loginAt.Load() >= int64(b.cfg.LoginTimeout) {
		b.kill(c, fmt.Errorf("%w (%s)", ErrLoginTimeout, b.cfg.LoginTimeout))
		return
	}
	seq := c.wseq.Load()
	w := &c.watch
	if seq&1 == 0 || seq != w.seq {
		w.seq, w.since = seq, now // idle, or a new write since the last look
		return
	}
	if blocked := time.Duration(now - w.since); blocked >= b.cfg.SlowConsumerTimeout {
		b.kill(c, fmt.Errorf("%w: a write to it has been blocked for %s; its replies are not read", ErrSlowConsumer, blocked.Round(time.Millisecond)))
	}
}

// epoch is the origin of mono.
var epoch = time.Now()

// mono returns monotonic nanoseconds since the process started.
func mono() int64 { return int64(time.Since(epoch)) }
