package bus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// frame returns a pooled frame of cmd with a body carrying seq.
func frame(cmd wire.Command, bodyLen int, seq uint64) *wire.Frame {
	return wire.FrameOf(transporttest.Frame(cmd, bodyLen, seq))
}

// echo turns a Request into a Reply in place and sends it back.
func echo(b **Bus) func(wire.ClientID, *wire.Frame) {
	return func(id wire.ClientID, f *wire.Frame) {
		f.Bytes()[60] = byte(wire.CommandReply)
		if err := (*b).SendToClient(id, f); err != nil {
			f.Release()
		}
	}
}

// echoBus returns a bus that echoes every request, records its log and
// reports each lost client on the returned channel.
func echoBus(cfg Config) (*Bus, *logRecorder, chan wire.ClientID) {
	logs := newLogRecorder()
	lost := make(chan wire.ClientID, 8)
	var b *Bus
	b = New(0, cfg, Hooks{OnRequest: echo(&b), Logger: logs.logger(),
		OnClientLost: func(id wire.ClientID) { lost <- id }})
	return b, logs, lost
}

// tcpPair returns a loopback TCP connection: the client end and the server
// end after the owning shard's handshake.
func tcpPair(t testing.TB) (*tcp.Conn, transport.Conn) {
	t.Helper()
	client, p := tcpPending(t)
	server, err := p.Handshake(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return client, server
}

// tcpPending dials a fresh loopback listener and returns the client end
// and the accepted, not yet handshaken, server end.
func tcpPending(t testing.TB) (*tcp.Conn, transport.Pending) {
	t.Helper()
	ctx := context.Background()
	cfg := tcp.DefaultConfig()
	l, err := tcp.Listen(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := tcp.Dial(ctx, l.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return client, p
}

func send(t testing.TB, c transport.Conn, frames ...[]byte) {
	t.Helper()
	if err := c.SendBatch(frames); err != nil {
		t.Fatal(err)
	}
}

func read(t testing.TB, c transport.Conn) []byte {
	t.Helper()
	f, err := c.ReadFrame()
	if err != nil {
		t.Fatalf("ReadFrame: %v", err)
	}
	b := bytes.Clone(f.Bytes())
	f.Release()
	return b
}

func shutdown(t testing.TB, b *Bus) DrainOutcome {
	t.Helper()
	out := b.Shutdown(context.Background())
	b.Wait()
	return out
}

// gatedConn wraps a Conn: its first SendBatch signals entered and waits for
// gate; every SendBatch is counted (the "wrapping conn" of the vectored
// batch test).
type gatedConn struct {
	transport.Conn
	entered chan struct{}
	gate    chan struct{}

	mu sync.Mutex // guards the following
	// +checklocks:mu
	sizes []int
}

func gated(c transport.Conn) *gatedConn {
	return &gatedConn{Conn: c, entered: make(chan struct{}), gate: make(chan struct{})}
}

func (g *gatedConn) SendBatch(frames [][]byte) error {
	g.mu.Lock()
	g.sizes = append(g.sizes, len(frames))
	first := len(g.sizes) == 1
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.gate
	}
	return g.Conn.SendBatch(frames)
}

func (g *gatedConn) batchSizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.sizes...)
}

// entry is one recorded log line.
type entry struct {
	level slog.Level
	msg   string
	attrs map[string]any
}

// logRecorder records every log line (all levels), for tests of what the
// bus logs and how often.
type logRecorder struct {
	mu sync.Mutex
	// +checklocks:mu
	entries []entry
}

func newLogRecorder() *logRecorder { return &logRecorder{} }

func (r *logRecorder) logger() *slog.Logger { return slog.New(recordHandler{r: r}) }

// matching returns the entries with message msg whose cause is cause
// (errors.Is; nil matches any) and whose remote is remote (nil: any).
func (r *logRecorder) matching(msg string, cause error, remote net.Addr) []entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []entry
	for _, e := range r.entries {
		if e.msg != msg {
			continue
		}
		if cause != nil {
			err, _ := e.attrs["cause"].(error)
			if !errors.Is(err, cause) {
				continue
			}
		}
		if remote != nil && fmt.Sprint(e.attrs["remote"]) != remote.String() {
			continue
		}
		out = append(out, e)
	}
	return out
}

// expect checks that exactly one line msg with cause and remote was logged,
// at Info (issue #15 item 12: one line per cause per connection, with the
// remote address, at info).
func (r *logRecorder) expect(t testing.TB, msg string, cause error, remote net.Addr) {
	t.Helper()
	got := r.matching(msg, cause, remote)
	if len(got) != 1 {
		t.Fatalf("%d lines %q with cause %v from %v, want 1 (all: %+v)", len(got), msg, cause, remote, r.all())
	}
	if got[0].level != slog.LevelInfo {
		t.Fatalf("%q logged at %v, want INFO", msg, got[0].level)
	}
}

func (r *logRecorder) all() []entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]entry(nil), r.entries...)
}

type recordHandler struct {
	r     *logRecorder
	attrs []slog.Attr
}

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h recordHandler) Handle(_ context.Context, rec slog.Record) error {
	e := entry{level: rec.Level, msg: rec.Message, attrs: map[string]any{}}
	for _, a := range h.attrs {
		e.attrs[a.Key] = a.Value.Any()
	}
	rec.Attrs(func(a slog.Attr) bool {
		e.attrs[a.Key] = a.Value.Any()
		return true
	})
	h.r.mu.Lock()
	h.r.entries = append(h.r.entries, e)
	h.r.mu.Unlock()
	return nil
}

func (h recordHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return recordHandler{r: h.r, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h recordHandler) WithGroup(string) slog.Handler { return h }
