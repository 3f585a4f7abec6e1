package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Report is everything one invocation measured.
type Report struct {
	Command    string    `json:"command"`
	Started    time.Time `json:"started"`
	Host       string    `json:"host"` // GOOS/GOARCH, CPUs
	LoadBefore string    `json:"load_before"`
	LoadAfter  string    `json:"load_after"`
	Config     string    `json:"config"` // the knobs, one line
	Results    []Result  `json:"results"`
	Skipped    []string  `json:"skipped,omitempty"`
	// Base is the target the ratios divide by (over TCP, in the same
	// workload, role and round); empty is "shoal".
	Base string `json:"base,omitempty"`
	// Warnings are problems that did not spoil a measurement, such as a
	// server process that had to be killed at the end of its run.
	Warnings []string `json:"warnings,omitempty"`
}

// loadavg returns /proc/loadavg's three averages, or "" off Linux.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Run runs cfg's workloads over each of its transports against Shoal, then
// the comparisons once each over TCP, and prints the summary table (or
// JSON) to out; the progress line goes to errOut.
func Run(ctx context.Context, cfg Config, command string, out, errOut io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	rep, err := Measure(ctx, cfg, command, errOut)
	if err != nil {
		return err
	}
	if cfg.Report != "" {
		f, err := os.Create(cfg.Report)
		if err != nil {
			return err
		}
		if err := WriteHTML(f, rep); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if cfg.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	Summary(out, rep)
	if cfg.Report != "" {
		fmt.Fprintf(out, "report: %s\n", cfg.Report)
	}
	return nil
}

// Measure runs the benchmarks and returns the report.
func Measure(ctx context.Context, cfg Config, command string, errOut io.Writer) (*Report, error) {
	rep := &Report{Command: command, Started: time.Now().UTC(), LoadBefore: loadavg(),
		Host:   fmt.Sprintf("%s/%s, %d CPUs, GOMAXPROCS %d", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0)),
		Config: cfg.knobs()}
	var progress io.Writer
	if cfg.Progress {
		progress = errOut
	}
	if cfg.Cluster {
		if err := measureCluster(ctx, &cfg, rep, progress); err != nil {
			return nil, err
		}
		rep.LoadAfter = loadavg()
		return rep, nil
	}
	for _, w := range cfg.Workloads {
		for _, tr := range cfg.Transports {
			res, err := shoalOnce(ctx, &cfg, w, tr, progress)
			if err != nil {
				return nil, err
			}
			rep.Results = append(rep.Results, res...)
		}
		if slices.Contains(cfg.Compare, "nats") {
			res, skipped, err := natsOnce(ctx, &cfg, w, progress)
			if err != nil {
				return nil, err
			}
			rep.Results = append(rep.Results, res...)
			rep.Skipped = append(rep.Skipped, skipped...)
		}
		if slices.Contains(cfg.Compare, "floor") && (w == Echo || w == PinnedProducer) {
			res, err := floorOnce(ctx, &cfg, w, progress)
			if err != nil {
				return nil, err
			}
			rep.Results = append(rep.Results, res...)
		}
	}
	rep.LoadAfter = loadavg()
	return rep, nil
}

func (cfg *Config) knobs() string {
	length := fmt.Sprintf("duration %v", cfg.Duration)
	if cfg.Messages > 0 {
		length = fmt.Sprintf("messages %d", cfg.Messages)
	}
	rate := "unlimited"
	if cfg.Rate > 0 {
		rate = fmt.Sprintf("%d msg/s", cfg.Rate)
	}
	s := fmt.Sprintf("producers %d, consumers %d, echo connections %d, streams %d, partitions %d, batch %d × %d B, %s, rate %s",
		cfg.Producers, cfg.Consumers, cfg.Connections, cfg.Streams, cfg.Partitions, cfg.Batch, cfg.Size, length, rate)
	if cfg.Cluster {
		s += fmt.Sprintf(", %d-node clusters, %d round(s)", clusterNodes, cfg.Rounds)
	}
	return s
}

// measured wraps ctx in the run's duration when it is not message-bound.
func (cfg *Config) measured(ctx context.Context) (context.Context, context.CancelFunc) {
	if cfg.Messages > 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, cfg.Duration)
}

func shoalOnce(ctx context.Context, cfg *Config, w, tr string, progress io.Writer) ([]Result, error) {
	st, err := startShoal(ctx, cfg, tr)
	if err != nil {
		return nil, fmt.Errorf("shoal %s: %w", tr, err)
	}
	defer st.stop()
	r, cleanup, err := shoalRun(ctx, cfg, st, w)
	if err != nil {
		return nil, fmt.Errorf("shoal %s %s: %w", w, tr, err)
	}
	defer cleanup()
	mctx, cancel := cfg.measured(ctx)
	defer cancel()
	return drive(mctx, r, cfg.Tick, progress)
}
