package server

import (
	"context"
	"errors"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// forEachTransport runs fn as a subtest per client transport (tcp, tls,
// ws, wss, quic) against a fresh server, with a client dialed over that
// transport with opts.
func forEachTransport(t *testing.T, fn func(t *testing.T, ts *testServer, c *client.Client), opts ...client.Option) {
	cert, err := tlsconn.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	secure := func(o *Options) {
		o.TCP.TLS = tlsconn.NewServerConfig(cert)
		o.WS.TLS = tlsconn.NewServerConfig(cert)
		o.QUIC.TLS = tlsconn.NewServerConfig(cert)
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
			dopts := append([]client.Option{client.WithTransport(tc.transport), client.WithHeartbeat(0)}, opts...)
			if tc.tls {
				ts = startServer(t, "", secure)
				dopts = append(dopts, client.WithTLSConfig(tlsconn.ClientConfig(cert)))
			} else {
				ts = startServer(t, "")
			}
			c, err := client.Dial(context.Background(), ts.Addr(tc.listener).String(), dopts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fn(t, ts, c)
		})
	}
}

// Over every transport a client logs in, pings, reads the cluster
// metadata and logs out (issue 6 acceptance).
func TestSessionOverEveryTransport(t *testing.T) {
	forEachTransport(t, func(t *testing.T, ts *testServer, c *client.Client) {
		ctx := context.Background()
		if err := c.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
		if _, err := c.Login(ctx, "iggy", "iggy"); err != nil {
			t.Fatalf("login: %v", err)
		}
		md, err := c.ClusterMetadata(ctx)
		if err != nil || len(md.Nodes) != 1 || md.Nodes[0].WebSocket != ts.port("websocket") || md.Nodes[0].QUIC != ts.port("quic") {
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
