package bus

import "sync/atomic"

// credits bound the Requests a client connection has read and not yet
// answered (issue #15 items 5 and 6). The reader takes one per Request
// before handing it to the shard and waits when none is left; the writer
// gives one back for each Reply or Eviction it has written. So a
// connection never has more requests in its shard than Config.MaxInFlight
// (<= PeerQueueCapacity): the replies to them always find room in its
// queue, and a client that stops reading stops being read (backpressure)
// instead of having its replies dropped.
//
// The fast path is one atomic add on each side. An answer the server
// sends without a request (an eviction of an idle session) returns no
// credit that was not taken: the count never goes below zero.
type credits struct {
	max      int64
	inflight atomic.Int64  // Requests taken and not answered, plus a waiting reader's
	wake     chan struct{} // capacity 1: an answer was written while the reader waited
	onWait   func()        // tests only: runs when the reader starts to wait
	// A graceful shutdown waits for the requests read to be answered
	// (waitIdle): idleWanted makes put signal idle when none is left.
	idleWanted atomic.Bool
	idle       chan struct{} // capacity 1
}

func (cr *credits) init(max int, onWait func()) {
	cr.max = int64(max)
	cr.wake = make(chan struct{}, 1)
	cr.idle = make(chan struct{}, 1)
	cr.onWait = onWait
}

// waitIdle waits until every request taken has been answered, or done or
// gone closes (gone: the writer has exited, so no answer will come); it
// reports whether none is left.
func (cr *credits) waitIdle(done, gone <-chan struct{}) bool {
	cr.idleWanted.Store(true) // before the load: a put after it signals
	for {
		if cr.inflight.Load() <= 0 {
			return true
		}
		select {
		case <-cr.idle:
		case <-done:
			return cr.inflight.Load() <= 0
		case <-gone:
			return cr.inflight.Load() <= 0
		}
	}
}

// take takes a credit for the Request the reader holds, waiting until the
// writer returns one or stop closes (then it fails with errStopped). Only
// the reader calls it.
func (cr *credits) take(stop <-chan struct{}) error {
	if cr.inflight.Add(1) <= cr.max {
		return nil
	}
	if cr.onWait != nil {
		cr.onWait()
	}
	for {
		select {
		case <-cr.wake:
			if cr.inflight.Load() <= cr.max {
				return nil
			}
		case <-stop:
			return errStopped
		}
	}
}

// put returns n credits after n answers were written. Only the writer
// calls it.
func (cr *credits) put(n int64) {
	for {
		cur := cr.inflight.Load()
		k := min(n, cur)
		if k <= 0 {
			return
		}
		if cr.inflight.CompareAndSwap(cur, cur-k) {
			if cur > cr.max { // the reader is waiting, or about to
				select {
				case cr.wake <- struct{}{}:
				default:
				}
			}
			if cur == k && cr.idleWanted.Load() {
				select {
				case cr.idle <- struct{}{}:
				default:
				}
			}
			return
		}
	}
}
