package server

import (
	"context"
	"errors"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// Over every transport a client logs in, pings, reads the cluster
// metadata and logs out (issue 6 acceptance).
func TestSessionOverEveryTransport(t *testing.T) {
	cert, err := tlsconn.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	secure := func(o *Options) {
		o.TCP.TLS = tlsconn.NewServerConfig(cert)
		o.WS.TLS = tlsconn.NewServerConfig(cert)
	}
	for _, tc := range []struct {
		transport client.Transport
		listener  string
		tls       bool
	}{
		{client.TCP, "tcp", false},
		{client.TLS, "tcp", true},
		{client.WS, "websocket", false},
		{client.WSS, "websocket", true},
		{client.QUIC, "quic", true},
	} {
		t.Run(string(tc.transport), func(t *testing.T) {
			var ts *testServer
			opts := []client.Option{client.WithTransport(tc.transport), client.WithHeartbeat(0)}
			if tc.tls {
				ts = startServer(t, "", secure, func(o *Options) { o.QUIC.TLS = tlsconn.NewServerConfig(cert) })
				opts = append(opts, client.WithTLSConfig(tlsconn.ClientConfig(cert)))
			} else {
				ts = startServer(t, "")
			}
			ctx := context.Background()
			c, err := client.Dial(ctx, ts.Addr(tc.listener).String(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Ping(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
			if _, err := c.Login(ctx, "iggy", "iggy"); err != nil {
				t.Fatalf("login: %v", err)
			}
			md, err := c.ClusterMetadata(ctx)
			if err != nil || len(md.Nodes) != 1 || md.Nodes[0].WebSocket != ts.port("websocket") {
				t.Fatalf("cluster metadata %+v %v", md, err)
			}
			if err := c.Logout(ctx); err != nil {
				t.Fatalf("logout: %v", err)
			}
			if err := c.Ping(ctx); err != nil {
				t.Fatalf("ping after logout: %v", err)
			}
			if _, err := c.ClusterMetadata(ctx); !errors.Is(err, &client.StatusError{Status: wire.StatusUnauthenticated}) {
				t.Fatalf("read after logout: %v", err)
			}
		})
	}
}
