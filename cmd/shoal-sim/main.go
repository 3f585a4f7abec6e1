package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/shoal-io/shoal/internal/sim"
	"github.com/shoal-io/shoal/internal/vsr"
)

func main() {
	seed := flag.Uint64("seed", 0, "run this one seed")
	seeds := flag.Int("seeds", 0, "run this many seeds, starting at -first")
	first := flag.Uint64("first", 1, "first seed of a -seeds sweep")
	replicas := flag.Int("replicas", 0, "cluster size (0: 1, 3 or 5 chosen by the seed)")
	ticks := flag.Int("ticks", 0, "fault-phase ticks (0: default)")
	verbose := flag.Bool("v", false, "trace every delivery and fault of a single -seed run")
	bug := flag.String("bug", "none", "deliberate core bug: none, commit-without-quorum, view-change-shortest-log, ack-before-persist")
	flag.Parse()

	b, ok := map[string]vsr.Bug{
		"none": vsr.BugNone, "commit-without-quorum": vsr.BugCommitWithoutQuorum,
		"view-change-shortest-log": vsr.BugViewChangeShortestLog, "ack-before-persist": vsr.BugAckBeforePersist,
	}[*bug]
	if !ok {
		fmt.Fprintf(os.Stderr, "shoal-sim: unknown -bug %q\n", *bug)
		os.Exit(2)
	}
	opts := sim.Options{Replicas: *replicas, Ticks: *ticks, Bug: b}

	if *seeds == 0 {
		opts.Seed = *seed
		if *verbose {
			opts.Trace = func(line string) { fmt.Println(line) }
		}
		r := sim.Run(opts)
		fmt.Println(r)
		if r.Err != nil {
			os.Exit(1)
		}
		return
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
			fmt.Printf("FAIL seed=%d replicas=%d: %v\n  reproduce: %s\n", r.Seed, r.Replicas, r.Err, r.Repro)
		}
	}
	el := time.Since(start)
	fmt.Printf("%d seeds, %d failed, %d ticks, slowest convergence %d ticks, %.1fs, %.0f seeds/min\n",
		*seeds, failed, ticksTotal, convergedMax, el.Seconds(), float64(*seeds)/el.Minutes())
	if failed > 0 {
		os.Exit(1)
	}
}
