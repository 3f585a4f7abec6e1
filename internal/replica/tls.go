package replica

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// ALPN is the replica plane's TLS application protocol. A client-plane TLS
// endpoint dialed into the replica port (or the reverse) fails the TLS
// handshake instead of speaking the wrong protocol.
const ALPN = "iggy-replica"

// exporterLabel is the TLS exporter label whose 32-byte output every
// handshake MAC absorbs on a TLS link: a relay terminating two TLS
// sessions gets two different values, so both MACs fail.
const exporterLabel = "iggy replica psk binding"

// errALPN means the TLS peer did not negotiate ALPN.
var errALPN = errors.New("replica: TLS peer did not negotiate ALPN " + ALPN)

// tlsConfigs returns the server and client configurations for cfg: TLS
// 1.3 only, ALPN iggy-replica. cfg is shared by both roles (Certificates
// serve, RootCAs or InsecureSkipVerify check); nil means plain TCP.
func tlsConfigs(cfg *tls.Config) (server, client *tls.Config) {
	if cfg == nil {
		return nil, nil
	}
	server = cfg.Clone()
	server.MinVersion, server.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	server.NextProtos = []string{ALPN}
	client = server.Clone()
	return server, client
}

// startTLS runs the TLS handshake on nc as server or client under ctx and
// returns the connection and its channel binding.
func startTLS(ctx context.Context, nc net.Conn, cfg *tls.Config, server bool, addr string) (*tls.Conn, binding, error) {
	var tc *tls.Conn
	if server {
		tc = tls.Server(nc, cfg)
	} else {
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, binding{}, fmt.Errorf("replica: TLS server name of %s: %w", addr, err)
			}
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		tc = tls.Client(nc, cfg)
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, binding{}, fmt.Errorf("replica: TLS handshake: %w", err)
	}
	cs := tc.ConnectionState()
	if cs.NegotiatedProtocol != ALPN {
		return nil, binding{}, errALPN
	}
	ekm, err := cs.ExportKeyingMaterial(exporterLabel, nil, 32)
	if err != nil {
		return nil, binding{}, fmt.Errorf("replica: TLS exporter: %w", err)
	}
	bd := binding{tls: true}
	copy(bd.exporter[:], ekm)
	return tc, bd, nil
}

// tlsConn is an installed replica connection over TLS. Frames are read
// through transport.FrameReader on the TLS stream; a batch is copied into
// one buffer and written with one Write (S2), which writes all of it or
// fails (S3): Go's TLS has no vectored write.
type tlsConn struct {
	tc  *tls.Conn
	raw net.Conn
	fr  *transport.FrameReader // owned by the single reader

	wmu sync.Mutex // serialises SendBatch; guards the following field
	// +checklocks:wmu
	buf []byte // batch scratch, kept up to maxKeptBuf
}

const maxKeptBuf = 1 << 20

var _ transport.Conn = (*tlsConn)(nil)

func newTLSConn(tc *tls.Conn, raw net.Conn, max uint32) *tlsConn {
	return &tlsConn{tc: tc, raw: raw, fr: transport.NewFrameReader(tc, max)}
}

func (c *tlsConn) ReadFrame() (*wire.Frame, error) {
	f, err := c.fr.ReadFrame()
	if err != nil && errors.Is(err, net.ErrClosed) {
		err = fmt.Errorf("%w: %w", transport.ErrClosed, err)
	}
	return f, err
}

func (c *tlsConn) SendBatch(frames [][]byte) error {
	if len(frames) == 0 {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(frames) == 1 {
		_, err := c.tc.Write(frames[0])
		return err
	}
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	buf := c.buf[:0]
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	for _, f := range frames {
		buf = append(buf, f...)
	}
	if cap(buf) <= maxKeptBuf {
		c.buf = buf
	}
	_, err := c.tc.Write(buf)
	return err
}

func (c *tlsConn) Close() error         { return c.tc.Close() }
func (c *tlsConn) Kind() transport.Kind { return transport.KindTLS }
func (c *tlsConn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }
