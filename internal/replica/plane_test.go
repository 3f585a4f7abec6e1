package replica

import (
	"net"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// unreachable is the address given for lower peers, which must never be
// dialed.
const unreachable = "127.0.0.1:1"

// startCluster starts replicas n-1 down to 0, each knowing every peer (lower
// peers at an address nobody listens on), so each dials its higher peers.
func startCluster(t *testing.T, n int, o nodeOpts) []*node {
	t.Helper()
	nodes := make([]*node, n)
	for id := n - 1; id >= 0; id-- {
		peers := map[wire.ReplicaID]string{}
		for p := range n {
			switch {
			case p > id:
				peers[wire.ReplicaID(p)] = nodes[p].addr()
			default:
				peers[wire.ReplicaID(p)] = unreachable
			}
		}
		oo := o
		oo.id, oo.peers = wire.ReplicaID(id), peers
		nodes[id] = startNode(t, oo)
	}
	return nodes
}

// Round trip between two replicas, each its own Runtime on loopback, in
// both directions and from every shard (the owner table routes sends made
// on a shard that does not hold the connection).
func TestTwoReplicasRoundTrip(t *testing.T) {
	nodes := startCluster(t, 2, nodeOpts{})
	nodes[1].waitAccepted(t, 0, 1)
	exchange(t, nodes[0], nodes[1], 1)
}

// Three replicas: every pair connects once, the lower id dialing, and
// every pair exchanges frames both ways.
func TestThreeReplicasRoundTripAndDirectionalRule(t *testing.T) {
	nodes := startCluster(t, 3, nodeOpts{shards: 3})
	nodes[1].waitAccepted(t, 0, 1)
	nodes[2].waitAccepted(t, 0, 1)
	nodes[2].waitAccepted(t, 1, 1)
	for _, pair := range [][2]int{{0, 1}, {0, 2}, {1, 2}} {
		exchange(t, nodes[pair[0]], nodes[pair[1]], uint64(1000*(pair[0]+1)+10*pair[1]))
	}
	// The lower id dials: replica 2 dialed nobody, 1 dialed only 2, 0
	// dialed 1 and 2; accepts mirror it. Lower peers' (unreachable)
	// addresses were never used, or the dial count would be higher.
	for id, want := range []Stats{
		{Dials: 2, Accepts: 0, Accepted: 0},
		{Dials: 1, Accepts: 1, Accepted: 1},
		{Dials: 0, Accepts: 2, Accepted: 2},
	} {
		got := nodes[id].pl.Stats()
		if got.Dials != want.Dials || got.Accepts != want.Accepts || got.Accepted != want.Accepted {
			t.Errorf("replica %d: %+v, want %+v", id, got, want)
		}
	}
	// One connection per pair: each replica holds exactly n-1.
	for _, n := range nodes {
		total := 0
		for s := range n.rt.Shards() {
			total += n.rt.Shard(s).Bus().Replicas()
		}
		if total != 2 {
			t.Errorf("replica %d holds %d replica connections, want 2", n.id, total)
		}
	}
}

// A dialer that restarts reconnects: the connector redials once the
// connection is lost and the peer listens again on the same address. The
// restarted acceptor reuses the nonce store (it survives restarts).
func TestReconnectAfterPeerRestart(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: b.addr()}, manual: true})
	a.waitSwept(t) // the initial sweep
	b.waitAccepted(t, 0, 1)
	exchange(t, a, b, 1)

	addr, nonces := b.addr(), b.pl.Nonces()
	b.stop()
	a.waitLost(t, 1)

	a.sweep(t) // nothing listens: the dial fails
	a.logs.wait(t, 1, "failed dial", attrs("replica dial failed", "peer", "1"))
	b2 := startNode(t, nodeOpts{id: 1, listen: addr, nonces: nonces})
	a.sweep(t)
	b2.waitAccepted(t, 0, 1)
	exchange(t, a, b2, 100)
	if len(a.lost) != 0 {
		t.Fatalf("connection-lost fired %d more times", len(a.lost))
	}

	// And the other way round: the acceptor stays, the dialer restarts.
	a.stop()
	b2.waitLost(t, 0)
	a2 := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: addr}})
	b2.waitAccepted(t, 0, 2)
	exchange(t, a2, b2, 200)
}

// Sweeps skip a connected peer: no second dial, no second accept.
func TestReconnectSkipsConnectedPeer(t *testing.T) {
	b := startNode(t, nodeOpts{id: 1})
	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: b.addr()}, manual: true})
	a.waitSwept(t)
	b.waitAccepted(t, 0, 1)
	exchange(t, a, b, 1)
	for range 10 {
		a.sweep(t)
	}
	if got := a.pl.Stats(); got.Dials != 1 {
		t.Fatalf("dialer stats %+v, want 1 dial", got)
	}
	exchange(t, a, b, 2) // proves b has seen everything a sent after the sweeps
	if got := b.pl.Stats(); got.Accepts != 1 || got.Accepted != 1 {
		t.Fatalf("acceptor stats %+v, want 1 accept", got)
	}
}

// A sweep skips a peer whose dial or handshake is still in flight: the
// peer here accepts and never answers the Hello, so the first handshake
// stays in flight until its deadline.
func TestSweepSkipsHandshakeInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	}()
	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: ln.Addr().String()}, manual: true})
	a.waitSwept(t)
	<-accepted // the first dial reached the silent peer; its handshake waits
	for range 5 {
		a.sweep(t)
	}
	if got := a.pl.Stats(); got.Dials != 1 {
		t.Fatalf("stats %+v, want 1 dial", got)
	}
	a.stop() // cancels the handshake
}

// TestRedialSoonWhilePeerMissing: a peer that was not up at the first
// sweep is dialed again within a fraction of a second, not only after the
// reconnect period (an hour here), so nodes started a moment apart connect
// at once.
func TestRedialSoonWhilePeerMissing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there yet
	a := startNode(t, nodeOpts{id: 0, peers: map[wire.ReplicaID]string{1: addr}, period: time.Hour})
	a.logs.wait(t, 1, "failed dial", attrs("replica dial failed", "peer", "1"))
	b := startNode(t, nodeOpts{id: 1, listen: addr})
	b.waitAccepted(t, 0, 1)
	exchange(t, a, b, 1)
}
