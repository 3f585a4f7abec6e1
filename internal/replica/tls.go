package replica

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
)

// ALPN is the replica plane's TLS application protocol. A client-plane TLS
// endpoint dialed into the replica port (or the reverse) fails the TLS
// handshake instead of speaking the wrong protocol.
const ALPN = "iggy-replica"

// exporterLabel is the TLS exporter label whose 32-byte output every
// handshake MAC absorbs on a TLS link: a relay terminating two TLS
// sessions gets two different values, so both MACs fail.
const exporterLabel = "iggy replica psk binding"

// tlsConfig returns the tlsconn configuration of both roles for cfg: TLS
// 1.3 only, ALPN iggy-replica required. cfg serves both roles
// (Certificates serve, RootCAs or InsecureSkipVerify check, ClientAuth and
// ClientCAs make it mutual); nil means plain TCP.
func tlsConfig(cfg *tls.Config, tc tcp.Config) *tlsconn.Config {
	if cfg == nil {
		return nil
	}
	c := cfg.Clone()
	c.MinVersion, c.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	c.NextProtos = []string{ALPN}
	return &tlsconn.Config{TCP: tc, TLS: c, RequireALPN: true}
}

// stream returns the byte stream under c's framing, over which the replica
// handshake runs, and the channel binding its MACs absorb: the TLS
// session's exporter on TLS, none on plain TCP.
func stream(c transport.Conn) (net.Conn, binding, error) {
	switch c := c.(type) {
	case *tcp.Conn:
		return c.NetConn(), binding{}, nil
	case *tlsconn.Conn:
		cs := c.ConnectionState()
		ekm, err := cs.ExportKeyingMaterial(exporterLabel, nil, 32)
		if err != nil {
			return nil, binding{}, fmt.Errorf("replica: TLS exporter: %w", err)
		}
		bd := binding{tls: true}
		copy(bd.exporter[:], ekm)
		return c.NetConn(), bd, nil
	}
	return nil, binding{}, fmt.Errorf("replica: no handshake over a %v connection", c.Kind())
}
