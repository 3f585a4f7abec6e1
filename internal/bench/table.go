package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// placement says where each target runs, which the ratios depend on.
const placement = "The in-process Shoal server and the floor share the benchmark's process and Go runtime with their clients; " +
	"nats-server is a separate process, so its echo crosses processes four times (requester, server, responder, server)."

// base returns the Shoal-over-TCP result r is compared with, or nil.
func base(rep *Report, r *Result) *Result {
	for i := range rep.Results {
		b := &rep.Results[i]
		if b.Target == "shoal" && b.Transport == "tcp" && b.Workload == r.Workload && b.Role == r.Role {
			return b
		}
	}
	return nil
}

func ratio(a, b float64) string {
	if b == 0 || a == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// Summary prints the results as a table: one row per target, workload,
// transport and role, with each row's throughput and p99 as ratios to
// Shoal over TCP in the same shape (above 1× the row moves more messages,
// or waits longer at p99, than Shoal).
func Summary(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "%s\n%s\nload average before %s, after %s\n", rep.Host, rep.Config, rep.LoadBefore, rep.LoadAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttransport\ttarget\trole\tmsgs\tmsgs/s\tMB/s\tp50 µs\tp90 µs\tp99 µs\tp99.9 µs\tmax µs\tmsgs/s ÷ shoal\tp99 ÷ shoal\t")
	for i := range rep.Results {
		r := &rep.Results[i]
		thr, p99 := "", ""
		if b := base(rep, r); b != nil && b != r {
			thr, p99 = ratio(r.MsgsPerS, b.MsgsPerS), ratio(r.Latency.P99, b.Latency.P99)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.0f\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t\n", r.Workload, r.Transport, r.Target, r.Role,
			r.Messages, r.MsgsPerS, r.MBPerS, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.P999, r.Latency.Max, thr, p99)
	}
	tw.Flush()
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	var notes []string
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Note != "" && !seen[r.Target+r.Note] {
			seen[r.Target+r.Note] = true
			notes = append(notes, fmt.Sprintf("%s %s: %s", r.Target, r.Workload, r.Note))
		}
	}
	notes = append(notes, placement)
	if len(notes) > 0 {
		fmt.Fprintf(w, "notes:\n  %s\n", strings.Join(notes, "\n  "))
	}
}
