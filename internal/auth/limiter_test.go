package auth

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is the injected clock: time moves only when a test says so.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(1_700_000_000, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func newTestLimiter(cfg LimiterConfig) (*Limiter, *fakeClock) {
	c := new(fakeClock)
	cfg.Now = c.now
	return NewLimiter(cfg), c
}

var (
	addrA = netip.MustParseAddr("192.0.2.1")
	addrB = netip.MustParseAddr("192.0.2.2")
)

func mustAllow(t *testing.T, l *Limiter, addr netip.Addr, user string) {
	t.Helper()
	if ok, wait := l.Allow(addr, user); !ok || wait != 0 {
		t.Fatalf("Allow(%v, %q) = %v, %v; want allowed", addr, user, ok, wait)
	}
}

func mustRefuse(t *testing.T, l *Limiter, addr netip.Addr, user string, want time.Duration) {
	t.Helper()
	if ok, wait := l.Allow(addr, user); ok || wait != want {
		t.Fatalf("Allow(%v, %q) = %v, %v; want refused for %v", addr, user, ok, wait, want)
	}
}

// TestLimiterBackoffDoubles is issue #15 item 2 with the defaults: four
// failures are free, the fifth starts a 1 s back-off, each later failure
// doubles it up to 5 min, and a guesser who waits out every back-off
// keeps doubling it.
func TestLimiterBackoffDoubles(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	for range DefaultMaxFailures - 1 {
		mustAllow(t, l, addrA, "root")
		if d := l.Failed(addrA, "root"); d != 0 {
			t.Fatalf("back-off %v before %d failures", d, DefaultMaxFailures)
		}
	}
	want := time.Second
	for i := range 12 {
		mustAllow(t, l, addrA, "root")
		if d := l.Failed(addrA, "root"); d != want {
			t.Fatalf("failure %d: back-off %v, want %v", DefaultMaxFailures+i, d, want)
		}
		mustRefuse(t, l, addrA, "root", want)
		clk.advance(want - time.Millisecond)
		mustRefuse(t, l, addrA, "root", time.Millisecond)
		clk.advance(time.Millisecond)
		want = min(2*want, DefaultMaxDelay)
	}
	if want != DefaultMaxDelay {
		t.Fatalf("back-off never reached the cap: %v", want)
	}
}

// TestLimiterKeysAddressAndUser: an address that failed is refused for
// every username, and a username that failed from many addresses is
// refused from every address, while other addresses and other usernames
// go on.
func TestLimiterKeysAddressAndUser(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{MaxFailures: 3})
	// One address guessing many usernames.
	for i := range 3 {
		l.Failed(addrA, fmt.Sprint("user", i))
	}
	mustRefuse(t, l, addrA, "alice", time.Second)
	mustRefuse(t, l, addrA, "", time.Second) // a token login from it, too
	mustAllow(t, l, addrB, "alice")
	mustAllow(t, l, addrB, "user0")
	// Many addresses guessing one username.
	for i := range 3 {
		l.Failed(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), "root")
	}
	mustRefuse(t, l, addrB, "root", time.Second)
	mustAllow(t, l, addrB, "alice")
	mustAllow(t, l, netip.AddrFrom4([4]byte{198, 51, 100, 0}), "alice")
	// No address and no username: nothing to limit.
	mustAllow(t, l, netip.Addr{}, "")
}

// TestLimiterForgetsAfterQuiet: failures are forgotten once the key has
// been quiet for Window after its back-off ended, not before.
func TestLimiterForgetsAfterQuiet(t *testing.T) {
	const window = time.Minute
	l, clk := newTestLimiter(LimiterConfig{MaxFailures: 2, Window: window})
	l.Failed(addrA, "root")
	clk.advance(window - 1) // quiet, but not long enough
	l.Failed(addrA, "root")
	mustRefuse(t, l, addrA, "root", time.Second)
	clk.advance(time.Second + window - 1)
	l.Failed(addrA, "root") // still remembered: the back-off doubles
	mustRefuse(t, l, addrA, "root", 2*time.Second)
	clk.advance(2*time.Second + window)
	if a, u := l.Len(); a != 1 || u != 1 {
		t.Fatalf("Len before the lookup %d, %d", a, u)
	}
	mustAllow(t, l, addrA, "root")
	if a, u := l.Len(); a != 0 || u != 0 {
		t.Fatalf("forgotten keys still held: %d addresses, %d users", a, u)
	}
	if d := l.Failed(addrA, "root"); d != 0 {
		t.Fatalf("a forgotten key backs off at once: %v", d)
	}
}

// TestLimiterSucceededForgetsUserOnly: a successful login clears the
// username's failures, not the address's, so a guesser cannot reset its
// address by logging into an account of its own between guesses.
func TestLimiterSucceededForgetsUserOnly(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{MaxFailures: 2})
	l.Failed(addrA, "root")
	l.Failed(addrB, "root")
	mustRefuse(t, l, addrB, "root", time.Second)
	clk.advance(time.Second)
	l.Succeeded(addrB, "root")
	l.Failed(addrA, "mallory")
	mustRefuse(t, l, addrA, "bob", time.Second) // addrA: 2 failures
	// addrB's earlier failure still counts (root's does not): its second
	// failure starts a back-off.
	if d := l.Failed(addrB, "root"); d != time.Second {
		t.Fatalf("addrB's failure was forgotten: back-off %v, want 1s", d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.users.m["root"]; e == nil || e.failures != 1 {
		t.Fatalf("root's failures after a success: %+v", e)
	}
}

// TestLimiterBoundedMemory: an attacker rotating addresses and usernames
// cannot grow the tables past MaxEntries, and cannot erase a key that is
// backing off by flooding new keys that are not.
func TestLimiterBoundedMemory(t *testing.T) {
	const maxEntries = 100
	l, clk := newTestLimiter(LimiterConfig{MaxEntries: maxEntries, MaxFailures: 3})
	for range 3 {
		l.Failed(addrA, "root")
	}
	for i := range 10_000 {
		clk.advance(time.Microsecond) // 10 ms in all: root still backs off
		l.Failed(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), fmt.Sprint("guess", i))
		if a, u := l.Len(); a > maxEntries || u > maxEntries {
			t.Fatalf("after %d keys: %d addresses, %d users held", i, a, u)
		}
	}
	if ok, _ := l.Allow(addrB, "root"); ok {
		t.Fatal("the flood evicted root's back-off")
	}
	if ok, _ := l.Allow(addrA, "alice"); ok {
		t.Fatal("the flood evicted addrA's back-off")
	}
}

// TestLimiterAddressKey: the port never matters, IPv4-mapped IPv6 is
// IPv4, and an IPv6 host is keyed by its /64, which it can rotate
// through.
func TestLimiterAddressKey(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{MaxFailures: 1})
	l.Failed(AddrOf(&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 50000}), "")
	mustRefuse(t, l, AddrOf(&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 50001}), "", time.Second)
	mustRefuse(t, l, AddrOf(&net.UDPAddr{IP: net.ParseIP("192.0.2.7"), Port: 443}), "", time.Second)
	mustAllow(t, l, netip.MustParseAddr("192.0.2.8"), "")

	l.Failed(netip.MustParseAddr("2001:db8:1:2::1"), "")
	mustRefuse(t, l, netip.MustParseAddr("2001:db8:1:2:ffff::9"), "", time.Second)
	mustRefuse(t, l, netip.MustParseAddr("2001:db8:1:2::1%eth0"), "", time.Second)
	mustAllow(t, l, netip.MustParseAddr("2001:db8:1:3::1"), "")

	for _, c := range []struct {
		in   net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, "2001:db8::1"},
		{&net.IPAddr{IP: net.ParseIP("192.0.2.9")}, "192.0.2.9"},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, "invalid IP"},
		{nil, "invalid IP"},
	} {
		if got := AddrOf(c.in).String(); got != c.want {
			t.Errorf("AddrOf(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestLimiterLogsFailures: each failure is logged at Info with the
// remote address and the username (quoted, so a hostile name cannot
// forge log lines) and the back-off it started.
func TestLimiterLogsFailures(t *testing.T) {
	var buf bytes.Buffer
	l, _ := newTestLimiter(LimiterConfig{MaxFailures: 2, Log: slog.New(slog.NewTextHandler(&buf, nil))})
	l.Failed(addrA, "root")
	l.Failed(addrA, "evil\nlevel=ERROR msg=forged")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines: %q", len(lines), buf.String())
	}
	for i, want := range []string{
		`level=INFO msg="login failed" addr=192.0.2.1 user=root addr_failures=1 user_failures=1 backoff=0s`,
		`level=INFO msg="login failed" addr=192.0.2.1 user="evil\nlevel=ERROR msg=forged" addr_failures=2 user_failures=1 backoff=1s`,
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("log line %d:\n%s\nwant it to contain\n%s", i, lines[i], want)
		}
	}
}

// TestLimiterConcurrent: concurrent Allow, Failed and Succeeded keep the
// tables consistent (run it under -race).
func TestLimiterConcurrent(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{MaxEntries: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				addr := netip.AddrFrom4([4]byte{10, 0, byte(g), byte(i % 64)})
				user := fmt.Sprint("u", i%70)
				l.Allow(addr, user)
				if i%7 == 0 {
					l.Succeeded(addr, user)
				} else {
					l.Failed(addr, user)
				}
				clk.advance(time.Millisecond)
			}
		})
	}
	wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	checkTable(t, &l.addrs)
	checkTable(t, &l.users)
}

// checkTable checks table's invariants: the map and the list hold the
// same entries, at most max, ordered by last failure.
func checkTable[K comparable](t *testing.T, tb *table[K]) {
	t.Helper()
	n := 0
	for e := tb.root.next; e != &tb.root; e = e.next {
		if tb.m[e.key] != e || e.next.prev != e {
			t.Fatalf("entry %v is not linked or indexed", e.key)
		}
		if e.next != &tb.root && e.next.last.After(e.last) {
			t.Fatalf("list out of order at %v", e.key)
		}
		n++
	}
	if n != len(tb.m) || n > tb.max {
		t.Fatalf("list %d, map %d, max %d", n, len(tb.m), tb.max)
	}
}

// TestLimiterGuessRate: a guesser on one address that retries the moment
// each back-off ends gets 24 guesses in its first hour and 12 an hour
// after that, against about 115,000 an hour (32/s) with no limiter.
func TestLimiterGuessRate(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	guesses := func(d time.Duration) int {
		n := 0
		for end := clk.now().Add(d); clk.now().Before(end); {
			if ok, wait := l.Allow(addrA, "root"); !ok {
				clk.advance(wait)
				continue
			}
			l.Failed(addrA, "root")
			n++
		}
		return n
	}
	if first, second := guesses(time.Hour), guesses(time.Hour); first != 24 || second != 12 {
		t.Fatalf("%d guesses in the first hour, %d in the second; want 24 and 12", first, second)
	}
}
