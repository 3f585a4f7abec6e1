package auth

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Limiter defaults: 5 failures start a 1 s back-off, which doubles with
// every further failure up to 5 min; 15 min of quiet after the back-off
// forget a key; each table holds at most 10,000 keys.
const (
	DefaultMaxFailures = 5
	DefaultWindow      = 15 * time.Minute
	DefaultBaseDelay   = time.Second
	DefaultMaxDelay    = 5 * time.Minute
	DefaultMaxEntries  = 10_000
)

// evictScan is how many of the oldest keys eviction looks at for one that
// is not backing off, before it evicts the oldest anyway.
const evictScan = 8

// LimiterConfig configures a Limiter. Zero fields take the defaults.
type LimiterConfig struct {
	// MaxFailures is the number of failures of one key after which it backs
	// off: the MaxFailures-th failure starts a BaseDelay back-off and each
	// later one doubles it, up to MaxDelay.
	MaxFailures int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	// Window: a key's failures are forgotten once Window has passed since
	// both its last failure and the end of its back-off. A guesser who
	// waits out each back-off therefore keeps doubling it.
	Window time.Duration
	// MaxEntries bounds each table (addresses, usernames). A full table
	// evicts the key whose last failure is oldest, preferring keys that
	// are not backing off, so a flood of new keys cannot grow memory or
	// cheaply erase a back-off.
	MaxEntries int
	// Now is the clock (nil: time.Now). Tests inject one.
	Now func() time.Time
	// Log gets one Info record per failed login, with the remote address,
	// the username and the back-off it caused (nil: no logging). Refused
	// attempts are not logged one by one: a guesser could flood the log.
	Log *slog.Logger
}

// Limiter slows password guessing (issue #15 item 2). It counts failed
// logins per remote address (the IP, without the port; an IPv6 address
// by its /64, which one host can rotate through) and per username, and
// makes a key that failed too often wait, with exponential back-off.
// Allow is checked before a password check is queued, so a guesser costs
// the server no argon2 work while backing off and other clients keep
// their latency.
//
// Memory is bounded: each table holds at most MaxEntries keys. A Limiter
// starts no goroutines and is safe for concurrent use.
type Limiter struct {
	cfg LimiterConfig // defaults filled in; read-only

	mu    sync.Mutex
	addrs table[netip.Addr] // +checklocks:mu
	users table[string]     // +checklocks:mu
}

// NewLimiter returns a Limiter configured by cfg.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.MaxFailures < 1 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = DefaultBaseDelay
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = DefaultMaxDelay
	}
	cfg.MaxDelay = max(cfg.MaxDelay, cfg.BaseDelay)
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxEntries < 1 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Limiter{cfg: cfg}
	l.addrs.init(cfg.MaxEntries)
	l.users.init(cfg.MaxEntries)
	return l
}

// Allow reports whether a login from addr as user may be checked now. If
// not, retryAfter is how long the longer of the two back-offs still runs.
// An invalid addr or an empty user is not looked up (a token login passes
// user "", and is limited by its address only).
func (l *Limiter) Allow(addr netip.Addr, user string) (ok bool, retryAfter time.Duration) {
	now := l.cfg.Now()
	key, hasAddr := addrKey(addr)
	l.mu.Lock()
	if hasAddr {
		retryAfter = l.addrs.wait(key, now, l.cfg.Window)
	}
	if user != "" {
		retryAfter = max(retryAfter, l.users.wait(user, now, l.cfg.Window))
	}
	l.mu.Unlock()
	return retryAfter == 0, retryAfter
}

// Failed records a failed login from addr as user (wrong password,
// unknown user, or a bad token with user "") and returns the back-off it
// starts, 0 if none. It logs the failure at Info.
func (l *Limiter) Failed(addr netip.Addr, user string) time.Duration {
	key, hasAddr := addrKey(addr)
	var addrFailures, userFailures int
	var wait time.Duration
	l.mu.Lock()
	// Read under the lock: the tables keep their entries in order of last
	// failure, which two failures timed outside it could break.
	now := l.cfg.Now()
	if hasAddr {
		e := l.addrs.fail(key, now, &l.cfg)
		addrFailures, wait = e.failures, e.until.Sub(now)
	}
	if user != "" {
		e := l.users.fail(user, now, &l.cfg)
		userFailures, wait = e.failures, max(wait, e.until.Sub(now))
	}
	l.mu.Unlock()
	wait = max(wait, 0)
	if l.cfg.Log != nil {
		l.cfg.Log.Info("login failed", "addr", addr, "user", user,
			"addr_failures", addrFailures, "user_failures", userFailures, "backoff", wait)
	}
	return wait
}

// Succeeded records a successful login as user: the user's failures are
// forgotten. The address's are not: a guesser holding one valid account
// could otherwise log into it between guesses at others to reset its
// address; the address's count fades after Window of quiet instead.
func (l *Limiter) Succeeded(_ netip.Addr, user string) {
	if user == "" {
		return
	}
	l.mu.Lock()
	l.users.forget(user)
	l.mu.Unlock()
}

// Len returns the number of addresses and usernames held, for metrics and
// tests.
func (l *Limiter) Len() (addrs, users int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.addrs.m), len(l.users.m)
}

// AddrOf returns the IP of a connection's remote address, without port
// or zone: the address key for Allow, Failed and Succeeded. It is the
// zero Addr (never limited) for an address that carries no IP, such as an
// in-memory transport's.
func AddrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case nil:
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	ip, _ := netip.ParseAddr(a.String())
	return ip.Unmap().WithZone("")
}

// addrKey returns the table key of addr: an IPv4 address itself (also
// when written IPv4-mapped), an IPv6 address's /64 prefix, zone dropped.
func addrKey(addr netip.Addr) (netip.Addr, bool) {
	if !addr.IsValid() {
		return netip.Addr{}, false
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		p, _ := addr.Prefix(64) // cannot fail: a zoneless IPv6 address
		addr = p.Addr()
	}
	return addr, true
}
