package auth

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// DefaultQueue is the number of password checks a Pool holds waiting for
// a worker before it refuses more.
const DefaultQueue = 64

var (
	// ErrBusy is returned by Pool.Submit when every worker is busy and the
	// queue is full. Nothing ran; the server answers the login with
	// TransientNotAccepted (Iggy's "not admitted, retry later" status) and
	// keeps the connection.
	ErrBusy = errors.New("auth: too many password checks in progress")
	// ErrPoolClosed is returned by Pool.Submit after Close.
	ErrPoolClosed = errors.New("auth: password check pool closed")
)

// Pool runs password checks (argon2id, 19 MiB each at production cost) on
// a fixed number of workers, so concurrent logins cost at most workers ×
// one check's memory, whatever their number (issue #15 item 1). Checks
// beyond the workers wait in a bounded queue; beyond that Submit refuses
// them at once with ErrBusy, so it never blocks (the spirit of S1).
//
// A Pool owns its worker goroutines; Close waits for them. It is safe for
// concurrent use.
type Pool struct {
	workers int
	wg      sync.WaitGroup // the workers
	refused atomic.Uint64  // Submit calls answered ErrBusy

	mu     sync.RWMutex // guards closed; held for reading across a send on work
	closed bool
	work   chan func() // closed by Close, under mu
}

// DefaultWorkers is the default number of workers: half of GOMAXPROCS,
// at least 1. Password checks may then use at most half of the CPU, and
// other clients keep theirs: with every core checking passwords, a loopback
// ping's median went from 31 µs to 20 ms on 2 cores; with one of the two,
// it stayed at 28 µs (BenchmarkPingDuringFlood).
func DefaultWorkers() int { return max(runtime.GOMAXPROCS(0)/2, 1) }

// NewPool starts a pool of workers goroutines (below 1: DefaultWorkers)
// with room for queue waiting checks (below 1: DefaultQueue).
func NewPool(workers, queue int) *Pool {
	if workers < 1 {
		workers = DefaultWorkers()
	}
	if queue < 1 {
		queue = DefaultQueue
	}
	p := &Pool{workers: workers, work: make(chan func(), queue)}
	p.wg.Add(workers)
	for range workers {
		go p.run()
	}
	return p
}

// run is a worker: it runs checks until Close has closed the queue and the
// queue is empty.
func (p *Pool) run() {
	defer p.wg.Done()
	for f := range p.work {
		f()
	}
}

// Submit queues f to run on a worker and returns at once. It returns nil
// when f was accepted: f then runs exactly once, even if Close is called
// meanwhile (Close drains the queue), so a login is always answered
// (S11). Otherwise f never runs and the error says why: ctx's error if
// ctx is already done (the connection went away), ErrBusy if the queue is
// full, ErrPoolClosed after Close. f must not call Close.
func (p *Pool) Submit(ctx context.Context, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrPoolClosed
	}
	select {
	case p.work <- f:
		return nil
	default:
		p.refused.Add(1)
		return ErrBusy
	}
}

// Workers returns the number of workers: at most this many checks run at
// once.
func (p *Pool) Workers() int { return p.workers }

// Queued returns the number of accepted checks waiting for a worker.
func (p *Pool) Queued() int { return len(p.work) }

// Refused returns how many Submit calls got ErrBusy, for metrics.
func (p *Pool) Refused() uint64 { return p.refused.Load() }

// Close stops accepting checks, lets the workers finish the ones already
// accepted, and waits for them. It is idempotent; it takes at most one
// check's time per queued check divided by the workers.
func (p *Pool) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.work) // no Submit is between its check and its send: we hold mu
	}
	p.mu.Unlock()
	p.wg.Wait()
}
