package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shoal-io/shoal/internal/chaos/history"
)

var (
	// ErrLostMetadata is wrapped by a cluster run's Result.Err when a node
	// lacks a stream or user whose creation was acknowledged (and that was
	// not deleted or renamed since), or has one that no operation could
	// have made or that an acknowledged delete removed.
	ErrLostMetadata = errors.New("chaos: acknowledged metadata change lost")
	// ErrDiverged is wrapped when the healed nodes do not converge on the
	// same streams, topics and users.
	ErrDiverged = errors.New("chaos: nodes disagree")
)

// converge bounds the wait, after the heal, for every node to report the
// same metadata.
const converge = 60 * time.Second

// runCluster is Run for LayoutCluster: Nodes shoal-server processes (see
// cluster), one metaClient per node, every client reaching the cluster
// through the client package with every node's address; a clusterNemesis
// changing faults every FaultEvery; then the heal, final reads of every
// stream into the history, and the checks: linearizability of the
// metadata history, every node converging on the same state, and that
// state keeping every acknowledged change (checkFinal).
func runCluster(ctx context.Context, cfg Config) (res Result) {
	dir, cleanup, err := clusterDir(cfg.Dir)
	if err != nil {
		return Result{Err: err}
	}
	defer func() { cleanup(res.Err == nil) }()
	bin := cfg.Binary
	if bin == "" {
		if bin, err = BuildServer(ctx, dir); err != nil {
			return Result{Err: err}
		}
	}
	c, err := startCluster(ctx, bin, dir, cfg.Nodes, cfg.Seed)
	if err != nil {
		return Result{Err: err}
	}
	defer func() { res.Err = errors.Join(res.Err, c.close()) }()

	// Monotonic stamps (ns since the start) line the history up with the
	// fault trace; the recorder stamps under its lock, so they order
	// events as a logical clock would.
	clock := history.NewMonotonicClock()
	rec := history.NewRecorder(clock)
	var trace []string
	nem := &clusterNemesis{c: c, rng: rand.New(rand.NewPCG(cfg.Seed, 1<<32)), faults: cfg.Faults, start: time.Now(),
		trace: func(line string) {
			trace = append(trace, line)
			if cfg.Trace != nil {
				cfg.Trace(line)
			}
		}}
	defer func() {
		if res.Err != nil {
			res.Err = errors.Join(res.Err, dumpRun(dir, rec.Ops(), trace))
		}
	}()
	ids, err := setupMessages(ctx, c, rec)
	if err == nil {
		nem.log("message stream and topic made")
		err = clusterWorkload(ctx, cfg, c, rec, nem)
	}
	res.FaultChanges = nem.count
	if err == nil {
		err = nem.heal()
		nem.log("end of the workload: heal")
	}
	var views []nodeView
	if err == nil {
		if err = finalReads(ctx, cfg, c, rec); err == nil {
			err = finalMessages(ctx, c, rec)
		}
		if err == nil {
			nem.log("final reads done")
			if views, err = c.converged(ctx, converge); err == nil {
				nem.log("every node agrees")
			}
		}
	}
	var replicas error
	if err == nil {
		// Stopped nodes' partition files, read here, against each other.
		for _, p := range c.procs {
			err = errors.Join(err, p.kill())
		}
		if err == nil && views[0].Leader < 0 {
			err = fmt.Errorf("%w: no leader after the heal", ErrDiverged)
		}
		if err == nil {
			res.Replicated, replicas = c.checkReplicas(views[0].Leader, ids)
			nem.log("replicas compared")
		}
	}
	ops := rec.Ops()
	res.count(ops)
	if err != nil {
		res.Err = fmt.Errorf("%w (logs in %s)", err, dir)
		return res
	}
	opt := history.Options{Timeout: time.Minute, SplitLists: true, AtLeastOnce: true}
	res.Report = history.Report{
		Verdicts:   []history.Verdict{history.CheckMetadata(ops, opt), history.CheckLog(ops, opt), history.CheckOffsets(ops, opt)},
		Violations: history.CheckNoLostAcksWith(ops, opt)}
	nem.log("history checked")
	res.Err = errors.Join(res.Report.Err(), checkFinal(ops, views), replicas)
	res.visualize(cfg.Viz)
	if res.Err != nil {
		res.Err = fmt.Errorf("%w (logs in %s)", res.Err, dir)
	}
	return res
}

// dumpRun writes a failed run's history (history.txt, one operation a
// line with its invocation and return in ms since the start; history.json,
// the []history.Op to check again) and fault trace (faults.txt) next to
// the nodes' logs.
func dumpRun(dir string, ops []history.Op, trace []string) error {
	js, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	var b strings.Builder
	for i := range ops {
		o := &ops[i]
		ret := "    open"
		if o.Return != history.Infinity {
			ret = fmt.Sprintf("%8.1f", float64(o.Return)/1e6)
		}
		fmt.Fprintf(&b, "%8.1f %s %s\n", float64(o.Call)/1e6, ret, o.String())
	}
	return errors.Join(os.WriteFile(filepath.Join(dir, "history.txt"), []byte(b.String()), 0o644),
		os.WriteFile(filepath.Join(dir, "history.json"), js, 0o644),
		os.WriteFile(filepath.Join(dir, "faults.txt"), []byte(strings.Join(trace, "\n")+"\n"), 0o644))
}

// clusterDir returns the run's directory and a cleanup that removes it if
// it was temporary and the run passed.
func clusterDir(dir string) (string, func(pass bool), error) {
	if dir != "" {
		return dir, func(bool) {}, os.MkdirAll(dir, 0o755)
	}
	dir, err := os.MkdirTemp("", "shoal-chaos-")
	if err != nil {
		return "", nil, err
	}
	return dir, func(pass bool) {
		if pass {
			os.RemoveAll(dir)
		}
	}, nil
}

// clusterWorkload runs one metaClient and one msgClient per node until
// each has run cfg.Ops operations or cfg.Duration has passed, with the
// nemesis changing faults meanwhile on this goroutine.
func clusterWorkload(ctx context.Context, cfg Config, c *cluster, rec *history.Recorder, nem *clusterNemesis) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	loop := func(step func(context.Context)) {
		pause := time.NewTimer(0)
		defer pause.Stop()
		for n := 0; (cfg.Ops == 0 || n < cfg.Ops) && ctx.Err() == nil; n++ {
			step(ctx)
			pause.Reset(max(cfg.Think, time.Millisecond)) // a client that cannot connect does not spin
			select {
			case <-pause.C:
			case <-ctx.Done():
			}
		}
	}
	msgs := make([]*msgClient, cfg.Nodes)
	for i := range msgs {
		msgs[i] = newMsgClient(cfg, c, rec, i)
		wg.Go(func() {
			defer msgs[i].close()
			loop(msgs[i].step)
		})
	}
	for i := range cfg.Nodes {
		m := &metaClient{id: i, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i))), rec: rec, addrs: c.addrs(),
			window: cfg.Timeout * 3 / 4, timeout: cfg.Timeout}
		wg.Go(func() {
			defer m.close()
			loop(m.step)
		})
	}
	clientsDone := make(chan struct{})
	go func() { wg.Wait(); close(clientsDone) }()
	var err error
	if len(cfg.Faults) > 0 {
		if err = nem.run(ctx, cfg.FaultEvery, clientsDone); err != nil {
			cancel()
		}
	}
	<-clientsDone
	return errors.Join(err, badReplies(msgs))
}

// finalReads records, after the heal, one list of every stream and a read
// of every stream name the history mentions, through a fresh client: the
// reads that pin down what the unknown operations did.
func finalReads(ctx context.Context, cfg Config, c *cluster, rec *history.Recorder) error {
	m := &metaClient{id: cfg.Nodes, rec: rec, addrs: c.addrs(), window: 30 * time.Second, timeout: 40 * time.Second}
	defer m.close()
	if err := m.connect(ctx); err != nil {
		return fmt.Errorf("chaos: final reads: %w", err)
	}
	names := map[string]bool{}
	for _, o := range rec.Ops() {
		if s := o.Args.Partition.Stream; s != "" {
			names[s] = true
		}
		if o.Kind == history.RenameStream {
			names[o.Args.Name] = true
		}
	}
	m.listStreams(ctx)
	for _, n := range slices.Sorted(maps.Keys(names)) {
		m.getStream(ctx, n)
	}
	return nil
}

// converged polls every node until all report the same streams, topics
// and users and name the same leader, and returns their views. It
// compares the cheap views (no topics) until they agree, then the full
// ones.
func (c *cluster) converged(ctx context.Context, within time.Duration) ([]nodeView, error) {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	topics := false
	for {
		views, err := c.views(ctx, topics)
		if err == nil && !topics && disagreement(views) == "" {
			topics = true
			continue
		}
		if err == nil {
			if diff := disagreement(views); diff == "" {
				return views, nil
			} else if time.Now().After(deadline) {
				return views, fmt.Errorf("%w after %v: %s", ErrDiverged, within, diff)
			}
		} else if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: a node did not answer within %v: %w", ErrDiverged, within, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// views reads every node's view, with topics or not.
func (c *cluster) views(ctx context.Context, topics bool) ([]nodeView, error) {
	views := make([]nodeView, len(c.procs))
	for i := range c.procs {
		v, err := localViewOf(ctx, c.tcp[i], c.http[i], topics, 30*time.Second)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
		views[i] = v
	}
	return views, nil
}

// disagreement describes how the views differ, or is "" when they agree.
func disagreement(views []nodeView) string {
	var diffs []string
	for i := 1; i < len(views); i++ {
		a, b := views[0], views[i]
		if a.Leader != b.Leader {
			diffs = append(diffs, fmt.Sprintf("node 0 names leader %d, node %d names %d", a.Leader, i, b.Leader))
		}
		if d := setDiff(a.Streams, b.Streams); d != "" {
			diffs = append(diffs, fmt.Sprintf("streams of node 0 vs node %d: %s", i, d))
		}
		if d := setDiff(a.Users, b.Users); d != "" {
			diffs = append(diffs, fmt.Sprintf("users of node 0 vs node %d: %s", i, d))
		}
		if !maps.EqualFunc(a.Topics, b.Topics, slices.Equal) {
			diffs = append(diffs, fmt.Sprintf("topics of node 0 and node %d differ", i))
		}
	}
	return strings.Join(diffs, "; ")
}

// setDiff describes the difference of two sorted name lists.
func setDiff(a, b []string) string {
	var only []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			only = append(only, "-"+x)
		}
	}
	for _, x := range b {
		if _, ok := slices.BinarySearch(a, x); !ok {
			only = append(only, "+"+x)
		}
	}
	if len(only) > 10 {
		only = append(only[:10], fmt.Sprintf("and %d more", len(only)-10))
	}
	return strings.Join(only, " ")
}
