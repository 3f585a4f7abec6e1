package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/shoal-io/shoal/internal/chaos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses flags, runs one seed (or the failover measurement) and
// returns the exit code: 0 when every check passed, 1 when one failed, 2
// on bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shoal-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "seed of every random choice (0: pick one from the clock)")
	layout := fs.String("layout", chaos.LayoutCluster, "cluster (shoal-server processes), mesh (self-test service behind proxies) or direct (self-test, no proxies)")
	duration := fs.Duration("duration", 0, "bound on the workload phase (default 30s for a cluster, 10s otherwise)")
	ops := fs.Int("ops", 0, "operations per client (0: until -duration)")
	nodes := fs.Int("nodes", 3, "number of nodes (one client each)")
	faults := fs.String("faults", "all", "all, net, none, or a comma list of partition,oneway,isolate,drop,blackhole,delay,kill-leader,kill-backup,pause-leader")
	every := fs.Duration("fault-every", 0, "time between fault changes (default 3s for a cluster, 200ms otherwise)")
	timeout := fs.Duration("timeout", 0, "per-operation timeout; a timeout is an unknown result (default 10s for a cluster, 100ms otherwise)")
	think := fs.Duration("think", 0, "pause between a client's operations (default 10ms for a cluster, 1ms otherwise)")
	bug := fs.String("bug", "none", "deliberate self-test service bug: none, lose-ack, stale-read")
	viz := fs.String("viz", "", "on a failed check, write porcupine's visualization to <viz>-<model>.html")
	bin := fs.String("binary", "", "cluster: a built shoal-server (default: go build one)")
	dir := fs.String("dir", "", "cluster: directory for configs, data and logs (default: a temporary one, kept on failure)")
	failover := fs.Int("failover", 0, "cluster: instead of a chaos run, kill -9 the leader this many times and print the failover times")
	fs.IntVar(failover, "failover-kills", 0, "the same as -failover")
	failoverMessages := fs.Bool("failover-messages", false, "cluster: the failover writer sends batches of 100 1 KiB messages instead of creating streams")
	verbose := fs.Bool("v", false, "print every fault change")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := chaos.Config{Seed: *seed, Nodes: *nodes, Layout: *layout, Ops: *ops, Duration: *duration,
		FaultEvery: *every, Timeout: *timeout, Think: *think, Viz: *viz, Binary: *bin, Dir: *dir}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	defaults(&cfg, given)
	var err error
	if cfg.Faults, err = chaos.ParseFaults(*faults); err == nil {
		cfg.Bug, err = chaos.ParseBug(*bug)
	}
	if err != nil {
		fmt.Fprintln(stderr, "shoal-chaos:", err)
		return 2
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	if *verbose {
		cfg.Trace = func(line string) { fmt.Fprintln(stdout, line) }
	}
	if *failover > 0 {
		return measureFailover(ctx, cfg, *failover, *failoverMessages, stdout)
	}
	fmt.Fprintf(stdout, "shoal-chaos seed=%d\nreproduce: %s\n", cfg.Seed, cfg.Repro())

	start := time.Now()
	r := chaos.Run(ctx, cfg)
	fmt.Fprintf(stdout, "%d ops (%d ok, %d failed, %d unknown), %d fault changes, %.1fs\n",
		r.Ops, r.OK, r.Failed, r.Unknown, r.FaultChanges, time.Since(start).Seconds())
	if cfg.Layout == chaos.LayoutCluster {
		fmt.Fprintf(stdout, "  messages: %d acknowledged, each checked in the final read; %d compared on every node's partition files\n",
			r.Messages, r.Replicated)
	}
	for _, v := range r.Report.Verdicts {
		fmt.Fprintf(stdout, "  %-8s %-7s %d ops, %d keys\n", v.Model, v.Result, v.Ops, v.Keys)
	}
	if r.Err != nil {
		fmt.Fprintf(stdout, "FAIL seed=%d: %v\n", cfg.Seed, r.Err)
		for _, path := range r.Visualizations {
			fmt.Fprintf(stdout, "  visualization: %s\n", path)
		}
		fmt.Fprintf(stdout, "  reproduce: %s\n", cfg.Repro())
		return 1
	}
	fmt.Fprintf(stdout, "PASS seed=%d\n", cfg.Seed)
	return 0
}

// defaults fills the timing flags not given for the layout: a cluster
// needs seconds (elections, restarts), the self-test milliseconds.
func defaults(cfg *chaos.Config, given map[string]bool) {
	set := func(d *time.Duration, name string, cluster, self time.Duration) {
		if !given[name] {
			*d = self
			if cfg.Layout == chaos.LayoutCluster {
				*d = cluster
			}
		}
	}
	set(&cfg.Duration, "duration", 30*time.Second, 10*time.Second)
	set(&cfg.FaultEvery, "fault-every", 3*time.Second, 200*time.Millisecond)
	set(&cfg.Timeout, "timeout", 10*time.Second, 100*time.Millisecond)
	set(&cfg.Think, "think", 10*time.Millisecond, time.Millisecond)
}

// measureFailover runs chaos.MeasureFailover and prints every kill and
// the min/median/max.
func measureFailover(ctx context.Context, cfg chaos.Config, kills int, messages bool, stdout io.Writer) int {
	writes := "stream creates"
	if messages {
		writes = "sends of 100 x 1 KiB messages"
	}
	fmt.Fprintf(stdout, "shoal-chaos failover: %d leader kills (kill -9, restart), %s, seed=%d\n", kills, writes, cfg.Seed)
	f, err := chaos.MeasureFailover(ctx, cfg, kills, messages, func(line string) { fmt.Fprintln(stdout, line) })
	if err != nil {
		fmt.Fprintf(stdout, "FAIL: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "failover over %d kills: min %v, median %v, max %v\n", len(f.Gaps),
		f.Min().Round(time.Millisecond), f.Median().Round(time.Millisecond), f.Max().Round(time.Millisecond))
	return 0
}
