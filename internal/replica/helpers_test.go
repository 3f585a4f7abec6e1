package replica

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// waitLimit bounds every wait on an event; it is a hang guard, never a
// pass/fail timing.
const waitLimit = 30 * time.Second

// logSink records log records so tests can wait for a logged reason.
type logSink struct {
	mu      sync.Mutex
	recs    []map[string]string
	changed chan struct{} // closed and replaced on every record
}

func newLogSink() *logSink { return &logSink{changed: make(chan struct{})} }

func (ls *logSink) add(rec map[string]string) {
	ls.mu.Lock()
	ls.recs = append(ls.recs, rec)
	close(ls.changed)
	ls.changed = make(chan struct{})
	ls.mu.Unlock()
}

// count returns how many records match and a channel closed on the next
// record.
func (ls *logSink) count(match func(map[string]string) bool) (int, <-chan struct{}) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	n := 0
	for _, r := range ls.recs {
		if match(r) {
			n++
		}
	}
	return n, ls.changed
}

// wait blocks until at least n records match and returns the last one.
func (ls *logSink) wait(t testing.TB, n int, what string, match func(map[string]string) bool) map[string]string {
	t.Helper()
	timeout := time.NewTimer(waitLimit)
	defer timeout.Stop()
	for {
		got, changed := ls.count(match)
		if got >= n {
			ls.mu.Lock()
			defer ls.mu.Unlock()
			for i := len(ls.recs) - 1; i >= 0; i-- {
				if match(ls.recs[i]) {
					return ls.recs[i]
				}
			}
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("no %d× %s logged; log:\n%s", n, what, ls.dump())
		}
	}
}

func (ls *logSink) dump() string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	var b bytes.Buffer
	for _, r := range ls.recs {
		fmt.Fprintln(&b, r)
	}
	return b.String()
}

// attrs matches records with msg and every given key=value.
func attrs(msg string, kv ...string) func(map[string]string) bool {
	return func(r map[string]string) bool {
		if r["msg"] != msg {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if r[kv[i]] != kv[i+1] {
				return false
			}
		}
		return true
	}
}

type sinkHandler struct {
	ls    *logSink
	attrs []slog.Attr
}

func (h *sinkHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *sinkHandler) Handle(_ context.Context, r slog.Record) error {
	rec := map[string]string{"msg": r.Message, "level": r.Level.String()}
	for _, a := range h.attrs {
		rec[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec[a.Key] = a.Value.String()
		return true
	})
	h.ls.add(rec)
	return nil
}
func (h *sinkHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &sinkHandler{ls: h.ls, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}
func (h *sinkHandler) WithGroup(string) slog.Handler { return h }

// recv is one frame a node's handler received.
type recv struct {
	from  wire.ReplicaID
	shard wire.ShardID
	seq   uint64
	body  []byte
}

// node is one replica: its own shard.Runtime and Plane on loopback.
type node struct {
	id    wire.ReplicaID
	rt    *shard.Runtime
	pl    *Plane
	logs  *logSink
	msgs  chan recv
	lost  chan wire.ReplicaID
	tick  chan time.Time // manual reconnect ticks, when the test asked for them
	swept chan struct{}
}

type nodeOpts struct {
	id        wire.ReplicaID
	listen    string // default 127.0.0.1:0
	peers     map[wire.ReplicaID]string
	cluster   string
	secret    Secret
	manual    bool          // drive the connector with n.tick
	period    time.Duration // reconnect period when not manual
	handshake time.Duration // bus HandshakeTimeout
	shards    int
	nonces    *NonceStore
	max       int
	tls       *tls.Config
}

func startNode(t testing.TB, o nodeOpts) *node {
	t.Helper()
	n := &node{
		id:    o.id,
		logs:  newLogSink(),
		msgs:  make(chan recv, 1024),
		lost:  make(chan wire.ReplicaID, 16),
		swept: make(chan struct{}, 1024),
	}
	scfg := shard.DefaultConfig()
	scfg.Shards = orDefault(o.shards, 2)
	if o.handshake > 0 {
		scfg.Bus.HandshakeTimeout = o.handshake
	}
	log := slog.New(&sinkHandler{ls: n.logs})
	scfg.Logger = log
	rt, err := shard.New(scfg, shard.Handlers{
		OnReplicaMessage: func(s *shard.Shard, r wire.ReplicaID, f *wire.Frame) {
			n.msgs <- recv{from: r, shard: s.ID(), seq: binary.LittleEndian.Uint64(f.Bytes()[128:]), body: bytes.Clone(f.Body())}
			f.Release()
		},
		OnConnectionLost: func(_ *shard.Shard, r wire.ReplicaID) { n.lost <- r },
	})
	if err != nil {
		t.Fatal(err)
	}
	n.rt = rt
	cfg := Config{
		ClusterName:     o.cluster,
		Self:            o.id,
		Listen:          o.listen,
		Peers:           o.peers,
		Secret:          o.secret,
		ReconnectPeriod: o.period,
		Nonces:          o.nonces,
		MaxHandshakes:   o.max,
		TLS:             o.tls,
		Logger:          log,
		swept:           func() { n.swept <- struct{}{} },
	}
	if cfg.ClusterName == "" {
		cfg.ClusterName = "test-cluster"
	}
	if cfg.Secret == (Secret{}) {
		cfg.Secret = sampleSecret()
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if o.manual {
		n.tick = make(chan time.Time)
		cfg.tick = n.tick
	}
	pl, err := Start(rt, cfg)
	if err != nil {
		rt.Shutdown(context.Background())
		rt.Wait()
		t.Fatal(err)
	}
	n.pl = pl
	t.Cleanup(n.stop)
	return n
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (n *node) addr() string { return n.pl.Addr().String() }

// stop shuts the replica down; it may be called more than once.
func (n *node) stop() {
	if n.pl == nil {
		return
	}
	n.pl.Close()
	n.rt.Shutdown(context.Background())
	n.rt.Wait()
	n.pl = nil
}

// sweep drives one reconnect sweep and waits for it to finish.
func (n *node) sweep(t testing.TB) {
	t.Helper()
	select {
	case n.tick <- time.Now():
	case <-time.After(waitLimit):
		t.Fatal("connector did not take the tick")
	}
	n.waitSwept(t)
}

func (n *node) waitSwept(t testing.TB) {
	t.Helper()
	select {
	case <-n.swept:
	case <-time.After(waitLimit):
		t.Fatal("sweep did not finish")
	}
}

// waitAccepted waits until n has accepted and installed peer's
// connection k times.
func (n *node) waitAccepted(t testing.TB, peer wire.ReplicaID, k int) {
	t.Helper()
	n.logs.wait(t, k, fmt.Sprintf("replica %d connected to %d", peer, n.id),
		attrs("replica connected", "side", "acceptor", "peer", fmt.Sprint(peer)))
}

func (n *node) waitLost(t testing.TB, peer wire.ReplicaID) {
	t.Helper()
	select {
	case r := <-n.lost:
		if r != peer {
			t.Fatalf("replica %d lost %d, want %d", n.id, r, peer)
		}
	case <-time.After(waitLimit):
		t.Fatalf("replica %d never lost %d", n.id, peer)
	}
}

// frame builds a sealed PrepareOk carrying seq at byte 128 and body.
func frame(from wire.ReplicaID, seq uint64, body []byte) *wire.Frame {
	f := wire.NewFrame(wire.HeaderSize + len(body))
	h := wire.GenericHeader{Prefix: wire.Prefix{
		Cluster: ClusterID("test-cluster"), Size: uint32(wire.HeaderSize + len(body)),
		Command: wire.CommandPrepareOk, Replica: from,
	}}
	binary.LittleEndian.PutUint64(h.ReservedCommand[:], seq)
	h.Put(f.Bytes())
	copy(f.Body(), body)
	wire.SealFrame(f.Bytes())
	return f
}

// send sends seq from n to peer through shard s of n's runtime (any shard:
// the owner table routes it).
func (n *node) send(t testing.TB, s int, peer wire.ReplicaID, seq uint64, body []byte) {
	t.Helper()
	f := frame(n.id, seq, body)
	if err := n.rt.Shard(s).Bus().SendToReplica(peer, f); err != nil {
		f.Release()
		t.Fatalf("replica %d → %d via shard %d: %v", n.id, peer, s, err)
	}
}

func (n *node) expect(t testing.TB, from wire.ReplicaID, seq uint64, body []byte) {
	t.Helper()
	select {
	case m := <-n.msgs:
		if m.from != from || m.seq != seq || !bytes.Equal(m.body, body) {
			t.Fatalf("replica %d got from %d seq %d (%d bytes), want from %d seq %d (%d bytes)",
				n.id, m.from, m.seq, len(m.body), from, seq, len(body))
		}
	case <-time.After(waitLimit):
		t.Fatalf("replica %d never got seq %d from %d", n.id, seq, from)
	}
}

// exchange checks a round trip between a (lower id, the dialer) and b
// (the acceptor), which must have installed a's connection. b speaks
// first: a's reader runs only once a's side is installed, so a's answer
// proves both ends are up. Each direction is tried from every shard.
func exchange(t testing.TB, a, b *node, seq uint64) {
	t.Helper()
	body := bytes.Repeat([]byte{byte(seq)}, 1000)
	b.send(t, 0, a.id, seq, body)
	a.expect(t, b.id, seq, body)
	for s := range a.rt.Shards() {
		a.send(t, s, b.id, seq+uint64(s)+1, body[:s])
		b.expect(t, a.id, seq+uint64(s)+1, body[:s])
	}
	for s := range b.rt.Shards() {
		b.send(t, s, a.id, seq+uint64(s)+100, nil)
		a.expect(t, b.id, seq+uint64(s)+100, nil)
	}
}

// registryEmpty fails unless no shard of n holds a replica connection.
func (n *node) registryEmpty(t testing.TB) {
	t.Helper()
	for s := range n.rt.Shards() {
		if k := n.rt.Shard(s).Bus().Replicas(); k != 0 {
			t.Fatalf("replica %d shard %d holds %d replica connections", n.id, s, k)
		}
	}
}

// ownersEmpty fails unless n's owner table is empty.
func (n *node) ownersEmpty(t testing.TB) {
	t.Helper()
	for r := range 256 {
		if owner, ok := n.rt.Owners().Owner(wire.ReplicaID(r)); ok {
			t.Fatalf("replica %d: owner table maps %d to shard %d", n.id, r, owner)
		}
	}
}

// rawDial dials n's listener as a hand-driven replica d.
func rawDial(t testing.TB, n *node) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
