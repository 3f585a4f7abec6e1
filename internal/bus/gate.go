package bus

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// refusalReportEvery bounds how often refused connections are logged: the
// first refusal is logged at once, later ones at most once per period
// with a count, so a flood of connections cannot flood the log too.
const refusalReportEvery = time.Second

// Gate admits unauthenticated client connections up to a total and a
// per-address cap (issue #15 item 3c). A connection holds its slot from
// AcceptClient, handshake included, until it is Authenticated or closed.
// One Gate is shared by every bus of a runtime (Hooks.Gate); it is safe
// for concurrent use.
type Gate struct {
	total, perAddr int

	mu sync.Mutex // guards the following fields
	// +checklocks:mu
	n int
	// +checklocks:mu
	byAddr map[string]int
	// +checklocks:mu
	refused int // refusals not yet reported
	// +checklocks:mu
	reported time.Time // when refusals were last reported
}

// NewGate returns a gate with cfg's caps (MaxUnauthenticated,
// MaxUnauthenticatedPerAddr; zero means the default).
func NewGate(cfg Config) *Gate {
	cfg = cfg.withDefaults()
	return &Gate{total: cfg.MaxUnauthenticated, perAddr: cfg.MaxUnauthenticatedPerAddr, byAddr: make(map[string]int)}
}

// Unauthenticated reports how many connections hold a slot.
func (g *Gate) Unauthenticated() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// ticket is one admitted connection's slot; release frees it once.
type ticket struct {
	g        *Gate
	key      string
	released atomic.Bool
}

func (t *ticket) release() {
	if t == nil || !t.released.CompareAndSwap(false, true) {
		return
	}
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if c := g.byAddr[t.key] - 1; c > 0 {
		g.byAddr[t.key] = c
	} else {
		delete(g.byAddr, t.key)
	}
}

// admit takes a slot for a connection from addr, or fails with
// ErrTooManyUnauthenticated.
func (g *Gate) admit(addr net.Addr) (*ticket, error) {
	key := addrKey(addr)
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.n >= g.total:
		g.refused++
		return nil, fmt.Errorf("%w: %d in total", ErrTooManyUnauthenticated, g.n)
	case g.byAddr[key] >= g.perAddr:
		g.refused++
		return nil, fmt.Errorf("%w: %d from %s", ErrTooManyUnauthenticated, g.byAddr[key], key)
	}
	return g.takeLocked(key), nil
}

// force takes a slot regardless of the caps: for a connection that was
// admitted once and logs out (it is not a new connection).
func (g *Gate) force(addr net.Addr) *ticket {
	key := addrKey(addr)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.takeLocked(key)
}

// g.mu must be held.
func (g *Gate) takeLocked(key string) *ticket {
	g.n++
	g.byAddr[key]++
	return &ticket{g: g, key: key}
}

// report returns how many refusals to log now: all of them since the last
// report, at most once per refusalReportEvery.
func (g *Gate) report(now time.Time) (int, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refused == 0 || (!g.reported.IsZero() && now.Sub(g.reported) < refusalReportEvery) {
		return 0, false
	}
	n := g.refused
	g.refused, g.reported = 0, now
	return n, true
}

// addrKey is the per-address key: the IP (IPv4-mapped IPv6 unmapped) of a
// TCP or UDP address, else the address's string.
func addrKey(a net.Addr) string {
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	case nil:
		return ""
	default:
		return a.String()
	}
	if na, ok := netip.AddrFromSlice(ip); ok {
		return na.Unmap().String()
	}
	return a.String()
}
