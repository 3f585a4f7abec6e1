package client

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// ClusterMetadata returns client types (issue #13), converted field by
// field from the wire reply.
func TestClusterMetadata(t *testing.T) {
	md := wire.ClusterMetadata{Name: "c1", Nodes: []wire.ClusterNode{
		{Name: "n0", IP: "127.0.0.1", TCP: 8090, QUIC: 8080, HTTP: 3000, WebSocket: 8092, Role: wire.RoleLeader, Status: wire.NodeHealthy},
		{Name: "n1", IP: "::1", TCP: 9090, Role: wire.RoleFollower, Status: wire.NodeMaintenance},
	}}
	var malformed atomic.Bool
	p := newPeer(t, func(n int, h *wire.RequestHeader, body []byte) [][]byte {
		if h.Operation == wire.OpNonReplicated && h.Code == wire.CodeClusterMetadata {
			if malformed.Load() {
				return [][]byte{reply(h, 0, []byte{1, 2})}
			}
			return [][]byte{reply(h, 0, md.Append(nil))}
		}
		return server(n, h, body)
	})
	c := dial(t, p)
	ctx := context.Background()
	got, err := c.ClusterMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := ClusterMetadata{Name: "c1", Nodes: []ClusterNode{
		{Name: "n0", IP: "127.0.0.1", TCP: 8090, QUIC: 8080, HTTP: 3000, WebSocket: 8092, Role: RoleLeader, Status: NodeHealthy},
		{Name: "n1", IP: "::1", TCP: 9090, Role: RoleFollower, Status: NodeMaintenance},
	}}
	j, _ := json.Marshal(got)
	if w, _ := json.Marshal(want); string(j) != string(w) {
		t.Fatalf("got %s\nwant %s", j, w)
	}
	const wantJSON = `{"name":"c1","nodes":[` +
		`{"name":"n0","ip":"127.0.0.1","tcp":8090,"quic":8080,"http":3000,"websocket":8092,"role":"leader","status":"healthy"},` +
		`{"name":"n1","ip":"::1","tcp":9090,"quic":0,"http":0,"websocket":0,"role":"follower","status":"maintenance"}]}`
	if string(j) != wantJSON {
		t.Fatalf("JSON %s", j)
	}
	n0, n1 := got.Nodes[0], got.Nodes[1]
	for _, tc := range []struct {
		node ClusterNode
		t    Transport
		want string
	}{
		{n0, TCP, "127.0.0.1:8090"}, {n0, TLS, "127.0.0.1:8090"}, {n0, WS, "127.0.0.1:8092"}, {n0, WSS, "127.0.0.1:8092"},
		{n0, QUIC, "127.0.0.1:8080"}, {n0, "carrier-pigeon", ""},
		{n1, TCP, "[::1]:9090"}, {n1, QUIC, ""}, {n1, WS, ""},
	} {
		if a := tc.node.Addr(tc.t); a != tc.want {
			t.Errorf("%s.Addr(%s) = %q, want %q", tc.node.Name, tc.t, a, tc.want)
		}
	}
	if s := NodeRole(7).String() + " " + NodeStatus(9).String(); s != "role 7 status 9" {
		t.Errorf("unknown role and status: %q", s)
	}

	malformed.Store(true)
	if _, err := c.ClusterMetadata(ctx); !errors.Is(err, ErrMalformedReply) {
		t.Fatalf("malformed reply: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("the connection did not stay open: %v", err)
	}
}
