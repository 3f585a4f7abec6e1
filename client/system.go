package client

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/shoal-io/shoal/internal/wire"
)

// Legacy command codes of the NonReplicated reads (wire.md §2.5), for
// Request. Their values are the wire package's (wire.Code); they stay
// uint32 here, as Request takes them.
const (
	CodePing            = uint32(wire.CodePing)
	CodeStats           = uint32(wire.CodeStats)
	CodeSnapshot        = uint32(wire.CodeSnapshot)
	CodeClusterMetadata = uint32(wire.CodeClusterMetadata)
	CodeDescribeOptions = uint32(wire.CodeDescribeOptions)
	CodeMe              = uint32(wire.CodeMe)
	CodeClient          = uint32(wire.CodeClient)
	CodeClients         = uint32(wire.CodeClients)
	CodeUser            = uint32(wire.CodeGetUser)
	CodeUsers           = uint32(wire.CodeGetUsers)
	CodePollMessages    = uint32(wire.CodePollMessages)
	CodeConsumerOffset  = uint32(wire.CodeGetConsumerOffset)
	CodeStream          = uint32(wire.CodeGetStream)
	CodeStreams         = uint32(wire.CodeGetStreams)
	CodeTopic           = uint32(wire.CodeGetTopic)
	CodeTopics          = uint32(wire.CodeGetTopics)
	CodeConsumerGroup   = uint32(wire.CodeGetGroup)
	CodeConsumerGroups  = uint32(wire.CodeGetGroups)
	CodeSyncGroup       = uint32(wire.CodeSyncGroup)
)

// ClusterMetadata is the cluster's name and nodes, as the server reports
// them (GetClusterMetadata).
type ClusterMetadata struct {
	Name  string        `json:"name"`
	Nodes []ClusterNode `json:"nodes"`
}

// ClusterNode is one node of the cluster: where it listens and its state.
// A port is 0 when the node does not serve that transport.
type ClusterNode struct {
	Name      string     `json:"name"`
	IP        string     `json:"ip"`
	TCP       uint16     `json:"tcp"` // TCP, and TLS when the server enables it
	QUIC      uint16     `json:"quic"`
	HTTP      uint16     `json:"http"`
	WebSocket uint16     `json:"websocket"` // WS, and WSS when the server enables it
	Role      NodeRole   `json:"role"`
	Status    NodeStatus `json:"status"`
}

// Addr returns the host:port to Dial the node over transport t, or "" when
// the node reports no port for it.
func (n ClusterNode) Addr(t Transport) string {
	var port uint16
	switch t {
	case TCP, TLS:
		port = n.TCP
	case WS, WSS:
		port = n.WebSocket
	case QUIC:
		port = n.QUIC
	}
	if port == 0 {
		return ""
	}
	return net.JoinHostPort(n.IP, strconv.Itoa(int(port)))
}

// NodeRole is a node's role in the cluster.
type NodeRole uint8

// Node roles; the values are the wire's.
const (
	RoleLeader   = NodeRole(wire.RoleLeader)
	RoleFollower = NodeRole(wire.RoleFollower)
)

// String returns "leader", "follower" or "role N".
func (r NodeRole) String() string {
	switch r {
	case RoleLeader:
		return "leader"
	case RoleFollower:
		return "follower"
	}
	return "role " + strconv.Itoa(int(r))
}

// MarshalText renders r as String does.
func (r NodeRole) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// NodeStatus is a node's health.
type NodeStatus uint8

// Node statuses; the values are the wire's.
const (
	NodeHealthy     = NodeStatus(wire.NodeHealthy)
	NodeStarting    = NodeStatus(wire.NodeStarting)
	NodeStopping    = NodeStatus(wire.NodeStopping)
	NodeUnreachable = NodeStatus(wire.NodeUnreachable)
	NodeMaintenance = NodeStatus(wire.NodeMaintenance)
)

var nodeStatusNames = [...]string{"healthy", "starting", "stopping", "unreachable", "maintenance"}

// String returns the status's name ("healthy", ...) or "status N".
func (s NodeStatus) String() string {
	if int(s) < len(nodeStatusNames) {
		return nodeStatusNames[s]
	}
	return "status " + strconv.Itoa(int(s))
}

// MarshalText renders s as String does.
func (s NodeStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ClusterMetadata reads the cluster's name and nodes.
func (c *Client) ClusterMetadata(ctx context.Context) (*ClusterMetadata, error) {
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeClusterMetadata, nil)
	if err != nil {
		return nil, err
	}
	return decodeClusterMetadata(b)
}

func decodeClusterMetadata(b []byte) (*ClusterMetadata, error) {
	var m wire.ClusterMetadata
	if err := m.Decode(b); err != nil {
		return nil, fmt.Errorf("%w: cluster metadata: %v", ErrMalformedReply, err)
	}
	out := &ClusterMetadata{Name: m.Name, Nodes: make([]ClusterNode, len(m.Nodes))}
	for i, n := range m.Nodes {
		out.Nodes[i] = ClusterNode{Name: n.Name, IP: n.IP, TCP: n.TCP, QUIC: n.QUIC, HTTP: n.HTTP, WebSocket: n.WebSocket,
			Role: NodeRole(n.Role), Status: NodeStatus(n.Status)}
	}
	return out, nil
}
