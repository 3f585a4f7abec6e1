// Command shoal-bench measures Shoal side by side with NATS and a raw TCP
// echo on one machine: iggy-bench's workloads over every transport, with
// latency percentiles, throughput, a summary table, JSON and an HTML
// report.
//
//	shoal-bench -workload all -transport all -compare nats,floor -duration 3s -report report.html
//
// By default it starts an in-process server on loopback ports in a temp
// directory; -server-address benchmarks an external one, and -cluster a
// three-node cluster of shoal-server processes against JetStream R3:
//
//	shoal-bench -cluster -workload pinned-producer -producers 1 -size 1024 -batch 100 -duration 8s -compare nats -rounds 2
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/shoal-io/shoal/internal/bench"
)

func main() {
	cfg, err := bench.ParseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shoal-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	command := "shoal-bench " + strings.Join(os.Args[1:], " ")
	if err := bench.Run(ctx, cfg, command, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shoal-bench:", err)
		stop()
		os.Exit(1)
	}
}
