package wire

import (
	"encoding/binary"
	"fmt"
)

// NodeRole is a cluster node's role in GetClusterMetadata.
type NodeRole uint8

const (
	RoleLeader   NodeRole = 0
	RoleFollower NodeRole = 1
)

// NodeStatus is a cluster node's health in GetClusterMetadata.
type NodeStatus uint8

const (
	NodeHealthy     NodeStatus = 0
	NodeStarting    NodeStatus = 1
	NodeStopping    NodeStatus = 2
	NodeUnreachable NodeStatus = 3
	NodeMaintenance NodeStatus = 4
)

// MaxClusterNodes is the most nodes a GetClusterMetadata reply may list.
const MaxClusterNodes = 64

// ClusterNode is one node of a GetClusterMetadata reply. Disabled
// transports report port 0.
type ClusterNode struct {
	Name      string
	IP        string
	TCP       uint16
	QUIC      uint16
	HTTP      uint16
	WebSocket uint16
	Role      NodeRole
	Status    NodeStatus
}

// ClusterMetadata is the GetClusterMetadata (NonReplicated code 12) reply:
//
//	[name_len u32][name][nodes_count u32 <= 64] then per node
//	[name_len u32][name][ip_len u32][ip][tcp u16][quic u16][http u16][websocket u16][role u8][status u8]
type ClusterMetadata struct {
	Name  string
	Nodes []ClusterNode
}

// Append appends the encoding of c to dst.
func (c *ClusterMetadata) Append(dst []byte) []byte {
	dst = appendLongString(dst, c.Name)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(c.Nodes)))
	for _, n := range c.Nodes {
		dst = appendLongString(dst, n.Name)
		dst = appendLongString(dst, n.IP)
		for _, p := range []uint16{n.TCP, n.QUIC, n.HTTP, n.WebSocket} {
			dst = binary.LittleEndian.AppendUint16(dst, p)
		}
		dst = append(dst, byte(n.Role), byte(n.Status))
	}
	return dst
}

// Decode reads c from b.
func (c *ClusterMetadata) Decode(b []byte) error {
	d := NewBodyReader(b)
	c.Name = d.String32()
	n := d.U32()
	if d.err == nil && n > MaxClusterNodes {
		return fmt.Errorf("%w: %d cluster nodes", ErrMalformedBody, n)
	}
	c.Nodes = c.Nodes[:0]
	for i := uint32(0); i < n && d.err == nil; i++ {
		var node ClusterNode
		node.Name = d.String32()
		node.IP = d.String32()
		node.TCP, node.QUIC, node.HTTP, node.WebSocket = d.U16(), d.U16(), d.U16(), d.U16()
		node.Role, node.Status = NodeRole(d.U8()), NodeStatus(d.U8())
		c.Nodes = append(c.Nodes, node)
	}
	return d.err
}
