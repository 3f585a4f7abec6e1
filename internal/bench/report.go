package bench

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
)

var palette = map[string]string{
	"tcp": "#1f77b4", "tls": "#ff7f0e", "ws": "#2ca02c", "wss": "#d62728", "quic": "#9467bd",
	"shoal": "#1f77b4", "nats": "#17becf", "nats-js": "#8c564b", "floor": "#7f7f7f",
	TargetShoalCluster: "#1f77b4", TargetNATSR3: "#17becf", TargetNATSR3Always: "#8c564b",
}

// seriesName is the legend of r's line in a chart: its transport for
// in-process Shoal, else its target, with its round when it has one.
func seriesName(r *Result) (name, color string) {
	name, color = r.Transport, colorOf(r.Transport)
	if r.Target != "shoal" {
		name, color = r.Target, colorOf(r.Target)
	}
	if r.Round > 0 {
		name += fmt.Sprintf(" #%d", r.Round)
	}
	return name, color
}

// targetRound is r's target, with its round when it has one.
func targetRound(r *Result) string {
	if r.Round > 0 {
		return fmt.Sprintf("%s #%d", r.Target, r.Round)
	}
	return r.Target
}

// mine reports whether r is a Shoal row (drawn solid).
func mine(r *Result) bool { return r.Target == "shoal" || r.Target == TargetShoalCluster }

func colorOf(k string) string {
	if c, ok := palette[k]; ok {
		return c
	}
	return "#333"
}

// line is one series of a chart.
type line struct {
	name, color string
	dashed      bool
	x, y        []float64
}

// chart is an SVG line chart; logY draws the y axis in powers of ten.
type chart struct {
	title, xLabel, yLabel string
	xTicks                []string // categorical x axis when set
	logY                  bool
	lines                 []line
}

const (
	chartW, chartH = 540, 300
	padL, padR     = 64, 12
	padT, padB     = 28, 64
)

func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return trimZero(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case v >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case v >= 10 || v == 0:
		return fmt.Sprintf("%.0f", v)
	default:
		return trimZero(fmt.Sprintf("%.2f", v))
	}
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func (c *chart) svg(w io.Writer) {
	var xmax, ymin, ymax float64 = 0, math.Inf(1), 0
	for _, l := range c.lines {
		for i := range l.x {
			xmax = max(xmax, l.x[i])
			if l.y[i] > 0 {
				ymin = min(ymin, l.y[i])
			}
			ymax = max(ymax, l.y[i])
		}
	}
	if len(c.xTicks) > 0 {
		xmax = float64(len(c.xTicks) - 1)
	}
	xmax = max(xmax, 1e-9)
	pw, ph := float64(chartW-padL-padR), float64(chartH-padT-padB)
	var lo, hi float64
	if c.logY {
		if math.IsInf(ymin, 1) {
			ymin = 1
		}
		lo, hi = math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(max(ymax, ymin*1.01)))
		if hi == lo {
			hi++
		}
	} else {
		lo, hi = 0, niceMax(ymax)
	}
	X := func(x float64) float64 { return padL + x/xmax*pw }
	Y := func(y float64) float64 {
		if c.logY {
			y = math.Log10(max(y, math.Pow(10, lo)))
		}
		return padT + ph - (y-lo)/(hi-lo)*ph
	}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, chartW, chartH, chartW, chartH)
	fmt.Fprintf(w, `<text x="%d" y="18" class="t">%s</text>`, padL, html.EscapeString(c.title))
	// y grid
	if c.logY {
		for e := lo; e <= hi; e++ {
			y := padT + ph - (e-lo)/(hi-lo)*ph
			fmt.Fprintf(w, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" class="g"/><text x="%d" y="%.1f" class="yl">%s</text>`,
				padL, padL+pw, y, y, padL-4, y+4, human(math.Pow(10, e)))
		}
	} else {
		for i := 0; i <= 4; i++ {
			v := hi * float64(i) / 4
			y := Y(v)
			fmt.Fprintf(w, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" class="g"/><text x="%d" y="%.1f" class="yl">%s</text>`,
				padL, padL+pw, y, y, padL-4, y+4, human(v))
		}
	}
	// x ticks
	if len(c.xTicks) > 0 {
		for i, t := range c.xTicks {
			fmt.Fprintf(w, `<text x="%.1f" y="%.0f" class="xl">%s</text>`, X(float64(i)), padT+ph+16, html.EscapeString(t))
		}
	} else {
		for i := 0; i <= 4; i++ {
			v := xmax * float64(i) / 4
			fmt.Fprintf(w, `<text x="%.1f" y="%.0f" class="xl">%s</text>`, X(v), padT+ph+16, trimZero(fmt.Sprintf("%.1f", v)))
		}
	}
	fmt.Fprintf(w, `<text x="%.0f" y="%.0f" class="xl">%s</text>`, padL+pw/2, padT+ph+32, html.EscapeString(c.xLabel))
	fmt.Fprintf(w, `<text transform="translate(14,%.0f) rotate(-90)" class="xl">%s</text>`, padT+ph/2, html.EscapeString(c.yLabel))
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="f"/>`, padL, padT, pw, ph)
	for _, l := range c.lines {
		var pts []string
		for i := range l.x {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", X(l.x[i]), Y(l.y[i])))
		}
		dash := ""
		if l.dashed {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(w, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s><title>%s</title></polyline>`,
			strings.Join(pts, " "), l.color, dash, html.EscapeString(l.name))
		if len(c.xTicks) > 0 {
			for i := range l.x {
				fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s</title></circle>`,
					X(l.x[i]), Y(l.y[i]), l.color, html.EscapeString(l.name), html.EscapeString(c.xTicks[i]), human(l.y[i]))
			}
		}
	}
	// legend, below the axis label
	lx, ly := float64(padL), float64(chartH-12)
	for _, l := range c.lines {
		fmt.Fprintf(w, `<rect x="%.0f" y="%.0f" width="12" height="3" fill="%s"/><text x="%.0f" y="%.0f" class="lg">%s</text>`,
			lx, ly-4, l.color, lx+15, ly, html.EscapeString(l.name))
		lx += 22 + 6.2*float64(len(l.name))
		if lx > chartW-60 {
			lx, ly = padL, ly+0 // one row; overflow is clipped
		}
	}
	fmt.Fprint(w, `</svg>`)
}

// bars is a horizontal bar chart of one value per row, with a label.
type bar struct {
	name, color, label string
	v                  float64
}

func barsSVG(w io.Writer, title string, rows []bar) {
	const rowH, labelW = 22, 250
	h := padT + rowH*len(rows) + 10
	vmax := 0.0
	for _, r := range rows {
		vmax = max(vmax, r.v)
	}
	vmax = max(vmax, 1e-9)
	bw := float64(chartW*2 - labelW - 190)
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, chartW*2, h)
	fmt.Fprintf(w, `<text x="4" y="18" class="t">%s</text>`, html.EscapeString(title))
	for i, r := range rows {
		y := padT + i*rowH
		fmt.Fprintf(w, `<text x="%d" y="%d" class="yl">%s</text>`, labelW-6, y+15, html.EscapeString(r.name))
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, labelW, y+3, r.v/vmax*bw, rowH-6, r.color)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" class="lg">%s</text>`, float64(labelW)+r.v/vmax*bw+6, y+15, html.EscapeString(r.label))
	}
	fmt.Fprint(w, `</svg>`)
}

// key is one workload's role.
type key struct{ workload, role string }

func keysOf(rep *Report) []key {
	var out []key
	for _, r := range rep.Results {
		k := key{r.Workload, r.Role}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

const css = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1120px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:13px}.grid{display:flex;flex-wrap:wrap;gap:8px}
svg{background:#fff;border:1px solid #eee}.t{font-weight:600;font-size:13px}
.yl{font-size:11px;text-anchor:end;fill:#444}.xl{font-size:11px;text-anchor:middle;fill:#444}
.lg{font-size:11px;fill:#333}.g{stroke:#eee}.f{fill:none;stroke:#bbb}
table{border-collapse:collapse;font-size:12px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
td:nth-child(-n+4),th:nth-child(-n+4){text-align:left}th{background:#f6f6f6}
.note{font-size:12px;color:#555}`

// WriteHTML writes rep as one self-contained HTML page: inline CSS and
// SVG, no scripts and no external assets.
func WriteHTML(out io.Writer, rep *Report) error {
	w := bufio.NewWriter(out)
	esc := html.EscapeString
	fmt.Fprintf(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>shoal-bench report</title><style>%s</style></head><body>\n", css)
	fmt.Fprintf(w, "<h1>shoal-bench: Shoal vs NATS vs the loopback floor</h1>\n")
	fmt.Fprintf(w, `<p class="meta"><code>%s</code><br>%s · started %s<br>%s<br>load average before %s, after %s. `+
		`Client and server share the machine; compare figures only within this page.</p>`+"\n",
		esc(rep.Command), esc(rep.Host), rep.Started.Format("2006-01-02 15:04:05 UTC"), esc(rep.Config), esc(rep.LoadBefore), esc(rep.LoadAfter))

	// 1. Shoal vs NATS vs floor: throughput and p99 per shape over TCP.
	fmt.Fprint(w, "<h2>Shoal vs NATS vs floor (TCP)</h2>\n")
	bt := rep.baseTarget()
	var thr, p99 []bar
	for _, k := range keysOf(rep) {
		for i := range rep.Results {
			r := &rep.Results[i]
			if r.Workload != k.workload || r.Role != k.role || r.Transport != "tcp" {
				continue
			}
			rt, rp := "", ""
			if b := base(rep, r); b != nil && b != r {
				rt, rp = " ("+ratio(r.MsgsPerS, b.MsgsPerS)+" "+bt+")", " ("+ratio(r.Latency.P99, b.Latency.P99)+" "+bt+")"
			}
			name := fmt.Sprintf("%s %s · %s", k.workload, k.role, r.Target)
			if r.Round > 0 {
				name += fmt.Sprintf(" #%d", r.Round)
			}
			thr = append(thr, bar{name, colorOf(r.Target), human(r.MsgsPerS) + " msg/s" + rt, r.MsgsPerS})
			p99 = append(p99, bar{name, colorOf(r.Target), human(r.Latency.P99) + " µs" + rp, r.Latency.P99})
		}
	}
	barsSVG(w, "throughput, messages/s (longer is better)", thr)
	fmt.Fprint(w, "<br>")
	barsSVG(w, "p99 latency per request, µs (shorter is better)", p99)

	// 2. Latency percentiles per transport.
	fmt.Fprint(w, "\n<h2>Latency percentiles per transport</h2>\n<div class=\"grid\">")
	ticks := []string{"p50", "p90", "p99", "p99.9", "max"}
	for _, k := range keysOf(rep) {
		c := chart{title: k.workload + " · " + k.role, xLabel: "percentile", yLabel: "µs per request (log)", xTicks: ticks, logY: true}
		for _, r := range rep.Results {
			if r.Workload != k.workload || r.Role != k.role {
				continue
			}
			name, col := seriesName(&r)
			l := r.Latency
			c.lines = append(c.lines, line{name: name, color: col, dashed: !mine(&r),
				x: []float64{0, 1, 2, 3, 4}, y: []float64{l.P50, l.P90, l.P99, l.P999, l.Max}})
		}
		c.svg(w)
	}
	fmt.Fprint(w, "</div>\n")

	// 3. Throughput over time.
	fmt.Fprint(w, "<h2>Throughput over time</h2>\n<div class=\"grid\">")
	for _, k := range keysOf(rep) {
		c := chart{title: k.workload + " · " + k.role, xLabel: "seconds", yLabel: "messages/s"}
		for _, r := range rep.Results {
			if r.Workload != k.workload || r.Role != k.role || len(r.Series) == 0 {
				continue
			}
			name, col := seriesName(&r)
			l := line{name: name, color: col, dashed: !mine(&r)}
			for i, v := range r.Series {
				l.x = append(l.x, float64(i+1)*r.TickMS/1e3)
				l.y = append(l.y, v)
			}
			c.lines = append(c.lines, l)
		}
		c.svg(w)
	}
	fmt.Fprint(w, "</div>\n")

	// 4. The table.
	fmt.Fprint(w, "<h2>All results</h2>\n<table><tr><th>workload</th><th>transport</th><th>target</th><th>role</th><th>msgs</th><th>msgs/s</th><th>MB/s</th>"+
		"<th>p50 µs</th><th>p90 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>max µs</th><th>msgs/s ÷ "+esc(bt)+"</th><th>p99 ÷ "+esc(bt)+"</th></tr>\n")
	for i := range rep.Results {
		r := &rep.Results[i]
		rt, rp := "", ""
		if b := base(rep, r); b != nil && b != r {
			rt, rp = ratio(r.MsgsPerS, b.MsgsPerS), ratio(r.Latency.P99, b.Latency.P99)
		}
		fmt.Fprintf(w, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%.0f</td><td>%.1f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%s</td><td>%s</td></tr>\n",
			esc(r.Workload), esc(r.Transport), esc(targetRound(r)), esc(r.Role), r.Messages, r.MsgsPerS, r.MBPerS,
			r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.P999, r.Latency.Max, rt, rp)
	}
	fmt.Fprintf(w, "</table>\n<p class=\"note\">Ratios divide by %s over TCP in the same workload, role and round. Latency is per request: a ping, a batch sent, a batch polled. %s</p>\n",
		esc(bt), esc(rep.placement()))
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Note != "" && !seen[r.Target+r.Workload] {
			seen[r.Target+r.Workload] = true
			fmt.Fprintf(w, "<p class=\"note\"><b>%s %s</b>: %s</p>\n", esc(r.Target), esc(r.Workload), esc(r.Note))
		}
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "<p class=\"note\">skipped: %s</p>\n", esc(s))
	}
	for _, s := range rep.Warnings {
		fmt.Fprintf(w, "<p class=\"note\">warning: %s</p>\n", esc(s))
	}
	fmt.Fprint(w, "</body></html>\n")
	return w.Flush()
}
