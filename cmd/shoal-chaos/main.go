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

// run parses flags, runs one seed and returns the exit code: 0 when every
// check passed, 1 when one failed, 2 on bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shoal-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "seed of every random choice (0: pick one from the clock)")
	duration := fs.Duration("duration", 10*time.Second, "bound on the workload phase")
	ops := fs.Int("ops", 0, "operations per client (0: until -duration)")
	nodes := fs.Int("nodes", 3, "number of nodes (one client each)")
	layout := fs.String("layout", chaos.LayoutMesh, "mesh (one proxy per directed link) or direct (no proxies, no faults)")
	faults := fs.String("faults", "all", "all, none, or a comma list of partition,oneway,isolate,drop,blackhole,delay")
	every := fs.Duration("fault-every", 200*time.Millisecond, "time between fault changes")
	timeout := fs.Duration("timeout", 100*time.Millisecond, "per-operation timeout (a timeout is an unknown result)")
	think := fs.Duration("think", time.Millisecond, "pause between a client's operations (bounds the history the checker must search)")
	bug := fs.String("bug", "none", "deliberate self-test service bug: none, lose-ack, stale-read")
	viz := fs.String("viz", "", "on a failed check, write porcupine's visualization to <viz>-<model>.html")
	verbose := fs.Bool("v", false, "print every fault change")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := chaos.Config{Seed: *seed, Nodes: *nodes, Layout: *layout, Ops: *ops, Duration: *duration,
		FaultEvery: *every, Timeout: *timeout, Think: *think, Viz: *viz}
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
	fmt.Fprintf(stdout, "shoal-chaos seed=%d\nreproduce: %s\n", cfg.Seed, cfg.Repro())

	start := time.Now()
	r := chaos.Run(ctx, cfg)
	fmt.Fprintf(stdout, "%d ops (%d ok, %d failed, %d unknown), %d fault changes, %.1fs\n",
		r.Ops, r.OK, r.Failed, r.Unknown, r.FaultChanges, time.Since(start).Seconds())
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
