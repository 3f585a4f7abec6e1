package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
)

// follower runs `shoal poll --follow` in the background, its output read
// line by line through a pipe.
type follower struct {
	pr    *io.PipeReader
	lines *bufio.Scanner
	done  chan error
}

// scan reads the next line, giving up after 10 s so a hung follow fails
// the test rather than the whole binary.
func (f *follower) scan(t *testing.T) string {
	t.Helper()
	timer := time.AfterFunc(10*time.Second, func() { f.pr.CloseWithError(errors.New("no line within 10 s")) })
	defer timer.Stop()
	if !f.lines.Scan() {
		t.Fatalf("follow ended: %v", f.lines.Err())
	}
	return f.lines.Text()
}

func startFollow(t *testing.T, args []string) *follower {
	t.Helper()
	pr, pw := io.Pipe()
	f := &follower{pr: pr, lines: bufio.NewScanner(pr), done: make(chan error, 1)}
	go func() {
		err := Run(args, pw, func(k string) string { return adminEnv[k] })
		pw.Close()
		f.done <- err
	}()
	t.Cleanup(func() { pr.Close() })
	return f
}

// expect reads the next lines and checks each has the fields want at the
// positions given.
func (f *follower) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if got := f.scan(t); !hasLine(got, strings.Fields(w)[:1]) || !strings.HasSuffix(strings.TrimSpace(got), strings.Fields(w)[len(strings.Fields(w))-1]) {
			t.Fatalf("follow printed %q, want %q", got, w)
		}
	}
}

// stop waits for Run to return, draining what it still prints.
func (f *follower) stop(t *testing.T) {
	t.Helper()
	go func() {
		for f.lines.Scan() {
		}
	}()
	select {
	case err := <-f.done:
		if err != nil {
			t.Fatalf("follow: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not stop")
	}
}

func sendTo(t *testing.T, c *client.Client, stream string, payloads ...string) {
	t.Helper()
	msgs := make([]client.Message, len(payloads))
	for i, p := range payloads {
		msgs[i].Payload = []byte(p)
	}
	if _, err := c.SendMessages(context.Background(), client.NamedID(stream), client.NamedID("t"), client.PartitionID(0), msgs); err != nil {
		t.Fatal(err)
	}
}

func TestPollFollow(t *testing.T) {
	srv := startServer(t)
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			addr := srv.Addr(tg.listener).String()
			name := "follow-" + tg.name
			mustRun(t, cmd(addr, tg.transport, "stream", "create", name))
			mustRun(t, cmd(addr, tg.transport, "topic", "create", name, "t"))
			c, err := client.Dial(context.Background(), addr, client.WithTransport(client.Transport(tg.transport)), client.WithHeartbeat(0),
				client.WithCredentials("admin", "s3cret"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sendTo(t, c, name, "one", "two", "three")

			// The test's context stands in for SIGINT.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			old := signalContext
			signalContext = func(parent context.Context) (context.Context, context.CancelFunc) {
				fctx, stop := context.WithCancel(parent)
				unhook := context.AfterFunc(ctx, stop)
				return fctx, func() { unhook(); stop() }
			}
			defer func() { signalContext = old }()

			f := startFollow(t, cmd(addr, tg.transport, "poll", name, "t", "--follow", "--first", "--count", "2",
				"--consumer", "tail", "--interval", "5ms"))
			f.expect(t, "OFFSET PAYLOAD", "0 one", "1 two", "2 three")
			sendTo(t, c, name, "four", "five")
			f.expect(t, "3 four", "4 five")
			cancel()
			f.stop(t)

			// Follow committed as it went.
			off, ok, err := c.GetConsumerOffset(context.Background(), client.ConsumerID(client.NamedID("tail")), client.NamedID(name), client.NamedID("t"), 0)
			if err != nil || !ok || off.StoredOffset != 4 {
				t.Fatalf("stored offset %+v %v %v", off, ok, err)
			}
			// A new follow with --next (the default) starts after it.
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			f = startFollow(t, cmd(addr, tg.transport, "poll", name, "t", "--follow", "--consumer", "tail", "--interval", "5ms", "--json"))
			sendTo(t, c, name, "six")
			if got := f.scan(t); !strings.Contains(got, `"offset":5`) || !strings.Contains(got, `"payload":"six"`) {
				t.Fatalf("follow --next printed %q", got)
			}
			cancel()
			f.stop(t)
		})
	}
}

// SIGINT ends a follow cleanly: Run returns nil.
func TestPollFollowStopsOnSIGINT(t *testing.T) {
	srv := startServer(t)
	addr := srv.Addr("tcp").String()
	mustRun(t, cmd(addr, "tcp", "stream", "create", "sig"))
	mustRun(t, cmd(addr, "tcp", "topic", "create", "sig", "t"))
	mustRun(t, cmd(addr, "tcp", "send", "sig", "t", "--partition", "0", "hello"))
	f := startFollow(t, cmd(addr, "tcp", "poll", "sig", "t", "--follow", "--first", "--interval", "5ms"))
	// The handler is installed before the first poll, so it is in place
	// once the first message is printed.
	f.expect(t, "OFFSET PAYLOAD", "0 hello")
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	f.stop(t)
}
