package replica

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// The cross-process tests re-run this test binary as a replica: TestMain
// sees childEnv and calls runChild instead of the tests.
const (
	childEnv      = "SHOAL_REPLICA_TEST_CHILD" // replica id
	childPeersEnv = "SHOAL_REPLICA_TEST_PEERS" // id=addr,id=addr
	childListen   = "SHOAL_REPLICA_TEST_LISTEN"
)

// runChild runs one replica until stdin closes. It prints "ready <addr>"
// once listening and "connected <side> <peer>" for each handshake that
// succeeds. Every frame it receives carries a route in its body: it pops
// the first hop and forwards the rest there, so the parent can make a
// frame visit every link.
func runChild() int {
	id, err := strconv.Atoi(os.Getenv(childEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	peers := map[wire.ReplicaID]string{}
	for kv := range strings.SplitSeq(os.Getenv(childPeersEnv), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			p, _ := strconv.Atoi(k)
			peers[wire.ReplicaID(p)] = v
		}
	}
	out := make(chan string, 64)
	log := slog.New(&lineHandler{out: out})
	cfg := shard.DefaultConfig()
	cfg.Shards = 2
	self := wire.ReplicaID(id)
	rt, err := shard.New(cfg, shard.Handlers{
		OnReplicaMessage: func(s *shard.Shard, r wire.ReplicaID, f *wire.Frame) {
			defer f.Release()
			route := f.Body()
			if len(route) == 0 {
				return
			}
			nf := frame(self, binary.LittleEndian.Uint64(f.Bytes()[128:]), route[1:])
			if err := s.Bus().SendToReplica(wire.ReplicaID(route[0]), nf); err != nil {
				nf.Release()
				fmt.Fprintln(os.Stderr, "child: forward:", err)
			}
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	pl, err := Start(rt, Config{
		ClusterName: "test-cluster", Self: self, Listen: os.Getenv(childListen), Peers: peers,
		Secret: sampleSecret(), ReconnectPeriod: 50 * time.Millisecond, Logger: log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := bufio.NewWriter(os.Stdout)
		fmt.Fprintln(w, "ready", pl.Addr())
		w.Flush()
		for line := range out {
			fmt.Fprintln(w, line)
			w.Flush()
		}
	}()
	io.Copy(io.Discard, os.Stdin)
	pl.Close()
	rt.Shutdown(context.Background())
	rt.Wait()
	close(out)
	<-done
	return 0
}

// lineHandler turns "replica connected" records into lines for the parent.
type lineHandler struct {
	out chan<- string
}

func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "replica connected" {
		return nil
	}
	var side, peer string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "side":
			side = a.Value.String()
		case "peer":
			peer = a.Value.String()
		}
		return true
	})
	h.out <- "connected " + side + " " + peer
	return nil
}
func (h *lineHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *lineHandler) WithGroup(string) slog.Handler      { return h }

// child is a replica running in another process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	lines chan string
	exit  chan error
}

func startChild(t *testing.T, id int, listen string, peers map[int]string) *child {
	t.Helper()
	var ps []string
	for p, a := range peers {
		ps = append(ps, fmt.Sprintf("%d=%s", p, a))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		childEnv+"="+strconv.Itoa(id), childPeersEnv+"="+strings.Join(ps, ","), childListen+"="+listen)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 64), exit: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.exit <- cmd.Wait()
	}()
	t.Cleanup(func() { c.kill() })
	line := c.next(t)
	addr, ok := strings.CutPrefix(line, "ready ")
	if !ok {
		t.Fatalf("child %d: %q", id, line)
	}
	c.addr = addr
	return c
}

func (c *child) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatal("child exited")
		}
		return l
	case <-time.After(waitLimit):
		t.Fatal("child silent")
	}
	return ""
}

func (c *child) waitLine(t *testing.T, want string) {
	t.Helper()
	for {
		if l := c.next(t); l == want {
			return
		}
	}
}

// stop closes stdin: the child shuts down in order and exits 0.
func (c *child) stop(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	for range c.lines {
	}
	if err := <-c.exit; err != nil {
		t.Fatalf("child: %v", err)
	}
	c.exit <- nil
}

// kill ends the child abruptly (a crash); idempotent.
func (c *child) kill() {
	c.cmd.Process.Kill()
	c.stdin.Close()
	for range c.lines {
	}
	err := <-c.exit
	c.exit <- err
}

// viaRoute sends seq from n to first with a route for the next hops, and
// waits for it to come back to n from last.
func viaRoute(t *testing.T, n *node, first wire.ReplicaID, seq uint64, route ...byte) {
	t.Helper()
	f := frame(n.id, seq, route)
	if err := n.rt.Shard(0).Bus().SendToReplica(first, f); err != nil {
		f.Release()
		t.Fatal(err)
	}
	last := first
	if len(route) > 1 {
		last = wire.ReplicaID(route[len(route)-2])
	}
	n.expect(t, last, seq, nil)
}

// Round trip with a replica in another process, and a reconnect after
// that process crashes and is restarted.
func TestCrossProcessTwoReplicas(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	c := startChild(t, 0, "127.0.0.1:0", map[int]string{1: b.addr()})
	b.waitAccepted(t, 0, 1)
	c.waitLine(t, "connected dialer 1")
	viaRoute(t, b, 0, 1, 1)

	c.kill()
	b.waitLost(t, 0)
	c2 := startChild(t, 0, "127.0.0.1:0", map[int]string{1: b.addr()})
	b.waitAccepted(t, 0, 2)
	viaRoute(t, b, 0, 2, 1)
	c2.stop(t)
	b.waitLost(t, 0)
}

// Three replicas in three processes: this one (2) and two children (0, 1).
// A routed frame crosses every link: 2→1→0→1→2 and 2→0→1→2.
func TestCrossProcessThreeReplicas(t *testing.T) {
	n := startNode(t, nodeOpts{id: 2})
	c1 := startChild(t, 1, "127.0.0.1:0", map[int]string{2: n.addr()})
	c0 := startChild(t, 0, "127.0.0.1:0", map[int]string{1: c1.addr, 2: n.addr()})
	n.waitAccepted(t, 0, 1)
	n.waitAccepted(t, 1, 1)
	c1.waitLine(t, "connected acceptor 0")
	viaRoute(t, n, 1, 1, 0, 1, 2) // 1's accepted link to 0, then 0's dialed link back to 1
	viaRoute(t, n, 0, 2, 1, 2)
	viaRoute(t, n, 1, 3, 2)
	c0.stop(t)
	c1.stop(t)
}
