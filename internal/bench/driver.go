package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one role of one run: what a target did for a workload over a
// transport.
type Result struct {
	Target    string  `json:"target"`          // shoal, nats, nats-js, floor; shoal-cluster, nats-r3, nats-r3-always
	Round     int     `json:"round,omitempty"` // -cluster: which of the -rounds
	Workload  string  `json:"workload"`
	Transport string  `json:"transport"`
	Role      string  `json:"role"` // echo, send, poll
	Actors    int     `json:"actors"`
	Messages  int64   `json:"messages"`
	Bytes     int64   `json:"bytes"`
	Seconds   float64 `json:"seconds"`
	MsgsPerS  float64 `json:"msgs_per_s"`
	MBPerS    float64 `json:"mb_per_s"`
	Latency   Latency `json:"latency"` // per request: a batch sent or polled, a ping
	// Series is messages/s in each tick, from the start of the run.
	Series []float64 `json:"series"`
	TickMS float64   `json:"tick_ms"`
	Note   string    `json:"note,omitempty"`
}

// errDone is returned by an op when its actor has nothing more to do.
var errDone = errors.New("done")

// op does one request and returns the messages it carried; 0 (an empty
// poll) records no latency.
type op func(ctx context.Context) (int, error)

// role is a set of actors doing the same kind of request.
type role struct {
	name     string
	msgBytes int  // bytes per message, for MB/s
	ops      []op // one per actor
	done     func()

	count atomic.Int64
	hist  Histogram
}

// budget hands out a fixed number of messages in batches; a zero total is
// unlimited.
type budget struct {
	total int64
	used  atomic.Int64
}

// take claims up to n messages and returns how many were granted.
func (b *budget) take(n int) int {
	if b == nil || b.total == 0 {
		return n
	}
	end := b.used.Add(int64(n))
	if left := b.total - (end - int64(n)); left < int64(n) {
		return int(max(left, 0))
	}
	return n
}

// pacer spaces requests to a rate in messages/s shared by all actors.
type pacer struct {
	mu   sync.Mutex
	per  time.Duration // per message
	next time.Time
}

func newPacer(rate int64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{per: time.Second / time.Duration(rate)}
}

func (p *pacer) wait(ctx context.Context, n int) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(time.Duration(n) * p.per)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// over reports whether ctx has ended or its deadline has passed (a
// client may see the deadline before ctx.Err does).
func over(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// run is one measured run: roles that go at once.
type run struct {
	target, workload, transport string
	roles                       []*role
	note                        string
}

// drive runs every actor of r until it reports errDone, fails, or ctx
// ends, and returns one Result per role. A progress line goes to progress
// (if not nil) every tick.
func drive(ctx context.Context, r *run, tick time.Duration, progress io.Writer) ([]Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	start := time.Now()
	var all sync.WaitGroup
	for _, ro := range r.roles {
		var wg sync.WaitGroup
		hists := make([]Histogram, len(ro.ops))
		for i, o := range ro.ops {
			h := &hists[i]
			wg.Go(func() {
				for ctx.Err() == nil {
					t0 := time.Now()
					n, err := o(ctx)
					if err != nil {
						if !errors.Is(err, errDone) && !over(ctx) {
							fail(fmt.Errorf("%s %s %s: %w", r.target, r.workload, ro.name, err))
						}
						return
					}
					if n > 0 {
						h.Record(time.Since(t0))
						ro.count.Add(int64(n))
					}
				}
			})
		}
		all.Go(func() {
			wg.Wait()
			for i := range hists {
				ro.hist.Merge(&hists[i])
			}
			if ro.done != nil {
				ro.done()
			}
		})
	}
	finished := make(chan struct{})
	go func() { all.Wait(); close(finished) }()

	series := make([][]float64, len(r.roles))
	last := make([]int64, len(r.roles))
	lastT := start
	t := time.NewTicker(tick)
	defer t.Stop()
	sample := func(now time.Time) {
		dt := now.Sub(lastT).Seconds()
		if dt <= 0 {
			return
		}
		line := fmt.Sprintf("\r%-6s %-28s %-4s %5.1fs", r.target, r.workload, r.transport, now.Sub(start).Seconds())
		for i, ro := range r.roles {
			c := ro.count.Load()
			series[i] = append(series[i], float64(c-last[i])/dt)
			last[i] = c
			line += fmt.Sprintf("  %s %d msgs %.0f msg/s", ro.name, c, series[i][len(series[i])-1])
		}
		lastT = now
		if progress != nil {
			fmt.Fprintf(progress, "%s\x1b[K", line)
		}
	}
loop:
	for {
		select {
		case now := <-t.C:
			sample(now)
		case <-finished:
			break loop
		}
	}
	end := time.Now()
	if end.Sub(lastT) >= tick/4 || len(series[0]) == 0 {
		sample(end)
	}
	if progress != nil {
		fmt.Fprint(progress, "\r\x1b[K")
	}
	if firstErr != nil {
		return nil, firstErr
	}
	secs := end.Sub(start).Seconds()
	out := make([]Result, 0, len(r.roles))
	for i, ro := range r.roles {
		n := ro.count.Load()
		res := Result{Target: r.target, Workload: r.workload, Transport: r.transport, Role: ro.name,
			Actors: len(ro.ops), Messages: n, Bytes: n * int64(ro.msgBytes), Seconds: secs,
			Latency: ro.hist.Summary(), Series: series[i], TickMS: float64(tick) / 1e6, Note: r.note}
		if secs > 0 {
			res.MsgsPerS = float64(n) / secs
			res.MBPerS = float64(res.Bytes) / secs / 1e6
		}
		out = append(out, res)
	}
	return out, nil
}
