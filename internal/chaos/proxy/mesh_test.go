package proxy

import (
	"net"
	"testing"
)

// meshPair is node from's connection to node to through the mesh, seen
// from both ends, after one round trip.
func meshPair(t *testing.T, m *Mesh, nodes []*server, from, to int) (dialer, acceptor net.Conn) {
	t.Helper()
	return pair(t, m.Proxy(from, to), nodes[to])
}

func startMesh(t *testing.T, n int) (*Mesh, []*server, []events) {
	t.Helper()
	nodes := make([]*server, n)
	targets := make([]string, n)
	for i := range nodes {
		nodes[i] = listen(t)
		targets[i] = nodes[i].addr()
	}
	evs := make([]events, n*n) // evs[from*n+to]
	for i := range evs {
		evs[i] = newEvents()
	}
	m, err := NewMesh(targets, 7, func(from, to int, e Event) { evs[from*n+to].observe(e) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	if m.Nodes() != n || m.Addr(0, 1) == m.Addr(1, 0) || m.Proxy(0, 1).Target() != targets[1] {
		t.Fatalf("mesh layout: %d nodes, %s %s", m.Nodes(), m.Addr(0, 1), m.Addr(1, 0))
	}
	return m, nodes, evs
}

func TestMeshPartition(t *testing.T) {
	m, nodes, evs := startMesh(t, 3)
	a0, a1 := meshPair(t, m, nodes, 0, 1) // dialed by 0: a0 is node 0's end
	b1, b0 := meshPair(t, m, nodes, 1, 0) // dialed by 1: b1 is node 1's end
	c0, c2 := meshPair(t, m, nodes, 0, 2)

	if err := m.Partition(0, 1); err != nil {
		t.Fatal(err)
	}
	// Nothing crosses between 0 and 1, on either connection, either way.
	send(t, a0, "x")
	evs[0*3+1].next(t, kind(Discarded, Up))
	send(t, a1, "x")
	evs[0*3+1].next(t, kind(Discarded, Down))
	send(t, b1, "x")
	evs[1*3+0].next(t, kind(Discarded, Up))
	send(t, b0, "x")
	evs[1*3+0].next(t, kind(Discarded, Down))
	// Node 2 still talks to node 0.
	send(t, c0, "to 2")
	expect(t, c2, "to 2")
	send(t, c2, "to 0")
	expect(t, c0, "to 0")

	if err := m.Heal(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []net.Conn{a0, a1, b1, b0} {
		expectClosed(t, c) // the holed connections end at both ends
	}
	send(t, c0, "after")
	expect(t, c2, "after")
	meshPair(t, m, nodes, 0, 1)
	meshPair(t, m, nodes, 1, 0)
}

func TestMeshOneWay(t *testing.T) {
	m, nodes, evs := startMesh(t, 2)
	a0, a1 := meshPair(t, m, nodes, 0, 1)
	b1, b0 := meshPair(t, m, nodes, 1, 0)

	if err := m.OneWay(0, 1); err != nil {
		t.Fatal(err)
	}
	// 0 → 1 is blackholed on the connection 0 dialed (Up) and on the one
	// 1 dialed (Down).
	send(t, a0, "x")
	evs[0*2+1].next(t, kind(Discarded, Up))
	send(t, b0, "x")
	evs[1*2+0].next(t, kind(Discarded, Down))
	// 1 → 0 flows on both.
	send(t, a1, "from 1 on 0's conn")
	expect(t, a0, "from 1 on 0's conn")
	send(t, b1, "from 1 on 1's conn")
	expect(t, b0, "from 1 on 1's conn")

	// Node 1 never got 0's bytes: after the heal both holed connections
	// end, at both ends, with nothing more delivered.
	if err := m.Heal(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []net.Conn{a1, b1, a0, b0} {
		expectClosed(t, c)
	}
}

func TestMeshIsolate(t *testing.T) {
	m, nodes, evs := startMesh(t, 3)
	x1, _ := meshPair(t, m, nodes, 1, 0)
	y2, _ := meshPair(t, m, nodes, 2, 0)
	z1, z2 := meshPair(t, m, nodes, 1, 2)
	if err := m.Isolate(0); err != nil {
		t.Fatal(err)
	}
	send(t, x1, "x")
	evs[1*3+0].next(t, kind(Discarded, Up))
	send(t, y2, "y")
	evs[2*3+0].next(t, kind(Discarded, Up))
	send(t, z1, "1 and 2 still talk")
	expect(t, z2, "1 and 2 still talk")
}
