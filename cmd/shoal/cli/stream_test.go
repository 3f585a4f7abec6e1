package cli

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/client"
)

var adminEnv = map[string]string{"IGGY_USERNAME": "admin", "IGGY_PASSWORD": "s3cret"}

// target is a transport and the server listener serving it.
type target struct{ name, transport, listener string }

var targets = []target{{"tcp", "tcp", "tcp"}, {"ws", "ws", "websocket"}}

// cmd builds "shoal <command> <connection flags> args...".
func cmd(addr, transport, command string, args ...string) []string {
	return append([]string{command, "--transport", transport, "--address", addr}, args...)
}

// mustRun runs a command that must succeed and have a line starting with
// the fields want (none: any output).
func mustRun(t *testing.T, args []string, want ...string) string {
	t.Helper()
	out, err := run(t, adminEnv, args...)
	if err != nil {
		t.Fatalf("shoal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if len(want) > 0 && !hasLine(out, want) {
		t.Fatalf("shoal %s:\n%s\nwant a line starting %q", strings.Join(args, " "), out, want)
	}
	return out
}

// mustFail runs a command that must fail with an error containing want.
func mustFail(t *testing.T, args []string, want string) {
	t.Helper()
	out, err := run(t, adminEnv, args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("shoal %s: error %v, want one containing %q\n%s", strings.Join(args, " "), err, want, out)
	}
}

func TestStreamTopicPartitionCommands(t *testing.T) {
	srv := startServer(t)
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			addr := srv.Addr(tg.listener).String()
			c := func(command string, args ...string) []string { return cmd(addr, tg.transport, command, args...) }
			name := "orders-" + tg.name

			mustRun(t, c("stream", "create", name), "name", name)
			mustFail(t, c("stream", "create", name), "StreamNameAlreadyExists")
			out := mustRun(t, c("stream", "list"), "ID", "NAME", "CREATED", "TOPICS", "SIZE", "MESSAGES")
			if !strings.Contains(out, name) {
				t.Fatalf("stream list lacks %s:\n%s", name, out)
			}
			var streams []client.Stream
			if err := json.Unmarshal([]byte(mustRun(t, c("stream", "list", "--json"))), &streams); err != nil || !hasStream(streams, name) {
				t.Fatalf("stream list --json: %v %+v", err, streams)
			}
			mustRun(t, c("stream", "get", name), "topics", "0")
			mustFail(t, c("stream", "get", "nope"), `stream "nope" not found`)
			mustFail(t, c("stream", "delete", "nope"), `stream "nope" not found`)
			mustRun(t, c("stream", "get", name, "--address", addr), "topics", "0") // connection flags may follow the arguments
			mustFail(t, c("stream", "frobnicate"), "usage: shoal stream create|list|get|update|delete")
			mustFail(t, c("stream", "get"), "usage: shoal stream get STREAM")

			out = mustRun(t, c("topic", "create", name, "events", "--partitions", "2", "--option", "enforce_fsync=true"), "partitions", "2")
			if !hasLine(out, []string{"option", "enforce_fsync", "true", "(set)"}) || !hasLine(out, []string{"option", "segment_size"}) ||
				!hasLine(out, []string{"PARTITION", "CREATED", "SEGMENTS"}) {
				t.Fatalf("topic create:\n%s", out)
			}
			if out := mustRun(t, c("topic", "create", name, "x", "-h"), "usage:", "shoal", "topic", "create", "STREAM", "NAME"); !strings.Contains(out, "--partitions uint") ||
				strings.Contains(out, "--address") {
				t.Fatalf("topic create -h:\n%s", out)
			}
			mustFail(t, c("topic", "create", name, "bad", "--option", "colour=red"), "UnsupportedOptionKey")
			mustFail(t, c("topic", "create", name, "bad", "--option", "colour"), "want key=value")
			mustFail(t, c("topic", "create", "nope", "t"), `stream "nope" not found`)
			mustRun(t, c("topic", "list", name), "0", "events")
			mustFail(t, c("topic", "list", "nope"), `stream "nope" not found`)
			var tp struct {
				Name       string
				Partitions []struct{ ID uint32 }
				Options    []struct{ Key, Value string }
			}
			if err := json.Unmarshal([]byte(mustRun(t, c("topic", "get", name, "events", "--json"))), &tp); err != nil ||
				tp.Name != "events" || len(tp.Partitions) != 2 || tp.Partitions[1].ID != 1 ||
				tp.Options[0] != (struct{ Key, Value string }{"enforce_fsync", "true"}) {
				t.Fatalf("topic get --json: %v %+v", err, tp)
			}
			mustFail(t, c("topic", "get", "nope", "events"), `stream "nope" not found`)
			mustFail(t, c("topic", "get", name, "nope"), `topic "nope" not found`)

			mustRun(t, c("partition", "create", name, "events", "--count", "3"), "added", "3", "partitions:", "topic", "events", "now", "has", "5")
			mustRun(t, c("partition", "delete", name, "events", "--count", "2"), "deleted", "2", "partitions:", "topic", "events", "now", "has", "3")
			mustRun(t, c("partition", "create", name, "0"), "added", "1", "partitions:", "topic", "0", "now", "has", "4")
			mustFail(t, c("partition", "create", name, "nope"), `topic "nope" not found`)
			mustFail(t, c("partition", "delete", name, "events", "--count", "0"), "--count 0 is out of range")

			out = mustRun(t, c("stream", "get", name), "topics", "1")
			if !hasLine(out, []string{"0", "events"}) {
				t.Fatalf("stream get lacks its topic:\n%s", out)
			}
			mustRun(t, c("topic", "delete", name, "events"), "deleted", "topic", "events")
			mustFail(t, c("topic", "get", name, "events"), `topic "events" not found`)
			mustRun(t, c("stream", "delete", name), "deleted", "stream", name)
			mustFail(t, c("stream", "get", name), `stream "`+name+`" not found`)
		})
	}
}

func hasStream(ss []client.Stream, name string) bool {
	for _, s := range ss {
		if s.Name == name {
			return true
		}
	}
	return false
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // positional args joined by |, or the error
	}{
		{[]string{"a", "b"}, "a|b n=1"},
		{[]string{"a", "--n", "3", "b"}, "a|b n=3"},
		{[]string{"--n=2", "a", "b", "c"}, "a|b|c n=2"},
		{[]string{"a", "--", "-b", "--n"}, "a|-b|--n n=1"},
		{[]string{"a", "--n", "5", "--", "--n"}, "a|--n n=5"},
		{[]string{"a", "b", "c", "d"}, "usage: shoal x A B [C]"},
		{[]string{"a"}, "usage: shoal x A B [C]"},
		{[]string{"a", "b", "--timeout", "1s"}, "shoal x: connection flags (--timeout) go right after the command word, before its arguments"},
	} {
		fs := cmdFlags("x", &strings.Builder{})
		n := fs.Int("n", 1, "")
		pos, err := parseArgs(fs, tc.args, "A B [C]", 2, 3)
		got := strings.Join(pos, "|") + " n=" + strconv.Itoa(*n)
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}
