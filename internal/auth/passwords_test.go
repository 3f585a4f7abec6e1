package auth

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// checkMem is what one argon2id check at production cost allocates.
const checkMem = 19 << 20

// heldChecks counts checks that are running and holds each one until
// release is closed.
type heldChecks struct {
	limit               int64 // checks allowed to run at once
	running, peak, done atomic.Int64
	started             chan struct{} // one send per started check
	release             chan struct{}
}

func newHeldChecks(limit int) *heldChecks {
	return &heldChecks{limit: int64(limit), started: make(chan struct{}, 1<<14), release: make(chan struct{})}
}

// check allocates and touches a check's memory, as argon2id does, and
// holds it until release. A check beyond the limit only counts itself and
// returns: a broken pool fails the test instead of exhausting the
// machine's memory (one goroutine per check, the old behaviour, reached
// 24 GB here before the kernel killed it).
func (h *heldChecks) check() {
	n := h.running.Add(1)
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	if n > h.limit {
		h.running.Add(-1)
		h.done.Add(1)
		return
	}
	mem := make([]byte, checkMem)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1
	}
	h.started <- struct{}{}
	<-h.release
	runtime.KeepAlive(mem)
	h.running.Add(-1)
	h.done.Add(1)
}

// TestPoolFloodBoundsConcurrency is issue #15 item 1: 10,000 concurrent
// logins. With every worker held inside a 19 MiB check, 10,000
// concurrent Submit calls all return at once (none blocks): exactly the
// queue's room is accepted and the rest get ErrBusy. No more than Workers
// checks ever run at once, so memory stays at Workers × 19 MiB, and every
// accepted check runs.
func TestPoolFloodBoundsConcurrency(t *testing.T) {
	p := NewPool(0, 0)
	workers, queue := p.Workers(), DefaultQueue
	if want := max(runtime.GOMAXPROCS(0)/2, 1); workers != want {
		t.Fatalf("%d workers, want half of GOMAXPROCS, at least 1: %d", workers, want)
	}
	h := newHeldChecks(workers)
	ctx := context.Background()
	for range workers {
		if err := p.Submit(ctx, h.check); err != nil {
			t.Fatal(err)
		}
	}
	for range workers {
		<-h.started // every worker is now held inside a check
	}

	// The flood: floodSubmitters goroutines, released together, make
	// 10,000 Submit calls between them.
	const calls = 10_000
	var accepted, busy atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range floodSubmitters {
		wg.Go(func() {
			<-start
			for i := g; i < calls; i += floodSubmitters {
				switch err := p.Submit(ctx, h.check); {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, ErrBusy):
					busy.Add(1)
				default:
					t.Errorf("Submit: %v", err)
				}
			}
		})
	}
	close(start)
	wg.Wait() // returns although every worker is held: Submit never blocks

	if accepted.Load() != int64(queue) || busy.Load() != calls-int64(queue) {
		t.Fatalf("accepted %d, busy %d; want %d and %d", accepted.Load(), busy.Load(), queue, calls-queue)
	}
	if p.Queued() != queue || p.Refused() != uint64(calls-queue) {
		t.Fatalf("Queued %d, Refused %d", p.Queued(), p.Refused())
	}
	if r := h.running.Load(); r != int64(workers) {
		t.Fatalf("%d checks running while the workers are held, want %d", r, workers)
	}
	close(h.release)
	p.Close()
	if peak := h.peak.Load(); peak > int64(workers) {
		t.Fatalf("%d checks ran at once, more than the %d workers", peak, workers)
	}
	if d := h.done.Load(); d != int64(workers+queue) {
		t.Fatalf("%d checks ran, want every accepted one: %d", d, workers+queue)
	}
}

// TestPoolCloseRunsAcceptedChecks: Close lets the queued checks run (each
// accepted login is answered, S11) and later Submits get ErrPoolClosed.
func TestPoolCloseRunsAcceptedChecks(t *testing.T) {
	p := NewPool(2, 8)
	h := newHeldChecks(2)
	submit := func(n int) {
		for range n {
			if err := p.Submit(context.Background(), h.check); err != nil {
				t.Fatal(err)
			}
		}
	}
	submit(8) // fills the queue at most
	<-h.started
	<-h.started // both workers hold a check: 6 queued
	submit(2)
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	close(h.release)
	<-closed
	if h.done.Load() != 10 {
		t.Fatalf("%d of 10 accepted checks ran", h.done.Load())
	}
	if err := p.Submit(context.Background(), h.check); !errors.Is(err, ErrPoolClosed) {
		t.Fatalf("Submit after Close: %v", err)
	}
	p.Close() // idempotent
}

// TestPoolSubmitDoneContext: a login whose connection is gone is not
// checked.
func TestPoolSubmitDoneContext(t *testing.T) {
	p := NewPool(1, 1)
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := p.Submit(ctx, func() { ran = true }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with a done ctx: %v", err)
	}
	p.Close()
	if ran {
		t.Fatal("a check ran for a done context")
	}
}

// TestPoolSubmitRacesClose: Submits racing Close neither panic (a send on
// the closed queue) nor lose a check: every accepted one runs exactly
// once.
func TestPoolSubmitRacesClose(t *testing.T) {
	for range 20 {
		p := NewPool(2, 4)
		var accepted, ran atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				for range 50 {
					if p.Submit(context.Background(), func() { ran.Add(1) }) == nil {
						accepted.Add(1)
					}
				}
			})
		}
		close(start)
		p.Close()
		wg.Wait()
		if accepted.Load() != ran.Load() {
			t.Fatalf("accepted %d checks, ran %d", accepted.Load(), ran.Load())
		}
	}
}
