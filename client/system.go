package client

import (
	"context"

	"github.com/shoal-io/shoal/internal/wire"
)

// Legacy command codes of the NonReplicated reads (wire.md §2.5).
const (
	CodePing            uint32 = 1
	CodeStats           uint32 = 10
	CodeSnapshot        uint32 = 11
	CodeClusterMetadata uint32 = 12
	CodeDescribeOptions uint32 = 13
	CodeMe              uint32 = 20
	CodeClient          uint32 = 21
	CodeClients         uint32 = 22
	CodeUser            uint32 = 31
	CodeUsers           uint32 = 32
	CodePollMessages    uint32 = 100
	CodeConsumerOffset  uint32 = 120
	CodeStream          uint32 = 200
	CodeStreams         uint32 = 201
	CodeTopic           uint32 = 300
	CodeTopics          uint32 = 301
	CodeConsumerGroup   uint32 = 600
	CodeConsumerGroups  uint32 = 601
	CodeSyncGroup       uint32 = 606
)

// ClusterMetadata reads the cluster's name and nodes.
func (c *Client) ClusterMetadata(ctx context.Context) (*wire.ClusterMetadata, error) {
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeClusterMetadata, nil)
	if err != nil {
		return nil, err
	}
	var m wire.ClusterMetadata
	if err := m.Decode(b); err != nil {
		return nil, err
	}
	return &m, nil
}
