package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/config"
	"github.com/shoal-io/shoal/internal/httpapi"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
)

// FromConfig turns a loaded configuration into Options. Root credentials
// and logging are the caller's (they are not configuration keys).
// ErrClusterUnavailable is returned for cluster.enabled = true: this build
// runs standalone nodes only (replication is being built: the consensus
// core, its durable log and the replica plane exist, the server does not
// use them yet).
var ErrClusterUnavailable = errors.New("server: cluster.enabled: clustering is not available in this build yet; set cluster.enabled = false to run a standalone node")

func FromConfig(c *config.Config) (Options, error) {
	o := DefaultOptions()
	o.DataDir = c.System.Path
	shards, err := c.System.Sharding.Shards()
	if err != nil {
		return o, fmt.Errorf("server: system.sharding.cpu_allocation: %w", err)
	}
	o.Shards = shards
	o.HTTP = Endpoint{Enabled: c.HTTP.Enabled, Address: c.HTTP.Address}
	if c.HTTP.Enabled && c.HTTP.TLS.Enabled {
		if o.HTTP.TLS, err = serverTLS(c.HTTP.TLS.CertFile, c.HTTP.TLS.KeyFile, false); err != nil {
			return o, fmt.Errorf("server: http.tls: %w", err)
		}
	}
	o.API = apiOptions(&c.HTTP)
	o.TCP = Endpoint{Enabled: c.TCP.Enabled, Address: c.TCP.Address}
	if c.TCP.Enabled && c.TCP.TLS.Enabled {
		if o.TCP.TLS, err = serverTLS(c.TCP.TLS.CertFile, c.TCP.TLS.KeyFile, c.TCP.TLS.SelfSigned); err != nil {
			return o, fmt.Errorf("server: tcp.tls: %w", err)
		}
	}
	o.WS = Endpoint{Enabled: c.WebSocket.Enabled, Address: c.WebSocket.Address}
	if c.WebSocket.Enabled && c.WebSocket.TLS.Enabled {
		if o.WS.TLS, err = serverTLS(c.WebSocket.TLS.CertFile, c.WebSocket.TLS.KeyFile, c.WebSocket.TLS.SelfSigned); err != nil {
			return o, fmt.Errorf("server: websocket.tls: %w", err)
		}
	}
	o.QUIC = Endpoint{Enabled: c.QUIC.Enabled, Address: c.QUIC.Address}
	if c.QUIC.Enabled {
		cert := c.QUIC.Certificate
		if o.QUIC.TLS, err = serverTLS(cert.CertFile, cert.KeyFile, cert.SelfSigned); err != nil {
			return o, fmt.Errorf("server: quic.certificate: %w", err)
		}
	}
	if c.Heartbeat.Enabled {
		o.Heartbeat = c.Heartbeat.Interval.Std()
	} else {
		o.Heartbeat = 0
	}
	if m := c.DataMaintenance.Messages; m.CleanerEnabled {
		o.Cleaner = m.Interval.Std()
	} else {
		o.Cleaner = 0
	}
	if c.Cluster.Enabled {
		// Refused rather than run standalone without a word: a user who
		// asked for replication must not believe they have it.
		return o, ErrClusterUnavailable
	}
	mb := c.MessageBus
	o.Bus = bus.Config{
		MaxBatch:          mb.MaxBatch,
		PeerQueueCapacity: mb.PeerQueueCapacity,
		MaxMessageSize:    uint32(mb.MaxMessageSize),
		ReconnectPeriod:   mb.ReconnectPeriod.Std(),
		KeepAliveIdle:     mb.KeepaliveIdle.Std(),
		KeepAliveInterval: mb.KeepaliveInterval.Std(),
		KeepAliveCount:    mb.KeepaliveRetries,
		ClosePeerTimeout:  mb.ClosePeerTimeout.Std(),
		HandshakeTimeout:  mb.HandshakeGrace.Std(),

		MaxInFlight:               mb.MaxInFlight,
		SlowConsumerTimeout:       mb.SlowConsumerTimeout.Std(),
		FrameTimeout:              mb.FrameTimeout.Std(),
		LoginTimeout:              mb.LoginTimeout.Std(),
		MaxUnauthenticated:        mb.MaxUnauthenticated,
		MaxUnauthenticatedPerAddr: mb.MaxUnauthenticatedPerAddress,
		MaxUnauthenticatedFrame:   uint32(mb.MaxUnauthenticatedFrame),
	}
	return o, o.Bus.Validate()
}

// serverTLS loads the certificate files; with selfSigned a missing
// certificate file means a throwaway self-signed pair (Iggy's rule: an
// existing file is always used).
func serverTLS(certFile, keyFile string, selfSigned bool) (*tls.Config, error) {
	if selfSigned {
		if _, err := os.Stat(certFile); certFile == "" || errors.Is(err, fs.ErrNotExist) {
			return tlsconn.ServerConfig(tlsconn.Options{SelfSigned: true})
		}
	}
	return tlsconn.ServerConfig(tlsconn.Options{CertFile: certFile, KeyFile: keyFile})
}

// apiOptions are the REST API's settings from [http].
func apiOptions(h *config.HTTP) HTTPAPI {
	j, cr := h.JWT, h.CORS
	return HTTPAPI{
		MaxRequestSize: int64(h.MaxRequestSize),
		CORS: httpapi.CORS{Enabled: cr.Enabled, AllowedMethods: cr.AllowedMethods, AllowedOrigins: cr.AllowedOrigins,
			AllowedHeaders: cr.AllowedHeaders, ExposedHeaders: cr.ExposedHeaders, AllowCredentials: cr.AllowCredentials,
			AllowPrivateNetwork: cr.AllowPrivateNetwork},
		JWT: httpapi.JWT{Algorithm: j.Algorithm, Issuer: j.Issuer, Audience: j.Audience, ValidIssuers: j.ValidIssuers,
			ValidAudiences: j.ValidAudiences, AccessTokenExpiry: j.AccessTokenExpiry.Std(), ClockSkew: j.ClockSkew.Std(),
			NotBefore: j.NotBefore.Std(), EncodingSecret: j.EncodingSecret, DecodingSecret: j.DecodingSecret,
			UseBase64Secret: j.UseBase64Secret},
	}
}
