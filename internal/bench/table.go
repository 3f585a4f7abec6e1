package bench

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// placement says where each target runs, which the ratios depend on.
const placement = "The in-process Shoal server and the floor share the benchmark's process and Go runtime with their clients; " +
	"nats-server is a separate process, so its echo crosses processes four times (requester, server, responder, server)."

// placement is the note on where rep's targets ran.
func (rep *Report) placement() string {
	if rep.rounds() {
		return clusterPlacement
	}
	return placement
}

// clusterPlacement replaces placement for -cluster runs.
const clusterPlacement = "Every cluster node (shoal-server, nats-server) is a process of its own on loopback, sharing the machine's CPUs " +
	"and disk with the other nodes and with the benchmark; rows of one round ran one after another, each on fresh clusters."

// baseTarget is the target rep's ratios divide by.
func (rep *Report) baseTarget() string {
	if rep.Base == "" {
		return "shoal"
	}
	return rep.Base
}

// base returns the result r is compared with: the base target's over TCP
// in the same workload, role and round, or nil.
func base(rep *Report, r *Result) *Result {
	t := rep.baseTarget()
	for i := range rep.Results {
		b := &rep.Results[i]
		if b.Target == t && b.Transport == "tcp" && b.Workload == r.Workload && b.Role == r.Role && b.Round == r.Round {
			return b
		}
	}
	return nil
}

// rounds reports whether rep's results carry rounds (-cluster).
func (rep *Report) rounds() bool {
	return slices.ContainsFunc(rep.Results, func(r Result) bool { return r.Round > 0 })
}

func ratio(a, b float64) string {
	if b == 0 || a == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// Summary prints the results as a table: one row per target, workload,
// transport and role (and round, with -cluster), with each row's
// throughput and p99 as ratios to the base target (Shoal over TCP; with
// -cluster nats-r3) in the same shape and round (above 1× the row moves
// more messages, or waits longer at p99, than the base).
func Summary(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "%s\n%s\nload average before %s, after %s\n", rep.Host, rep.Config, rep.LoadBefore, rep.LoadAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	round := func(r *Result) string { return "" }
	if rep.rounds() {
		round = func(r *Result) string { return strconv.Itoa(r.Round) + "\t" }
		fmt.Fprint(tw, "round\t")
	}
	bt := rep.baseTarget()
	fmt.Fprintf(tw, "workload\ttransport\ttarget\trole\tmsgs\tmsgs/s\tMB/s\tp50 µs\tp90 µs\tp99 µs\tp99.9 µs\tmax µs\tmsgs/s ÷ %s\tp99 ÷ %s\t\n", bt, bt)
	for i := range rep.Results {
		r := &rep.Results[i]
		thr, p99 := "", ""
		if b := base(rep, r); b != nil && b != r {
			thr, p99 = ratio(r.MsgsPerS, b.MsgsPerS), ratio(r.Latency.P99, b.Latency.P99)
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%d\t%.0f\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t\n", round(r), r.Workload, r.Transport, r.Target, r.Role,
			r.Messages, r.MsgsPerS, r.MBPerS, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.P999, r.Latency.Max, thr, p99)
	}
	tw.Flush()
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	for _, s := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
	var notes []string
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Note != "" && !seen[r.Target+r.Note] {
			seen[r.Target+r.Note] = true
			notes = append(notes, fmt.Sprintf("%s %s: %s", r.Target, r.Workload, r.Note))
		}
	}
	notes = append(notes, rep.placement())
	if len(notes) > 0 {
		fmt.Fprintf(w, "notes:\n  %s\n", strings.Join(notes, "\n  "))
	}
}
