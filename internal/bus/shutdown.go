package bus

import (
	"context"
	"sync"

	"github.com/shoal-io/shoal/internal/transport"
)

// DrainOutcome reports how Shutdown ended: connections (client and replica)
// and background tasks that finished before the deadline are clean; those
// still running at the deadline are forced (their connections closed under
// them).
type DrainOutcome struct {
	Clean, Forced                     int
	BackgroundClean, BackgroundForced int
}

// Add accumulates o2 into o.
func (o *DrainOutcome) Add(o2 DrainOutcome) {
	o.Clean += o2.Clean
	o.Forced += o2.Forced
	o.BackgroundClean += o2.BackgroundClean
	o.BackgroundForced += o2.BackgroundForced
}

// Shutdown stops the bus in the S9 order, all under ctx's deadline:
//
//  1. stop accepting: no install or background task starts after this,
//     and sends fail with ErrShuttingDown;
//  2. trigger the token: cancel the context of background work;
//  3. drain clients: each stops reading (its read side is shut where the
//     transport allows it), the requests it has read are answered (the
//     shards still run: their replies are sent), its writer flushes its
//     queue, then the connection is closed and its reader joined
//     (connections drain concurrently);
//  4. drain replicas, the same way;
//  5. drain background work.
//
// When nothing was forced Shutdown also waits for every goroutine to exit;
// otherwise call Wait once whatever blocked them is resolved. A second call
// returns a zero outcome.
func (b *Bus) Shutdown(ctx context.Context) DrainOutcome {
	b.mu.Lock()
	if b.shut {
		b.mu.Unlock()
		return DrainOutcome{}
	}
	b.shut = true
	b.closing.Store(true)
	// Clients stay registered while they drain, so the replies to what
	// they sent still find them; drain removes each.
	clients := make([]*conn, 0, len(b.clients))
	for _, c := range b.clients {
		clients = append(clients, c)
	}
	var replicas []*conn
	for r, c := range b.replicas {
		if c != nil {
			replicas = append(replicas, c)
			b.replicas[r] = nil
		}
	}
	b.nreplicas = 0
	tasks := make([]*task, 0, len(b.tasks))
	for t := range b.tasks {
		tasks = append(tasks, t)
	}
	b.mu.Unlock()

	b.cancel()

	var out DrainOutcome
	out.Add(drainConns(ctx, clients))
	b.mu.Lock()
	clear(b.clients)
	b.mu.Unlock()
	out.Add(drainConns(ctx, replicas))
	for _, t := range tasks {
		if waitDone(ctx, t.done) {
			out.BackgroundClean++
		} else {
			out.BackgroundForced++
		}
	}
	if out.Forced == 0 && out.BackgroundForced == 0 {
		b.wg.Wait()
	}
	return out
}

// Wait blocks until every goroutine the bus started has exited.
func (b *Bus) Wait() { b.wg.Wait() }

func drainConns(ctx context.Context, conns []*conn) DrainOutcome {
	var out DrainOutcome
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			clean := c.drain(ctx)
			mu.Lock()
			defer mu.Unlock()
			if clean {
				out.Clean++
			} else {
				out.Forced++
			}
		})
	}
	wg.Wait()
	return out
}

// drain stops c during Shutdown: a client first answers what it has read
// (answerRead), then the writer flushes, the transport is closed
// (unblocking the reader, or a writer stuck in a write) and both are
// joined. It reports whether both finished before the deadline.
func (c *conn) drain(ctx context.Context) bool {
	if c.plane == planeClient && !c.torn.Load() {
		c.answerRead(ctx)
	}
	c.torn.Store(true) // Shutdown owns the teardown now
	c.ticket.Swap(nil).release()
	c.signalStop()
	clean := waitDone(ctx, c.writerDone)
	c.tc.Close()
	return waitDone(ctx, c.readerDone) && clean
}

// answerRead is a client connection's graceful step (issue 15): no
// request is read any more, and every request read is answered before the
// connection closes, so a client sees its in-flight requests answered
// rather than reset. On a transport that cannot shut its read side alone
// (QUIC) the reader goes on, and the wait ends when nothing is in flight
// or at ctx's deadline.
func (c *conn) answerRead(ctx context.Context) {
	if rc, ok := c.tc.(transport.ReadCloser); ok {
		c.draining.Store(true)
		if rc.CloseRead() == nil {
			// The reader dispatches what it holds (waiting for a credit if
			// it must), then meets the closed read side and exits.
			waitDone(ctx, c.readerDone)
		}
	}
	c.credits.waitIdle(ctx.Done(), c.writerDone)
}

// waitDone waits for done until ctx ends; a done channel that is already
// closed counts even when ctx has ended too.
func waitDone(ctx context.Context, done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
	}
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}
