package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/shoal-io/shoal/internal/consensus"
	"github.com/shoal-io/shoal/internal/replica"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// Cluster configures a clustered node: the metadata consensus group then
// has len(Nodes) replicas talking over the replica plane. The zero value
// is a standalone node (a group of one replica, no plane).
type Cluster struct {
	Enabled bool
	// Self is this node's replica id: an index into Nodes.
	Self int
	// Nodes lists every node, indexed by replica id.
	Nodes []ClusterNode
	// Secret is the cluster's pre-shared key for the replica handshake.
	Secret replica.Secret
	// PreviousSecret, if set, is accepted but never signed with during a
	// rolling key rotation (cluster.auth.previous_shared_secret).
	PreviousSecret *replica.Secret
	// TLS, if set, wraps replica connections (replica.Config.TLS).
	TLS *tls.Config
	// Timeouts are the vsr timeouts in ticks of consensus.TickInterval;
	// zero fields take vsr's defaults.
	Timeouts vsr.Timeouts
	// Ticks, if set, replaces the consensus ticker (tests).
	Ticks <-chan time.Time
	// CheckpointInterval is the metadata group's checkpoint interval in
	// ops; 0 means metagroup.DefaultCheckpointInterval.
	CheckpointInterval uint64
	// PartitionCheckpointInterval is each partition group's; 0 means
	// partgroup.DefaultCheckpointInterval.
	PartitionCheckpointInterval uint64
	// ProbeAttempts is vsr.Config.ProbeAttempts for every group.
	ProbeAttempts int
}

// ClusterNode is one node of a cluster.
type ClusterNode struct {
	Name string
	IP   string
	// Ports of its client listeners, reported by GetClusterMetadata, and
	// of its replica listener.
	TCP, QUIC, HTTP, WebSocket, Replica uint16
}

// replicaAddr is n's replica-plane address.
func (n ClusterNode) replicaAddr() string {
	return net.JoinHostPort(n.IP, strconv.Itoa(int(n.Replica)))
}

func (c *Cluster) validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case len(c.Nodes) == 0 || len(c.Nodes) > vsr.MaxReplicas:
		return fmt.Errorf("server: cluster: %d nodes, want 1..%d", len(c.Nodes), vsr.MaxReplicas)
	case c.Self < 0 || c.Self >= len(c.Nodes):
		return fmt.Errorf("server: cluster: replica id %d is not one of the %d nodes", c.Self, len(c.Nodes))
	case c.Secret == (replica.Secret{}):
		return errors.New("server: cluster: no shared secret")
	}
	for i, n := range c.Nodes {
		if n.IP == "" || n.Replica == 0 {
			return fmt.Errorf("server: cluster: node %d has no replica address", i)
		}
	}
	return nil
}

// replicas is the size of the metadata group.
func (srv *Server) replicas() int {
	if !srv.opts.Cluster.Enabled {
		return 1
	}
	return len(srv.opts.Cluster.Nodes)
}

// clusterID is stamped on every consensus frame: the replica plane's
// cluster id for a cluster, a fixed one for a standalone node.
func (srv *Server) clusterID() wire.Uint128 {
	return replica.ClusterID(srv.opts.ClusterName)
}

// startPlane starts the replica plane of a clustered node on the shard
// runtime: its listener, and the connector that dials its peers.
func (srv *Server) startPlane() error {
	c := &srv.opts.Cluster
	peers := map[wire.ReplicaID]string{}
	for i, n := range c.Nodes {
		peers[wire.ReplicaID(i)] = n.replicaAddr()
	}
	pl, err := replica.Start(srv.rt, replica.Config{ClusterName: srv.opts.ClusterName, Self: wire.ReplicaID(c.Self),
		Listen: c.Nodes[c.Self].replicaAddr(), Peers: peers, Secret: c.Secret, PreviousSecret: c.PreviousSecret, TLS: c.TLS, Logger: srv.log})
	if err != nil {
		return fmt.Errorf("server: replica plane: %w", err)
	}
	srv.plane = pl
	return nil
}

// onReplicaMessage takes a replica-plane frame on the shard holding the
// peer's connection: a login or logout forwarded between backup and
// primary goes to the metadata group's forwarding; a consensus frame to
// the Node of the group it names.
func (srv *Server) onReplicaMessage(s *shard.Shard, from wire.ReplicaID, f *wire.Frame) {
	if g := srv.group.Load(); g != nil && g.HandleForward(from, f.Bytes()) {
		f.Release()
		return
	}
	srv.router.OnReplicaMessage(s, from, f)
}

// transport is the metadata group's transport: the replica plane, or
// nothing for a standalone node.
func (srv *Server) transport() consensus.Transport {
	if !srv.opts.Cluster.Enabled {
		return noPeers{}
	}
	return consensus.PlaneTransport{Runtime: srv.rt}
}

// noPeers is a standalone node's transport: a group of one sends nothing.
type noPeers struct{}

func (noPeers) SendToReplica(wire.ReplicaID, []byte) error {
	return errors.New("server: standalone node has no peers")
}

// readClusterMetadata answers GetClusterMetadata (code 12).
func (srv *Server) readClusterMetadata(_ *shard.Shard, _ *session, _ []byte) ([]byte, wire.Status) {
	m := srv.clusterMetadata()
	return m.Append(nil), wire.StatusOK
}

// clusterMetadata describes the cluster for GetClusterMetadata over both
// protocols: the node itself when standalone (one node, Leader and
// Healthy, wire.md §2.3); in a cluster every node with its role as this
// node sees it (the primary of the metadata group is the leader) and its
// status (this node, and peers it holds a replica connection to, are
// Healthy; the others Unreachable).
func (srv *Server) clusterMetadata() wire.ClusterMetadata {
	if !srv.opts.Cluster.Enabled {
		node := wire.ClusterNode{Name: srv.opts.NodeName, Role: wire.RoleLeader, Status: wire.NodeHealthy,
			TCP: srv.port("tcp"), QUIC: srv.port("quic"), HTTP: srv.port("http"), WebSocket: srv.port("websocket")}
		node.IP = "127.0.0.1"
		if a := srv.Addr("tcp"); a != nil {
			if host, _, err := net.SplitHostPort(a.String()); err == nil {
				node.IP = host
			}
		}
		return wire.ClusterMetadata{Name: srv.opts.ClusterName, Nodes: []wire.ClusterNode{node}}
	}
	c := &srv.opts.Cluster
	st := srv.groupStatus()
	m := wire.ClusterMetadata{Name: srv.opts.ClusterName}
	for i, n := range c.Nodes {
		node := wire.ClusterNode{Name: n.Name, IP: n.IP, TCP: n.TCP, QUIC: n.QUIC, HTTP: n.HTTP, WebSocket: n.WebSocket,
			Role: wire.RoleFollower, Status: wire.NodeUnreachable}
		if st.Status == vsr.StatusNormal && int(st.Primary) == i && !st.Abdicated {
			node.Role = wire.RoleLeader
		}
		if i == c.Self || (srv.plane != nil && srv.plane.Connected(wire.ReplicaID(i))) {
			node.Status = wire.NodeHealthy
		}
		m.Nodes = append(m.Nodes, node)
	}
	return m
}

// groupStatus is the metadata group's status, or the zero value before it
// started.
func (srv *Server) groupStatus() consensus.Status {
	if g := srv.group.Load(); g != nil {
		return g.Status()
	}
	return consensus.Status{Status: vsr.StatusRecovering}
}

// servesData reports whether this node serves the data plane (sends,
// polls, consumer offsets, segment deletion): a standalone node always,
// a cluster node while it is the primary of the metadata group.
func (srv *Server) servesData() bool {
	if !srv.opts.Cluster.Enabled {
		return true
	}
	g := srv.group.Load()
	return g != nil && g.IsPrimary()
}
