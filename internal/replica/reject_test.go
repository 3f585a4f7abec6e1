package replica

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

func rejected(side, reason string) func(map[string]string) bool {
	return attrs("replica handshake rejected", "side", side, "reason", reason)
}

// testDialer is a hand-driven replica 0 of the test cluster.
func testDialer() *handshaker {
	return newHandshaker(NewAuth(sampleSecret(), "test-cluster"), 0, nil, nil)
}

func dialCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// Two real replicas with different secrets: the dialer refuses the
// acceptor's Challenge MAC, the acceptor sees no Finish; neither registers
// the other.
func TestRejectWrongSecret(t *testing.T) {
	var other Secret
	other[31] = 1
	b := startNode(t, nodeOpts{id: 1})
	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: b.addr()}, secret: other, manual: true})
	a.logs.wait(t, 1, "dialer refusal", rejected("dialer", "mac_mismatch"))
	b.logs.wait(t, 1, "acceptor failure", attrs("replica handshake rejected", "side", "acceptor"))
	a.registryEmpty(t)
	b.registryEmpty(t)
	b.ownersEmpty(t)
}

// Two real replicas of differently named clusters: the acceptor refuses
// the Hello and says why; the dialer logs the peer's reason.
func TestRejectWrongClusterID(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1, cluster: "cluster-b"})
	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: b.addr()}, cluster: "cluster-a", manual: true})
	b.logs.wait(t, 1, "acceptor refusal", rejected("acceptor", "cluster_mismatch"))
	a.logs.wait(t, 1, "dialer refusal", rejected("dialer", "peer: cluster_mismatch"))
	a.registryEmpty(t)
	b.registryEmpty(t)
	b.ownersEmpty(t)
}

// A recorded Hello nonce replayed after its connection ended is refused.
func TestRejectReplayedNonce(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	d := testDialer()
	fixedNonces(d, 0x42)
	c := rawDial(t, b)
	if err := d.dial(dialCtx(t), c, 1, binding{}); err != nil {
		t.Fatal(err)
	}
	b.waitAccepted(t, 0, 1)
	c.Close()
	b.waitLost(t, 0)

	fixedNonces(d, 0x42)
	err := d.dial(dialCtx(t), rawDial(t, b), 1, binding{})
	if !isReject(err, ReasonReplayedNonce, true) {
		t.Fatalf("replay: %v", err)
	}
	b.logs.wait(t, 1, "replay refusal", rejected("acceptor", "replayed_nonce"))
	b.registryEmpty(t)
	b.ownersEmpty(t)
}

// A Hello stamped outside ±30 s is refused, either way.
func TestRejectStaleTimestamp(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	for i, skew := range []time.Duration{-time.Minute, time.Minute} {
		d := testDialer()
		d.now = func() time.Time { return time.Now().Add(skew) }
		err := d.dial(dialCtx(t), rawDial(t, b), 1, binding{})
		if !isReject(err, ReasonStaleTimestamp, true) {
			t.Fatalf("skew %v: %v", skew, err)
		}
		b.logs.wait(t, i+1, "stale refusal", rejected("acceptor", "stale_timestamp"))
	}
	b.registryEmpty(t)
	b.ownersEmpty(t)
}

// A forged Finish MAC is refused, and its nonce stays usable: the honest
// handshake with the same nonce then succeeds.
func TestRejectForgedMAC(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	d := testDialer()
	fixedNonces(d, 0x43)
	c := rawDial(t, b)
	if err := d.dial(dialCtx(t), &flipWrite{Conn: c, n: 2, off: 160}, 1, binding{}); err != nil {
		t.Fatalf("the forging dialer itself sees no error: %v", err)
	}
	b.logs.wait(t, 1, "forged MAC refusal", rejected("acceptor", "mac_mismatch"))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("forged connection not closed: %v", err)
	}
	b.registryEmpty(t)
	b.ownersEmpty(t)

	fixedNonces(d, 0x43)
	if err := d.dial(dialCtx(t), rawDial(t, b), 1, binding{}); err != nil {
		t.Fatal(err)
	}
	b.waitAccepted(t, 0, 1)
}

// A dialer that connects and says nothing is closed at the handshake
// deadline; an honest dialer arriving meanwhile is served at once. (The
// ordering itself is pinned in fake time by
// TestHandshakeSilentDialerTimesOut.)
func TestSilentDialerTimesOut(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1, handshake: 2 * time.Second})
	silent := rawDial(t, b)
	if err := testDialer().dial(dialCtx(t), rawDial(t, b), 1, binding{}); err != nil {
		t.Fatal(err)
	}
	b.waitAccepted(t, 0, 1)
	if _, err := silent.Read(make([]byte, 1)); err == nil {
		t.Fatal("silent dialer got data")
	}
	b.logs.wait(t, 1, "timeout", rejected("acceptor", "timeout"))
	if got := b.pl.Stats(); got.Accepts != 2 || got.Accepted != 1 {
		t.Fatalf("stats %+v", got)
	}
}

// After the handshake every frame is sealed and verified: a corrupted body
// closes the connection and fires connection-lost once.
func TestCorruptSealedFrameClosesConnection(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	c := rawDial(t, b)
	if err := testDialer().dial(dialCtx(t), c, 1, binding{}); err != nil {
		t.Fatal(err)
	}
	b.waitAccepted(t, 0, 1)
	good := frame(0, 7, []byte("sealed body"))
	bad := frame(0, 8, []byte("sealed body"))
	bad.Bytes()[wire.HeaderSize+3] ^= 1
	if _, err := c.Write(append(append([]byte(nil), good.Bytes()...), bad.Bytes()...)); err != nil {
		t.Fatal(err)
	}
	good.Release()
	bad.Release()
	b.expect(t, 0, 7, []byte("sealed body"))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after a corrupted frame")
	}
	b.waitLost(t, 0)
	rec := b.logs.wait(t, 1, "close cause", attrs("replica connection closed", "replica", "0"))
	if !strings.Contains(rec["cause"], "checksum") {
		t.Fatalf("closed for %q, want a checksum mismatch", rec["cause"])
	}
	select {
	case m := <-b.msgs:
		t.Fatalf("corrupted frame delivered: %+v", m)
	default:
	}
	b.registryEmpty(t)
	b.ownersEmpty(t)
}

// 300 silent dialers at once: 256 hold handshake slots until the deadline,
// the rest are shed at once without stalling the accept loop, and a real
// replica dialing throughout gets in.
func TestFloodDoesNotStopRealPeer(t *testing.T) {
	const bogus = 300
	b := startNode(t, nodeOpts{id: 1, handshake: 2 * time.Second})
	conns := make([]net.Conn, 0, bogus)
	for range bogus {
		conns = append(conns, rawDial(t, b))
	}
	b.logs.wait(t, bogus-MaxHandshakes, "sheds", attrs("replica handshake shed: too many in flight"))

	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: b.addr()}, period: 50 * time.Millisecond})
	b.waitAccepted(t, 0, 1)
	exchange(t, a, b, 1)
	if got := b.pl.Stats(); got.Shed < bogus-MaxHandshakes || got.Accepted != 1 {
		t.Fatalf("stats %+v", got)
	}
	for _, c := range conns {
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("a bogus dialer got data")
		}
	}
}

// stampedDialer is a hand-driven replica 0 whose Hellos carry ts.
func stampedDialer(ts time.Time) *handshaker {
	d := testDialer()
	d.now = func() time.Time { return ts }
	return d
}

// connectStamped connects a hand-driven replica 0 whose Hello carries ts
// to b and waits until b has installed it for the k-th time.
func connectStamped(t *testing.T, b *node, ts time.Time, k int) net.Conn {
	t.Helper()
	c := rawDial(t, b)
	if err := stampedDialer(ts).dial(dialCtx(t), c, 1, binding{}); err != nil {
		t.Fatalf("connection stamped %v: %v", ts, err)
	}
	b.waitAccepted(t, 0, k)
	return c
}

// sendSealed writes one sealed frame carrying seq on a hand-driven
// replica 0's connection.
func sendSealed(t *testing.T, c net.Conn, seq uint64) {
	t.Helper()
	f := frame(0, seq, []byte("hand-driven"))
	defer f.Release()
	if _, err := c.Write(f.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// A second connection of a connected replica whose Hello is not newer
// than the installed connection's (older, or the same instant) is refused
// at its Hello and does not disturb the connection in place.
func TestDuplicatePeerOlderRefused(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	base := time.Now()
	c := connectStamped(t, b, base, 1)
	for i, ts := range []time.Time{base.Add(-time.Second), base} {
		err := stampedDialer(ts).dial(dialCtx(t), rawDial(t, b), 1, binding{})
		if !isReject(err, ReasonAlreadyConnected, true) {
			t.Fatalf("duplicate stamped %v: %v", ts.Sub(base), err)
		}
		b.logs.wait(t, i+1, "duplicate refusal", rejected("acceptor", "already_connected"))
	}
	sendSealed(t, c, 5)
	b.expect(t, 0, 5, []byte("hand-driven"))
	if got := b.pl.Stats(); got.Accepts != 3 || got.Accepted != 1 {
		t.Fatalf("stats %+v", got)
	}
	if len(b.lost) != 0 {
		t.Fatal("the installed connection was lost")
	}
}

// A restarted replica's newer connection supersedes the half-dead one its
// crashed predecessor left behind (never closed, never read: TCP has not
// noticed), instead of being refused until keepalive gives up on it. The
// old connection is closed, connection-lost fires for it once, and
// traffic flows on the new one both ways.
func TestNewerConnectionSupersedes(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	base := time.Now()
	old := connectStamped(t, b, base, 1)
	c := connectStamped(t, b, base.Add(time.Second), 2)
	b.logs.wait(t, 1, "supersede", attrs("replica connection superseded", "peer", "0"))
	b.waitLost(t, 0)
	if _, err := old.Read(make([]byte, 1)); err == nil {
		t.Fatal("superseded connection still open")
	}
	sendSealed(t, c, 6)
	b.expect(t, 0, 6, []byte("hand-driven"))
	b.send(t, 0, 0, 7, []byte("to the new one"))
	f, err := transport.NewFrameReader(c, 0).ReadFrame()
	if err != nil || f.Command() != wire.CommandPrepareOk || !bytes.Equal(f.Body(), []byte("to the new one")) {
		t.Fatalf("read on the new connection: %v %v", f, err)
	}
	f.Release()
	if got := b.pl.Stats(); got.Accepted != 2 || len(b.lost) != 0 {
		t.Fatalf("stats %+v, %d more connection-lost", got, len(b.lost))
	}
}
