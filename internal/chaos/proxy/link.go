package proxy

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// chunkSize is the read buffer of a pump. Pass-through copies one chunk per
// read, so it bounds the syscalls per byte (BenchmarkPassThrough).
const chunkSize = 32 << 10

// queueDepth bounds the chunks read but not yet written per direction;
// when Delay holds that many, the reader stops reading and TCP flow control
// pushes back on the sender.
const queueDepth = 16

var bufPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// action is the decision for one chunk read.
type action uint8

const (
	actForward action = iota
	actDiscard
	actClose
)

// chunk is bytes read from one side waiting to be written to the other.
// A chunk with a nil buf is the FIN.
type chunk struct {
	buf *[]byte
	n   int
	due time.Time // zero: write at once
}

// link is one proxied connection: client is the accepted side, server the
// dialed one.
type link struct {
	p    *Proxy
	id   uint64
	done chan struct{} // closed by close

	// tainted[d]: direction d discarded bytes or a FIN, so the stream has a
	// hole. Guarded by p.mu (decide, SetFaults).
	tainted [2]bool

	mu     sync.Mutex // guards the following
	client net.Conn
	server net.Conn // nil until dialed
	err    error    // why the link closed; nil while open or after a clean finish
	closed bool
}

func newLink(p *Proxy, id uint64, client net.Conn) *link {
	return &link{p: p, id: id, client: client, done: make(chan struct{})}
}

// taintedLocked reports whether direction d lost bytes. p.mu must be held.
func (l *link) taintedLocked(d Dir) bool { return l.tainted[d] }

// setServer installs the dialed connection, or closes it and reports false
// when the link was closed during the dial.
func (l *link) setServer(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return false
	}
	l.server = c
	return true
}

// close closes both connections once, recording the first cause; a nil
// cause is a clean finish.
func (l *link) close(cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed, l.err = true, cause
	close(l.done)
	l.client.Close()
	if l.server != nil {
		l.server.Close()
	}
}

func (l *link) cause() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// run pumps both directions until both finished with a FIN or the link
// was closed, then closes it.
func (l *link) run() {
	var wg sync.WaitGroup
	var finished [2]bool // finished[d]: the writer of d delivered the FIN
	ends := [2][2]net.Conn{Up: {l.client, l.server}, Down: {l.server, l.client}}
	for d, e := range ends {
		q := make(chan chunk, queueDepth)
		wg.Add(2)
		go func() { defer wg.Done(); l.read(Dir(d), e[0], q) }()
		go func() { defer wg.Done(); finished[d] = l.write(Dir(d), e[1], q) }()
	}
	wg.Wait()
	if finished[Up] && finished[Down] {
		l.close(nil)
	}
}

// read is the reader pump of direction d: it reads src and hands each chunk,
// then the FIN, to pass. It returns when src fails or ends, or pass says stop.
func (l *link) read(d Dir, src net.Conn, q chan<- chunk) {
	r := reader{l: l, d: d, q: q, rng: rand.New(rand.NewPCG(l.p.seed, l.id<<1|uint64(d)))}
	for {
		buf := bufPool.Get().(*[]byte)
		n, err := src.Read(*buf)
		if n == 0 {
			bufPool.Put(buf)
		} else if !r.pass(chunk{buf: buf, n: n}) {
			return
		}
		switch {
		case errors.Is(err, io.EOF):
			r.pass(chunk{})
			return
		case err != nil:
			l.close(err)
			return
		}
	}
}

// reader is the state of one direction's reader pump.
type reader struct {
	l    *link
	d    Dir
	q    chan<- chunk
	rng  *rand.Rand // Delay jitter; owned by the pump
	last time.Time  // due time of the previous chunk: order is kept
}

// pass applies the proxy's decision to c (a nil buf is the FIN): queue it,
// discard it or close the link. It reports whether the pump should go on.
func (r *reader) pass(c chunk) bool {
	l := r.l
	act, f := l.p.decide(l, r.d)
	if act != actForward && c.buf != nil {
		bufPool.Put(c.buf)
	}
	switch act {
	case actClose:
		l.close(errHealedOrDropped(f))
		return false
	case actDiscard:
		l.p.emit(Event{Kind: Discarded, Link: l.id, Dir: r.d, N: c.n})
		return true // a swallowed FIN ends the pump anyway; SetFaults closes the link on heal
	}
	if f.Mode == Delay {
		due := time.Now().Add(f.Fixed)
		if f.Jitter > 0 {
			due = due.Add(time.Duration(r.rng.Int64N(int64(f.Jitter))))
		}
		r.last = maxTime(r.last, due)
		c.due = r.last
	}
	select {
	case r.q <- c:
		return true
	case <-l.done:
		if c.buf != nil {
			bufPool.Put(c.buf)
		}
		return false
	}
}

// write is the writer pump of direction d: it writes queued chunks to dst
// when they are due and reports whether it delivered the FIN.
func (l *link) write(d Dir, dst net.Conn, q <-chan chunk) bool {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		var c chunk
		select {
		case c = <-q:
		case <-l.done:
			return false
		}
		if wait := time.Until(c.due); !c.due.IsZero() && wait > 0 {
			if t == nil {
				t = time.NewTimer(wait)
			} else {
				t.Reset(wait)
			}
			select {
			case <-t.C:
			case <-l.done:
				if c.buf != nil {
					bufPool.Put(c.buf)
				}
				return false
			}
		}
		if c.buf == nil {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				if err := cw.CloseWrite(); err != nil {
					l.close(err)
					return false
				}
			}
			return true
		}
		_, err := dst.Write((*c.buf)[:c.n])
		bufPool.Put(c.buf)
		if err != nil {
			l.close(err)
			return false
		}
		l.p.emit(Event{Kind: Forwarded, Link: l.id, Dir: d, N: c.n})
	}
}

func errHealedOrDropped(f Fault) error {
	if f.Mode == Drop {
		return errDropped
	}
	return errHealed
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
