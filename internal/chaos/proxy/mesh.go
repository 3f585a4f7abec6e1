package proxy

import (
	"errors"
	"fmt"
)

// Mesh is one Proxy per directed link of an n-node cluster: node i reaches
// node j (i != j) by dialing Addr(i, j), and that proxy forwards to node j's
// address. A connection node i dials to node j carries both byte directions:
// i→j is the proxy's Up, j→i its Down. It is safe for concurrent use.
type Mesh struct {
	proxies [][]*Proxy // [from][to]; nil on the diagonal
}

// NewMesh starts n·(n-1) proxies on ephemeral loopback ports, proxy (i, j)
// forwarding to targets[j]. Proxy (i, j) is seeded with seed + i·n + j.
// observe, if set, gets every proxy's events with the link's endpoints.
func NewMesh(targets []string, seed uint64, observe func(from, to int, e Event)) (*Mesh, error) {
	n := len(targets)
	m := &Mesh{proxies: make([][]*Proxy, n)}
	for i := range n {
		m.proxies[i] = make([]*Proxy, n)
		for j := range n {
			if i == j {
				continue
			}
			cfg := Config{Listen: "127.0.0.1:0", Target: targets[j], Seed: seed + uint64(i*n+j)}
			if observe != nil {
				cfg.Observe = func(e Event) { observe(i, j, e) }
			}
			p, err := New(cfg)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("proxy: mesh link %d→%d: %w", i, j, err), m.Close())
			}
			m.proxies[i][j] = p
		}
	}
	return m, nil
}

// Nodes is the number of nodes.
func (m *Mesh) Nodes() int { return len(m.proxies) }

// Proxy is the proxy of link from→to.
func (m *Mesh) Proxy(from, to int) *Proxy { return m.proxies[from][to] }

// Addr is the address node from dials to reach node to.
func (m *Mesh) Addr(from, to int) string { return m.proxies[from][to].Addr() }

// SetLink sets the faults of link from→to: up on the bytes from sends, down
// on the bytes it receives over connections it dialed.
func (m *Mesh) SetLink(from, to int, up, down Fault) error {
	return m.proxies[from][to].SetFaults(up, down)
}

// Partition cuts a and b apart: every byte between them, over connections
// either one dialed, is blackholed.
func (m *Mesh) Partition(a, b int) error {
	bh := Fault{Mode: Blackhole}
	return errors.Join(m.SetLink(a, b, bh, bh), m.SetLink(b, a, bh, bh))
}

// OneWay blackholes the bytes from sends to to, over connections either one
// dialed, while to's bytes still reach from.
func (m *Mesh) OneWay(from, to int) error {
	bh := Fault{Mode: Blackhole}
	return errors.Join(m.SetLink(from, to, bh, Fault{}), m.SetLink(to, from, Fault{}, bh))
}

// Isolate partitions node a from every other node.
func (m *Mesh) Isolate(a int) error {
	var errs []error
	for b := range m.proxies {
		if b != a {
			errs = append(errs, m.Partition(a, b))
		}
	}
	return errors.Join(errs...)
}

// SetAll sets f on both directions of every link.
func (m *Mesh) SetAll(f Fault) error {
	var errs []error
	for _, row := range m.proxies {
		for _, p := range row {
			if p != nil {
				errs = append(errs, p.SetFault(f))
			}
		}
	}
	return errors.Join(errs...)
}

// Heal sets every link back to Pass; connections that lost bytes to a
// blackhole are closed.
func (m *Mesh) Heal() error { return m.SetAll(Fault{}) }

// Close closes every proxy and waits for their goroutines.
func (m *Mesh) Close() error {
	var errs []error
	for _, row := range m.proxies {
		for _, p := range row {
			if p != nil {
				errs = append(errs, p.Close())
			}
		}
	}
	return errors.Join(errs...)
}
