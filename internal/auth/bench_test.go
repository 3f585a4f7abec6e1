package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
)

// BenchmarkLimiterAllow is the cost Allow adds to every login: a key
// with failures, a key never seen, a key backing off.
func BenchmarkLimiterAllow(b *testing.B) {
	l, _ := newTestLimiter(LimiterConfig{MaxFailures: 3})
	l.Failed(addrA, "alice")
	for range 3 {
		l.Failed(addrB, "root")
	}
	for _, c := range []struct {
		name string
		addr netip.Addr
		user string
	}{
		{"known", addrA, "alice"},
		{"unknown", netip.MustParseAddr("203.0.113.5"), "bob"},
		{"backing-off", addrB, "root"},
		{"token", netip.MustParseAddr("2001:db8::1"), ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Allow(c.addr, c.user)
			}
		})
	}
}

// BenchmarkLimiterFailed is the cost of recording a failure, with the
// tables full (every failure evicts a key), without logging.
func BenchmarkLimiterFailed(b *testing.B) {
	l, clk := newTestLimiter(LimiterConfig{MaxEntries: 1024})
	users := make([]string, 4096)
	for i := range users {
		users[i] = fmt.Sprint("user", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		clk.advance(time.Microsecond)
		l.Failed(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), users[i%len(users)])
		i++
	}
}

// BenchmarkPoolSubmit is the cost of Submit from many goroutines, for
// checks that are accepted (a wide queue) and for checks refused with
// ErrBusy (workers held, queue full).
func BenchmarkPoolSubmit(b *testing.B) {
	b.Run("accepted", func(b *testing.B) {
		p := NewPool(0, 1<<16)
		defer p.Close()
		f := func() {}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				for p.Submit(context.Background(), f) != nil {
				}
			}
		})
	})
	b.Run("busy", func(b *testing.B) {
		p := NewPool(1, 1)
		release := make(chan struct{})
		held := make(chan struct{})
		p.Submit(context.Background(), func() { close(held); <-release })
		<-held
		p.Submit(context.Background(), func() {})
		defer p.Close()
		defer close(release)
		f := func() {}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !errors.Is(p.Submit(context.Background(), f), ErrBusy) {
					panic("accepted")
				}
			}
		})
	})
}

// argon2Check returns a password check at production cost (argon2id, 19
// MiB, 2 passes) that always fails, as a guess does.
func argon2Check(b *testing.B) func() {
	h, err := metadata.HashPassword("right password", metadata.DefaultHashParams, nil)
	if err != nil {
		b.Fatal(err)
	}
	return func() {
		if h.Verify("wrong password") {
			panic("verified")
		}
	}
}

// floodPool submits n checks from n goroutines at once and waits for
// the accepted ones to finish; it returns how many were accepted.
func floodPool(p *Pool, n int, check func()) int {
	var wg, ran sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			ran.Add(1)
			if p.Submit(context.Background(), func() { defer ran.Done(); check() }) != nil {
				ran.Done()
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	ran.Wait()
	return accepted
}

// BenchmarkLoginFlood is 10,000 concurrent bad logins at production
// argon2id cost through a default Pool. Its peak RSS (peak-RSS-MiB, from
// getrusage, for the whole process) is meaningful when it runs alone:
//
//	go test -run '^$' -bench 'LoginFlood$' -benchtime 1x ./internal/auth
func BenchmarkLoginFlood(b *testing.B) {
	check := argon2Check(b)
	p := NewPool(0, 0)
	defer p.Close()
	b.ReportAllocs()
	accepted := 0
	for b.Loop() {
		accepted = floodPool(p, 10_000, check)
	}
	b.ReportMetric(float64(accepted), "accepted/op")
	reportPeakRSS(b)
}

// BenchmarkLoginFloodUnbounded is the old behaviour for comparison: one
// goroutine per check. It runs 64 checks, not 10,000 (about 1.2 GiB;
// 10,000 would need about 190 GiB). Run it alone, like LoginFlood.
func BenchmarkLoginFloodUnbounded(b *testing.B) {
	check := argon2Check(b)
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(check)
		}
		wg.Wait()
	}
	reportPeakRSS(b)
}
