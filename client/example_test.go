package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shoal-io/shoal/client"
)

// A user outside this module names statuses, eviction reasons and cluster
// nodes through package client alone.
func Example() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "127.0.0.1:8090", client.WithCredentials("iggy", "iggy"))
	var ev *client.EvictionError
	if errors.As(err, &ev) && ev.Reason == client.EvictInvalidCredentials {
		fmt.Println("wrong password")
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if _, err := c.CreateStream(ctx, "orders"); errors.Is(err, &client.StatusError{Status: client.StatusStreamNameAlreadyExists}) {
		fmt.Println("orders exists already")
	}
	md, err := c.ClusterMetadata(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range md.Nodes {
		if n.Role == client.RoleLeader {
			fmt.Println("leader at", n.Addr(client.QUIC), "as client", c.ID())
		}
	}
}
