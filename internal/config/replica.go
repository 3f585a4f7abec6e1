package config

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
)

// Replica is the effective configuration of one cluster node, from
// ForReplica.
type Replica struct {
	ID   int    // the node's replica_id
	Name string // the node's name
	// Config is a copy of the configuration with this node's listeners and
	// data directory: each enabled listener keeps the host of its own
	// address (the bind interface, as in Iggy) and takes the node's port;
	// system.path gets the node's name appended, so nodes sharing a
	// machine and a file never share a directory. cluster.replica_id is ID.
	Config *Config
	// ReplicaAddress is where this node's replica plane listens and where
	// peers dial it: the node's ip and tcp_replica port.
	ReplicaAddress string
	// Peers are the other nodes, by ascending replica id.
	Peers []Peer
	// Warnings name listeners bound to an interface other than the node's
	// ip, which peers and clients told that ip may not reach.
	Warnings []string
}

// Peer is another node of the cluster, as a replica dials it.
type Peer struct {
	ID             int
	Name           string
	ReplicaAddress string // ip:tcp_replica
}

// errNotClustered is ForReplica's error when the cluster is disabled.
var errNotClustered = errors.New("the cluster is not enabled")

// ForReplica returns the effective configuration of the node whose
// replica_id is id (cmd/shoal-server's --replica-id). The cluster must be
// enabled and the result valid; c is not modified. Apply it once: its
// Config already has the node's directory appended.
func (c *Config) ForReplica(id int) (*Replica, error) {
	if !c.Cluster.Enabled {
		return nil, &FieldError{Key: "cluster.enabled", Err: errNotClustered}
	}
	out := *c
	out.Cluster.Nodes = slices.Clone(c.Cluster.Nodes)
	out.Cluster.ReplicaID = id
	if err := out.Validate(); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(out.Cluster.Nodes, func(n Node) bool { return n.ReplicaID == id })
	self := out.Cluster.Nodes[i] // Validate checked that replica_id names a node
	r := &Replica{ID: id, Name: self.Name, Config: &out,
		ReplicaAddress: net.JoinHostPort(self.IP, strconv.Itoa(self.Ports.TCPReplica))}
	for _, l := range []struct {
		name    string
		enabled bool
		addr    *string
		port    int
	}{
		{"tcp", out.TCP.Enabled, &out.TCP.Address, self.Ports.TCP},
		{"quic", out.QUIC.Enabled, &out.QUIC.Address, self.Ports.QUIC},
		{"http", out.HTTP.Enabled, &out.HTTP.Address, self.Ports.HTTP},
		{"websocket", out.WebSocket.Enabled, &out.WebSocket.Address, self.Ports.WebSocket},
	} {
		if !l.enabled {
			continue
		}
		host, _, _ := net.SplitHostPort(*l.addr) // Validate checked the address
		*l.addr = net.JoinHostPort(host, strconv.Itoa(l.port))
		if bind := net.ParseIP(host); bind != nil && !bind.IsUnspecified() && !bind.Equal(net.ParseIP(self.IP)) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("config: %s listener binds %s but node %q is at %s; "+
				"set %s.address to 0.0.0.0 or that ip so others can reach it", l.name, *l.addr, self.Name, self.IP, l.name))
		}
	}
	out.System.Path = filepath.Join(c.System.Path, self.Name)
	for _, n := range out.Cluster.Nodes {
		if n.ReplicaID != id {
			r.Peers = append(r.Peers, Peer{ID: n.ReplicaID, Name: n.Name,
				ReplicaAddress: net.JoinHostPort(n.IP, strconv.Itoa(n.Ports.TCPReplica))})
		}
	}
	slices.SortFunc(r.Peers, func(a, b Peer) int { return a.ID - b.ID })
	return r, nil
}
