package server

import (
	"net"
	"slices"
	"sync"

	"github.com/shoal-io/shoal/internal/metadata"
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
	// client is the bound session's VSR client id, the key of its group
	// memberships (wire.md §2.8); zero while unbound.
	client wire.ClientID
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

// bind records the login (bound) or logout of id's session; a login goes
// through login, which records the session's VSR client id as well.
func (d *directory) bind(id wire.ClientID, userID uint32, bound bool) {
	d.set(id, userID, bound, wire.ClientID{})
}

// login records that id's session is bound to user userID under VSR
// client id client.
func (d *directory) login(id, client wire.ClientID, userID uint32) { d.set(id, userID, true, client) }

func (d *directory) set(id wire.ClientID, userID uint32, bound bool, client wire.ClientID) {
	d.mu.Lock()
	if e := d.entries[id]; e != nil {
		e.userID, e.bound, e.client = userID, bound, client
		e.info.UserID = userID
	}
	d.mu.Unlock()
}

func (d *directory) len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.entries)
}

// list returns every client's info, sorted by id, with the consumer
// groups of its session in st.
func (d *directory) list(st *metadata.State) []wire.ClientInfo {
	groups := st.GroupsByClient()
	d.mu.RLock()
	out := make([]wire.ClientInfo, 0, len(d.entries))
	for _, e := range d.entries {
		info := e.info
		if e.bound {
			info.Groups = groups[e.client]
		}
		out = append(out, info)
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b wire.ClientInfo) int { return int(int64(a.ID) - int64(b.ID)) })
	return out
}

// lookup finds a client by its short id, with the consumer groups of its
// session in st.
func (d *directory) lookup(short uint32, st *metadata.State) (wire.ClientInfo, bool) {
	d.mu.RLock()
	var e dirEntry
	ok := false
	for _, x := range d.entries {
		if x.info.ID == short {
			e, ok = *x, true
			break
		}
	}
	d.mu.RUnlock()
	if ok && e.bound {
		e.info.Groups = st.GroupsOf(e.client)
	}
	return e.info, ok
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
