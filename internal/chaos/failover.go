package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/chaos/history"
)

// Failover is the result of MeasureFailover: for each leader kill, the
// time from the last write acknowledged before the kill to the first one
// acknowledged after it.
type Failover struct {
	Gaps []time.Duration
}

func (f Failover) sorted() []time.Duration { return slices.Sorted(slices.Values(f.Gaps)) }

// Min is the shortest gap.
func (f Failover) Min() time.Duration { return f.sorted()[0] }

// Max is the longest gap.
func (f Failover) Max() time.Duration { return f.sorted()[len(f.Gaps)-1] }

// Median is the middle gap (the mean of the two middle ones for an even
// count).
func (f Failover) Median() time.Duration {
	s := f.sorted()
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// acks is the acknowledgement times of a writer. It is safe for
// concurrent use.
type acks struct {
	mu    sync.Mutex // guards times
	times []time.Time
	more  chan struct{} // gets a token after each ack (capacity 1)
}

func (a *acks) add(t time.Time) {
	a.mu.Lock()
	a.times = append(a.times, t)
	a.mu.Unlock()
	select {
	case a.more <- struct{}{}:
	default:
	}
}

// wait returns once cond holds for the acks so far, or fails at deadline.
func (a *acks) wait(ctx context.Context, deadline time.Time, cond func([]time.Time) bool) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		a.mu.Lock()
		ok := cond(a.times)
		a.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-a.more:
		case <-timer.C:
			return errors.New("chaos: no acknowledged write in time")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Failover message batches: failoverBatch messages of failoverPayload
// bytes a send.
const (
	failoverBatch   = 100
	failoverPayload = 1024
)

// MeasureFailover starts a cluster as a cluster run does (cfg's Nodes,
// Binary, Dir, Seed), runs one writer through the client package, and
// kills -9 the leader kills times: after each kill it waits for the
// writer's first acknowledged write, restarts the killed node from its
// data directory and waits for every node to agree before the next kill.
// The writer creates streams back to back or, with messages, sends
// batches of failoverBatch messages of failoverPayload bytes to the
// partitions of a topic made first, in turn (each send replicated by the
// partition's group). trace, if set, gets a line per kill.
func MeasureFailover(ctx context.Context, cfg Config, kills int, messages bool, trace func(string)) (f Failover, err error) {
	if kills < 1 || cfg.Nodes < 3 {
		return f, errors.New("chaos: failover needs at least one kill and three nodes")
	}
	dir, cleanup, err := clusterDir(cfg.Dir)
	if err != nil {
		return f, err
	}
	defer func() { cleanup(err == nil) }()
	bin := cfg.Binary
	if bin == "" {
		if bin, err = BuildServer(ctx, dir); err != nil {
			return f, err
		}
	}
	c, err := startCluster(ctx, bin, dir, cfg.Nodes, cfg.Seed)
	if err != nil {
		return f, err
	}
	defer func() { err = errors.Join(err, c.close()) }()

	write := func(cl *client.Client, ctx context.Context, n int) error {
		_, err := cl.CreateStream(ctx, fmt.Sprintf("failover-%d", n))
		return err
	}
	if messages {
		if _, err := setupMessages(ctx, c, history.NewRecorder(nil)); err != nil {
			return f, err
		}
		batch := make([]client.Message, failoverBatch)
		for i := range batch {
			batch[i].Payload = bytes.Repeat([]byte{byte('a' + i%26)}, failoverPayload)
		}
		write = func(cl *client.Client, ctx context.Context, n int) error {
			_, err := cl.SendMessages(ctx, client.NamedID(msgStream), client.NamedID(msgTopic), client.PartitionID(uint32(n%msgPartitions)), batch)
			return err
		}
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	a := &acks{more: make(chan struct{}, 1)}
	var hold sync.Mutex // held by the writer around each write, by the check while the nodes converge
	wg.Go(func() { writer(wctx, c.addrs(), a, &hold, write) })
	defer func() { stop(); wg.Wait() }()

	for k := range kills {
		leader, err := c.waitLeader(ctx, 30*time.Second)
		if err != nil {
			return f, err
		}
		// A few acknowledged writes first: the writer is on the leader.
		var base int
		a.mu.Lock()
		base = len(a.times)
		a.mu.Unlock()
		if err := a.wait(ctx, time.Now().Add(30*time.Second), func(t []time.Time) bool { return len(t) >= base+3 }); err != nil {
			return f, err
		}
		killed := time.Now()
		if err := c.procs[leader].kill(); err != nil {
			return f, err
		}
		var before, after time.Time
		err = a.wait(ctx, killed.Add(60*time.Second), func(ts []time.Time) bool {
			i, _ := slices.BinarySearchFunc(ts, killed, func(t, k time.Time) int { return t.Compare(k) })
			if i < len(ts) && i > 0 {
				before, after = ts[i-1], ts[i]
				return true
			}
			return false
		})
		if err != nil {
			return f, fmt.Errorf("kill %d (leader %d): %w", k+1, leader, err)
		}
		gap := after.Sub(before)
		f.Gaps = append(f.Gaps, gap)
		if trace != nil {
			trace(fmt.Sprintf("kill %2d: leader %d; last ack %v before the kill, first ack %v after it: %v",
				k+1, leader, killed.Sub(before).Round(time.Millisecond), after.Sub(killed).Round(time.Millisecond), gap.Round(time.Millisecond)))
		}
		if err := c.procs[leader].start(); err != nil {
			return f, err
		}
		hold.Lock()
		_, err = c.converged(ctx, converge)
		hold.Unlock()
		if err != nil {
			return f, fmt.Errorf("after kill %d: %w", k+1, err)
		}
	}
	return f, nil
}

// writer runs write back to back (n counting up) until ctx ends, adding
// the time of each acknowledged write to a. It holds hold around each
// write.
func writer(ctx context.Context, addrs string, a *acks, hold *sync.Mutex, write func(*client.Client, context.Context, int) error) {
	var cl *client.Client
	defer func() {
		if cl != nil {
			cl.Close()
		}
	}()
	for n := 0; ctx.Err() == nil; n++ {
		if cl == nil {
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			c, err := client.Dial(dctx, addrs, client.WithCredentials("iggy", "iggy"), client.WithHeartbeat(0),
				client.WithTransientWindow(30*time.Second))
			cancel()
			if err != nil {
				select { // no node answered: try again shortly
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
			cl = c
		}
		hold.Lock()
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := write(cl, octx, n)
		cancel()
		hold.Unlock()
		if err == nil {
			a.add(time.Now())
		}
	}
}
