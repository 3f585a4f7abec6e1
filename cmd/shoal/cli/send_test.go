package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// withStdio replaces the standard streams send uses for one test.
func withStdio(t *testing.T, in io.Reader) *bytes.Buffer {
	t.Helper()
	var errOut bytes.Buffer
	oldIn, oldErr := stdin, stderr
	stdin, stderr = in, &errOut
	t.Cleanup(func() { stdin, stderr = oldIn, oldErr })
	return &errOut
}

func TestSendAndPoll(t *testing.T) {
	srv := startServer(t)
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			addr := srv.Addr(tg.listener).String()
			c := func(command string, args ...string) []string { return cmd(addr, tg.transport, command, args...) }
			name := "logs-" + tg.name
			mustRun(t, c("stream", "create", name))
			mustRun(t, c("topic", "create", name, "app", "--partitions", "3"))

			before := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
			// From arguments: one batch to partition 1.
			mustRun(t, c("send", name, "app", "--partition", "1", "a", "b", "c"), "sent", "3", "messages", "in", "1", "batches")
			out := mustRun(t, c("send", name, "app", "d", "--partition", "1", "--", "-e"), "1", "2", "3", "4")
			if !hasLine(out, []string{"PARTITION", "MESSAGES", "FIRST", "OFFSET", "LAST", "OFFSET"}) {
				t.Fatalf("send table:\n%s", out)
			}

			// From stdin: 2500 lines (and blank ones, skipped) in batches of
			// 1000, with the progress bar forced on.
			var in strings.Builder
			for i := range 2500 {
				fmt.Fprintf(&in, "line %d\r\n", i)
				if i%100 == 0 {
					in.WriteString("\n")
				}
			}
			progress := withStdio(t, strings.NewReader(in.String()))
			mustRun(t, c("send", name, "app", "--partition", "0", "--progress", "always"), "sent", "2500", "messages", "in", "3", "batches")
			if p := progress.String(); !strings.Contains(p, "100%") || !strings.Contains(p, "2500 messages") || !strings.HasSuffix(p, "\n") {
				t.Fatalf("progress bar: %q", p)
			}
			withStdio(t, strings.NewReader("x\ny\n"))
			mustRun(t, c("send", name, "app", "--key", "user-1", "--batch-size", "1"), "sent", "2", "messages", "in", "2", "batches")
			quiet := withStdio(t, strings.NewReader("solo\n"))
			if out := mustRun(t, c("send", name, "app", "--progress", "never")); quiet.Len() != 0 || strings.Contains(out, "\r") {
				t.Fatalf("progress drawn with --progress never: %q %q", quiet, out)
			}
			mustRun(t, c("send", name, "app", "--partition", "2", "--header", "env=prod", "--header", "app=shoal", "tagged"))
			if out := mustRun(t, c("poll", name, "app", "--partition", "2", "--first")); !hasLine(out, []string{"0"}) ||
				!strings.Contains(out, "tagged  app=shoal  env=prod") {
				t.Fatalf("headers in poll:\n%s", out)
			}
			if out := mustRun(t, c("poll", name, "app", "--partition", "2", "--first", "--json")); !strings.Contains(out, `"headers":{"app":"shoal","env":"prod"}`) {
				t.Fatalf("headers in poll --json:\n%s", out)
			}
			withStdio(t, strings.NewReader("\n\n"))
			mustFail(t, c("send", name, "app"), "no messages")
			mustFail(t, c("send", name, "app", "--partition", "1", "--key", "k", "x"), "not both")
			mustFail(t, c("send", name, "app", "--batch-size", "0", "x"), "--batch-size 0")
			mustFail(t, c("send", "nope", "app", "x"), `stream "nope" not found`)
			mustFail(t, c("send", name, "nope", "x"), `topic "nope" not found`)
			mustFail(t, c("send", name, "app", "--partition", "9", "x"), "partition 9 not found")

			// Polls of partition 1: a b c d -e at offsets 0-4.
			p1 := func(args ...string) []string {
				return c("poll", append([]string{name, "app", "--partition", "1"}, args...)...)
			}
			out = mustRun(t, p1("--first", "--count", "2"), "OFFSET", "TIMESTAMP", "PAYLOAD")
			if got := column(out, 2); got != "a b" {
				t.Fatalf("poll --first:\n%s", out)
			}
			if got := column(mustRun(t, p1("--offset", "2", "--count", "2")), 2); got != "c d" {
				t.Fatalf("poll --offset 2: %s", got)
			}
			if got := column(mustRun(t, p1("--last", "--count", "1")), 2); got != "-e" {
				t.Fatalf("poll --last: %s", got)
			}
			// --next (the default) with auto-commit walks on.
			if got := column(mustRun(t, p1("--consumer", "reader", "--auto-commit", "--count", "3")), 0); got != "0 1 2" {
				t.Fatalf("poll --next: %s", got)
			}
			if got := column(mustRun(t, p1("--consumer", "reader", "--next", "--count", "3")), 0); got != "3 4" {
				t.Fatalf("poll --next again: %s", got)
			}
			out = mustRun(t, c("poll", name, "app", "--json", "--first", "--count", "3"))
			if !strings.Contains(out, `"payload":"line 0"`) || !strings.Contains(out, `"payload":"line 2"`) || strings.Count(out, "\n") != 3 {
				t.Fatalf("poll --json:\n%s", out)
			}
			mustRun(t, p1("--offset", "99"), "no", "messages", "(partition", "1,", "current", "offset", "4)")
			if got := column(mustRun(t, p1("--timestamp", before, "--count", "1")), 2); got != "a" {
				t.Fatalf("poll --timestamp: %s", got)
			}
			mustRun(t, p1("--timestamp", time.Now().Add(time.Hour).Format(time.RFC3339)), "no", "messages")
			mustFail(t, p1("--timestamp", "yesterday"), "--timestamp: parsing time")
			mustFail(t, p1("--first", "--last"), "give one of")
			mustFail(t, c("poll", name, "app", "--partition", "9"), "partition 9 not found")
			mustFail(t, c("poll", "nope", "app"), `stream "nope" not found`)
		})
	}
}

// column returns field i of every line after the header, joined by
// spaces.
func column(out string, i int) string {
	var got []string
	for n, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); n > 0 && len(f) > i {
			got = append(got, f[i])
		}
	}
	return strings.Join(got, " ")
}
