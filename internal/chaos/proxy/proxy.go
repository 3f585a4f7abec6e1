package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
)

// Config configures a Proxy.
type Config struct {
	// Listen is the loopback host:port to accept on; port 0 picks a free
	// one (see Proxy.Addr).
	Listen string
	// Target is the loopback host:port every accepted connection is
	// forwarded to.
	Target string
	// Seed seeds the Delay jitter. Link n's direction d draws from a PCG
	// stream seeded by (Seed, 2n+d), n counting accepted connections from 0.
	Seed uint64
	// Observe, if set, is called for every Event, synchronously from the
	// goroutine that caused it and with no lock held. It must not block for
	// long: it stalls the link's direction. It may call SetFault(s) and
	// Faults, but not Close, which waits for the calling goroutine.
	Observe func(Event)
}

// EventKind says what happened in an Event.
type EventKind uint8

const (
	// Refused: an accepted connection was closed at once (Drop).
	Refused EventKind = iota
	// Forwarded: N bytes were written to the far end.
	Forwarded
	// Discarded: N bytes (or, with N == 0, a FIN) were read and dropped
	// (Blackhole).
	Discarded
	// Closed: the link ended; Err says why (nil: both directions finished
	// with a FIN).
	Closed
)

func (k EventKind) String() string {
	switch k {
	case Refused:
		return "refused"
	case Forwarded:
		return "forwarded"
	case Discarded:
		return "discarded"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one observable action of a Proxy, for tests and run logs.
type Event struct {
	Kind EventKind
	Link uint64 // the link's number, counting accepted connections from 0
	Dir  Dir    // Forwarded, Discarded
	N    int    // bytes, for Forwarded and Discarded
	Err  error  // Closed
}

// Proxy forwards connections accepted on a loopback address to a loopback
// target, applying the current faults to each direction. It is safe for
// concurrent use.
type Proxy struct {
	ln      net.Listener
	target  string
	seed    uint64
	observe func(Event)
	ctx     context.Context // cancelled by Close: aborts dials in flight
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the accept loop and every serve goroutine

	mu     sync.Mutex // guards the following
	faults [2]Fault   // indexed by Dir
	links  map[*link]struct{}
	nextID uint64
	closed bool
}

// New listens on cfg.Listen and starts forwarding to cfg.Target in Pass
// mode. Both must be loopback addresses (ErrNotLoopback).
func New(cfg Config) (*Proxy, error) {
	listen, err := loopback(cfg.Listen)
	if err != nil {
		return nil, err
	}
	target, err := loopback(cfg.Target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("proxy: listen %s: %w", listen, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		ln: ln, target: target, seed: cfg.Seed, observe: cfg.Observe,
		ctx: ctx, cancel: cancel, links: map[*link]struct{}{},
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// SetFault sets the same fault on both directions.
func (p *Proxy) SetFault(f Fault) error { return p.SetFaults(f, f) }

// SetFaults sets the fault of each direction. It takes effect for the next
// chunk read in each direction; chunks already queued by Delay are still
// written. Drop closes every connection now. A connection that discarded
// bytes in a direction that is no longer Blackhole is closed now.
func (p *Proxy) SetFaults(up, down Fault) error {
	if err := errors.Join(up.validate(), down.validate()); err != nil {
		return err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.faults = [2]Fault{up, down}
	drop := up.Mode == Drop || down.Mode == Drop
	var doomed []*link
	for l := range p.links {
		if drop || l.taintedLocked(Up) && up.Mode != Blackhole || l.taintedLocked(Down) && down.Mode != Blackhole {
			doomed = append(doomed, l)
		}
	}
	p.mu.Unlock()
	for _, l := range doomed {
		l.close(errDropped)
	}
	return nil
}

// Faults returns the current fault of each direction.
func (p *Proxy) Faults() (up, down Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults[Up], p.faults[Down]
}

// Close stops accepting, closes every connection and waits for every
// goroutine of the proxy. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	p.cancel()
	err := p.ln.Close()
	for _, l := range links {
		l.close(ErrClosed)
	}
	p.wg.Wait()
	return err
}

var (
	errDropped = errors.New("proxy: dropped")
	errHealed  = errors.New("proxy: closed after losing bytes to a blackhole")
)

func (p *Proxy) emit(e Event) {
	if p.observe != nil {
		p.observe(e)
	}
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed by Close; any other accept error also ends the proxy
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		id := p.nextID
		p.nextID++
		if p.faults[Up].Mode == Drop || p.faults[Down].Mode == Drop {
			p.mu.Unlock()
			c.Close()
			p.emit(Event{Kind: Refused, Link: id})
			continue
		}
		l := newLink(p, id, c)
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(l)
	}
}

// serve dials the target, runs the link's four pumps and waits for them.
func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	var d net.Dialer
	server, err := d.DialContext(p.ctx, "tcp", p.target)
	if err == nil && !isLoopbackAddr(server.RemoteAddr()) {
		server.Close()
		err = fmt.Errorf("%w: dialed %s", ErrNotLoopback, server.RemoteAddr())
	}
	if err != nil {
		l.close(fmt.Errorf("proxy: dial %s: %w", p.target, err))
	} else if l.setServer(server) {
		l.run()
	}
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
	p.emit(Event{Kind: Closed, Link: l.id, Err: l.cause()})
}

// decide is the per-chunk fault decision for direction d of l: forward
// (with the chunk's due time, zero for now), discard, or close the link.
func (p *Proxy) decide(l *link, d Dir) (act action, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f = p.faults[d]
	switch {
	case f.Mode == Drop || p.faults[d^1].Mode == Drop:
		return actClose, f
	case f.Mode == Blackhole:
		l.tainted[d] = true
		return actDiscard, f
	case l.tainted[d]:
		return actClose, f
	}
	return actForward, f
}
