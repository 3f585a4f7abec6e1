package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shoal-io/shoal/internal/sim"
	"github.com/shoal-io/shoal/internal/vsr"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run parses flags, runs the seeds and returns the exit code: 0 when every
// seed passed, 1 when one failed, 2 on bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shoal-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "run this one seed")
	seeds := fs.Int("seeds", 0, "run this many seeds, starting at -first")
	first := fs.Uint64("first", 1, "first seed of a -seeds sweep")
	replicas := fs.Int("replicas", 0, "cluster size (0: 1, 3 or 5 chosen by the seed)")
	ticks := fs.Int("ticks", 0, "fault-phase ticks (0: default)")
	checkpoint := fs.Uint64("checkpoint", 0, "checkpoint interval in ops (0: chosen by the seed, sometimes none)")
	verbose := fs.Bool("v", false, "trace every delivery and fault of a single -seed run")
	bug := fs.String("bug", "none", "deliberate core bug: none, commit-without-quorum, view-change-shortest-log, ack-before-persist, truncate-few-nacks, read-without-quorum, read-index-commit-only")
	hint := fs.String("hint", "swarm", "commit-hint mode of the simulated disk: swarm (chosen per seed), lower, defer")
	workload := fs.String("workload", sim.WorkloadKV, "state machine: kv (toy key-value) or meta (the server's metadata path)")
	metaBug := fs.String("meta-bug", "none", "deliberate metadata-shell bug (-workload=meta): none, purge-repeat, no-effects-log, rerun-effects")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	b, ok := map[string]vsr.Bug{
		"none": vsr.BugNone, "commit-without-quorum": vsr.BugCommitWithoutQuorum,
		"view-change-shortest-log": vsr.BugViewChangeShortestLog, "ack-before-persist": vsr.BugAckBeforePersist,
		"truncate-few-nacks": vsr.BugTruncateFewNacks, "read-without-quorum": vsr.BugReadWithoutQuorum,
		"read-index-commit-only": vsr.BugReadIndexCommitOnly,
	}[*bug]
	if !ok {
		fmt.Fprintf(stderr, "shoal-sim: unknown -bug %q\n", *bug)
		return 2
	}
	h, ok := map[string]sim.HintMode{"swarm": sim.HintSwarm, "lower": sim.HintLower, "defer": sim.HintDefer}[*hint]
	if !ok {
		fmt.Fprintf(stderr, "shoal-sim: unknown -hint %q\n", *hint)
		return 2
	}
	if *workload != sim.WorkloadKV && *workload != sim.WorkloadMeta {
		fmt.Fprintf(stderr, "shoal-sim: unknown -workload %q\n", *workload)
		return 2
	}
	mb, ok := sim.ParseMetaBug(*metaBug)
	if !ok {
		fmt.Fprintf(stderr, "shoal-sim: unknown -meta-bug %q\n", *metaBug)
		return 2
	}
	opts := sim.Options{Replicas: *replicas, Ticks: *ticks, Bug: b, Checkpoint: *checkpoint, Hint: h, Workload: *workload, MetaBug: mb}

	if *seeds == 0 {
		opts.Seed = *seed
		if *verbose {
			opts.Trace = func(line string) { fmt.Fprintln(stdout, line) }
		}
		r := sim.Run(opts)
		fmt.Fprintln(stdout, r)
		if r.Err != nil {
			return 1
		}
		return 0
	}

	start := time.Now()
	failed := 0
	var ticksTotal, convergedMax int
	for i := range *seeds {
		opts.Seed = *first + uint64(i)
		r := sim.Run(opts)
		ticksTotal += r.Ticks
		convergedMax = max(convergedMax, r.Converged)
		if r.Err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL seed=%d replicas=%d: %v\n  reproduce: %s\n", r.Seed, r.Replicas, r.Err, r.Repro)
		}
		if done := i + 1; done%10000 == 0 && done < *seeds {
			fmt.Fprintf(stdout, "... %d seeds, %d failed, %.0fs\n", done, failed, time.Since(start).Seconds())
		}
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "%d seeds, %d failed, %d ticks, slowest convergence %d ticks, %.1fs, %.0f seeds/min\n",
		*seeds, failed, ticksTotal, convergedMax, el.Seconds(), float64(*seeds)/el.Minutes())
	if failed > 0 {
		return 1
	}
	return 0
}
