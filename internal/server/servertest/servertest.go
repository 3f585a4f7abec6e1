// Package servertest starts a real Shoal server for the tests of packages
// above internal/server (the client, the CLI): loopback listeners on
// ephemeral ports, a temp data directory, cheap password hashing, no
// heartbeat eviction, and root user admin/s3cret. It starts no goroutines
// of its own; the server it starts is shut down by the test's cleanup.
package servertest

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/server"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
)

// Root credentials of the server Start runs.
const (
	Username = "admin"
	Password = "s3cret"
)

// Server is a started server and the certificate its QUIC listener serves.
type Server struct {
	*server.Server
	// Cert is the self-signed certificate of the QUIC listener (and of TCP
	// or WebSocket TLS if a mutator enables them with it).
	Cert tls.Certificate
}

// ClientTLS returns a client configuration that trusts Cert.
func (s *Server) ClientTLS() *tls.Config { return tlsconn.ClientConfig(s.Cert) }

// Start starts a server with every listener on 127.0.0.1:0, after applying
// mutate to its options, and shuts it down when the test ends, failing the
// test if the shutdown reports an error.
func Start(t testing.TB, mutate ...func(o *server.Options, cert tls.Certificate)) *Server {
	t.Helper()
	cert, err := tlsconn.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	opts := server.DefaultOptions()
	opts.DataDir = t.TempDir()
	opts.TCP.Address, opts.WS.Address, opts.HTTP.Address, opts.QUIC.Address = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	opts.QUIC.TLS = tlsconn.NewServerConfig(cert)
	opts.Shards = 2
	opts.Heartbeat = 0
	opts.HashParams = metadata.TestHashParams
	opts.Root = server.RootCredentials{Username: Username, Password: Password}
	for _, m := range mutate {
		m(&opts, cert)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		srv.Shutdown(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return &Server{Server: srv, Cert: cert}
}
