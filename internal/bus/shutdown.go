package bus

import (
	"context"
	"sync"
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
//  3. drain clients: each writer flushes its queue, then the connection is
//     closed and its reader joined (connections drain concurrently);
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
	clients := make([]*conn, 0, len(b.clients))
	for id, c := range b.clients {
		clients = append(clients, c)
		delete(b.clients, id)
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

// drain stops c during Shutdown: the writer flushes, then the transport is
// closed (unblocking the reader, or a writer stuck in a write) and both are
// joined. It reports whether both finished before the deadline.
func (c *conn) drain(ctx context.Context) bool {
	c.torn.Store(true) // Shutdown owns the teardown now
	c.ticket.Swap(nil).release()
	c.signalStop()
	clean := waitDone(ctx, c.writerDone)
	c.tc.Close()
	return waitDone(ctx, c.readerDone) && clean
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
