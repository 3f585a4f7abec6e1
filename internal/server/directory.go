package server

import (
	"net"
	"slices"
	"sync"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// directory lists the connected clients for GetClients, GetClient and
// GetStats. Shards write their own connections' entries; any shard reads.
// It is the one piece of client state shared across shards, behind its own
// lock, because the admin reads need a view of every shard.
type directory struct {
	mu sync.RWMutex // guards entries
	// +checklocks:mu
	entries map[wire.ClientID]*dirEntry
}

type dirEntry struct {
	info   wire.ClientInfo
	userID uint32
	bound  bool
}

func newDirectory() *directory { return &directory{entries: map[wire.ClientID]*dirEntry{}} }

// shortID is the u32 client id Iggy's ClientInfo carries: the sequence
// number the coordinator minted (unique per process up to 2^32 accepts).
func shortID(id wire.ClientID) uint32 { return uint32(id.Lo) }

func transportByte(k transport.Kind) wire.ClientTransport {
	switch k {
	case transport.KindQUIC:
		return wire.ClientTransportQUIC
	case transport.KindWS, transport.KindWSS:
		return wire.ClientTransportWebSocket
	default:
		return wire.ClientTransportTCP
	}
}

func (d *directory) add(id wire.ClientID, k transport.Kind, addr net.Addr) {
	a := ""
	if addr != nil {
		a = addr.String()
	}
	d.mu.Lock()
	d.entries[id] = &dirEntry{info: wire.ClientInfo{ID: shortID(id), Transport: transportByte(k), Address: a}}
	d.mu.Unlock()
}

func (d *directory) remove(id wire.ClientID) {
	d.mu.Lock()
	delete(d.entries, id)
	d.mu.Unlock()
}

// bind records the login (bound) or logout of id's session.
func (d *directory) bind(id wire.ClientID, userID uint32, bound bool) {
	d.mu.Lock()
	if e := d.entries[id]; e != nil {
		e.userID, e.bound = userID, bound
		e.info.UserID = userID
	}
	d.mu.Unlock()
}

func (d *directory) len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.entries)
}

// list returns every client's info, sorted by id.
func (d *directory) list() []wire.ClientInfo {
	d.mu.RLock()
	out := make([]wire.ClientInfo, 0, len(d.entries))
	for _, e := range d.entries {
		out = append(out, e.info)
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b wire.ClientInfo) int { return int(int64(a.ID) - int64(b.ID)) })
	return out
}

// lookup finds a client by its short id.
func (d *directory) lookup(short uint32) (wire.ClientInfo, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, e := range d.entries {
		if e.info.ID == short {
			return e.info, true
		}
	}
	return wire.ClientInfo{}, false
}

// get returns id's info.
func (d *directory) get(id wire.ClientID) (wire.ClientInfo, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if e := d.entries[id]; e != nil {
		return e.info, true
	}
	return wire.ClientInfo{}, false
}
