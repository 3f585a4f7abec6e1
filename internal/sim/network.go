package sim

import (
	"container/heap"
)

// endpoint is a replica index (>= 0) or a client (-1 - client index).
type endpoint int

func clientEP(i int) endpoint { return endpoint(-1 - i) }

func (e endpoint) isClient() bool { return e < 0 }
func (e endpoint) client() int    { return int(-1 - e) }

type packet struct {
	due      int
	seq      uint64
	from, to endpoint
	frame    []byte
}

type packetQueue []packet

func (q packetQueue) Len() int { return len(q) }
func (q packetQueue) Less(i, j int) bool {
	if q[i].due != q[j].due {
		return q[i].due < q[j].due
	}
	return q[i].seq < q[j].seq
}
func (q packetQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *packetQueue) Push(x any)   { *q = append(*q, x.(packet)) }
func (q *packetQueue) Pop() any {
	old := *q
	p := old[len(old)-1]
	*q = old[:len(old)-1]
	return p
}

// netParams are one run's network faults.
type netParams struct {
	drop      float64 // per packet
	duplicate float64 // per packet
	delayMin  int     // ticks
	delayMax  int     // ticks; a uniform delay reorders packets
}

// network delivers packets after a delay, in (due, seq) order, so the order
// never depends on anything but the seed. Packets between replicas on
// different sides of a partition are dropped when sent and when delivered.
type network struct {
	s    *Sim
	q    packetQueue
	seq  uint64
	p    netParams
	side []int // partition side per replica; all equal when healed
	// Asymmetric faults: a replica that can only send, or only receive.
	mute, deaf []bool
	sent       int
	dropts     int
}

func (n *network) connected(a, b endpoint) bool {
	if a.isClient() || b.isClient() {
		return true
	}
	return n.side[a] == n.side[b] && !n.mute[a] && !n.deaf[b]
}

func (n *network) send(from, to endpoint, frame []byte) {
	n.sent++
	if !n.connected(from, to) || n.s.netRand.Float64() < n.p.drop {
		n.dropts++
		return
	}
	copies := 1
	if n.s.netRand.Float64() < n.p.duplicate {
		copies = 2
	}
	for range copies {
		d := n.p.delayMin
		if n.p.delayMax > n.p.delayMin {
			d += n.s.netRand.IntN(n.p.delayMax - n.p.delayMin + 1)
		}
		n.seq++
		heap.Push(&n.q, packet{due: n.s.now + d, seq: n.seq, from: from, to: to, frame: frame})
	}
}

// due pops the next packet due by now.
func (n *network) due() (packet, bool) {
	if len(n.q) == 0 || n.q[0].due > n.s.now {
		return packet{}, false
	}
	return heap.Pop(&n.q).(packet), true
}

func (n *network) heal() {
	for i := range n.side {
		n.side[i], n.mute[i], n.deaf[i] = 0, false, false
	}
}

func (n *network) healed() bool {
	for i := range n.side {
		if n.side[i] != 0 || n.mute[i] || n.deaf[i] {
			return false
		}
	}
	return true
}

// partition splits the replicas into two random non-empty sides (or
// isolates one replica).
func (n *network) partition() {
	k := len(n.side)
	if k < 2 {
		return
	}
	r := n.s.faultRand
	switch r.IntN(4) {
	case 0: // one replica only sends (TigerBeetle "send-only primary")
		n.deaf[r.IntN(k)] = true
		return
	case 1: // one replica only receives
		n.mute[r.IntN(k)] = true
		return
	}
	if r.IntN(2) == 0 {
		iso := r.IntN(k)
		for i := range n.side {
			n.side[i] = 0
		}
		n.side[iso] = 1
		return
	}
	for {
		ones := 0
		for i := range n.side {
			n.side[i] = r.IntN(2)
			ones += n.side[i]
		}
		if ones > 0 && ones < k {
			return
		}
	}
}
