package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestWriteHTMLFromRecordedResults renders testdata/results.json, the
// -json output of a real run (all workloads and transports, -compare
// nats,floor), and checks the page is self-contained and holds every
// chart, row and ratio.
func TestWriteHTMLFromRecordedResults(t *testing.T) {
	b, err := os.ReadFile("testdata/results.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) == 0 {
		t.Fatal("fixture has no results")
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, &rep); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, banned := range []string{"<script", "src=", "<link", "@import", "url("} {
		if strings.Contains(page, banned) {
			t.Errorf("page contains %q: not self-contained", banned)
		}
	}
	if n := strings.Count(page, "http"); n != strings.Count(page, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("%d references to http, only SVG namespaces expected", n)
	}
	keys := keysOf(&rep)
	if got, want := strings.Count(page, "<svg"), 2+2*len(keys); got != want {
		t.Errorf("%d charts, want %d (2 bar charts, percentiles and throughput per workload role)", got, want)
	}
	if got := strings.Count(page, "<tr><td>"); got != len(rep.Results) {
		t.Errorf("%d table rows, want %d", got, len(rep.Results))
	}
	for _, w := range Workloads {
		if !strings.Contains(page, w+" · ") {
			t.Errorf("no chart for %s", w)
		}
	}
	for _, want := range []string{"floor", "nats-js", "×", rep.LoadBefore, "</html>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "NaN") || strings.Contains(page, "Inf") {
		t.Error("page has NaN or Inf coordinates")
	}

	var table bytes.Buffer
	Summary(&table, &rep)
	if lines := strings.Count(table.String(), "\n"); lines < len(rep.Results)+4 {
		t.Errorf("summary has %d lines for %d results:\n%s", lines, len(rep.Results), table.String())
	}
}

// TestWriteHTMLEmpty draws a report with no results and one without
// samples without dividing by zero.
func TestWriteHTMLEmpty(t *testing.T) {
	var buf bytes.Buffer
	rep := &Report{Results: []Result{{Target: "shoal", Workload: Echo, Transport: "tcp", Role: "echo"}}}
	if err := WriteHTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "NaN") {
		t.Error("NaN in an empty report")
	}
	buf.Reset()
	if err := WriteHTML(&buf, &Report{}); err != nil {
		t.Fatal(err)
	}
}
