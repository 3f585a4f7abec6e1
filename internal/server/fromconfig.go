package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/config"
	"github.com/shoal-io/shoal/internal/httpapi"
	"github.com/shoal-io/shoal/internal/replica"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/vsr"
)

// FromConfig turns a loaded configuration into Options. Root credentials
// and logging are the caller's (they are not configuration keys). With
// cluster.enabled the node is cluster.replica_id's node of
// [[cluster.nodes]]: its listeners and data directory come from
// config.ForReplica, and the metadata replicates through VSR.
func FromConfig(c *config.Config) (Options, error) {
	o := DefaultOptions()
	var node *config.Replica
	if c.Cluster.Enabled {
		r, err := c.ForReplica(c.Cluster.ReplicaID)
		if err != nil {
			return o, fmt.Errorf("server: %w", err)
		}
		node, c = r, r.Config
	}
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
	if node != nil {
		if err := clusterOptions(&o, c, node); err != nil {
			return o, err
		}
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

// clusterOptions fills o.Cluster for node of c's cluster.
func clusterOptions(o *Options, c *config.Config, node *config.Replica) error {
	cl := &c.Cluster
	o.ClusterName, o.NodeName = cl.Name, node.Name
	nodes := make([]ClusterNode, len(cl.Nodes))
	for _, n := range cl.Nodes {
		nodes[n.ReplicaID] = ClusterNode{Name: n.Name, IP: n.IP, TCP: uint16(n.Ports.TCP), QUIC: uint16(n.Ports.QUIC),
			HTTP: uint16(n.Ports.HTTP), WebSocket: uint16(n.Ports.WebSocket), Replica: uint16(n.Ports.TCPReplica)}
	}
	o.Cluster = Cluster{Enabled: true, Self: node.ID, Nodes: nodes, Timeouts: vsr.Timeouts{
		Heartbeat:  config.Ticks(cl.CommitBroadcastInterval),
		Backup:     config.Ticks(cl.HeartbeatTimeout),
		Prepare:    config.Ticks(cl.PrepareRetransmitInterval),
		Resend:     config.Ticks(cl.ViewChangeRetransmitInterval),
		ViewChange: config.Ticks(cl.ViewChangeStatusTimeout),
		Probe:      config.Ticks(cl.RequestStartViewRetransmitInterval),
		Repair:     config.Ticks(cl.RepairRetryInterval),
	}, ProbeAttempts: cl.ViewProbeAttemptsMax,
		CheckpointInterval:          uint64(cl.MetadataCheckpointInterval),
		PartitionCheckpointInterval: uint64(cl.PartitionCheckpointInterval)}
	switch {
	case cl.Auth.Enabled && cl.Auth.SharedSecret != "":
		o.Cluster.Secret = replica.SecretFromPassphrase(string(cl.Auth.SharedSecret))
		if p := cl.Auth.PreviousSharedSecret; p != "" {
			k := replica.SecretFromPassphrase(string(p))
			o.Cluster.PreviousSecret = &k
		}
	default:
		// Shoal's replica plane always authenticates its peers: without
		// [cluster.auth] the secret comes from the environment.
		k, err := replica.LoadSecret(os.Getenv)
		if err != nil {
			return fmt.Errorf("server: cluster: set [cluster.auth] enabled = true with a shared_secret, or %s: %w", replica.EnvSecret, err)
		}
		o.Cluster.Secret = k
	}
	if t := cl.TLS; t.Enabled {
		tc, err := replicaTLS(t)
		if err != nil {
			return fmt.Errorf("server: cluster.tls: %w", err)
		}
		o.Cluster.TLS = tc
	}
	return nil
}

// replicaTLS is the replica plane's TLS configuration, both roles: this
// node's certificate for accepting (and dialing), and the peers' trust
// anchor, or any certificate with self_signed.
func replicaTLS(t config.ClusterTLS) (*tls.Config, error) {
	tc, err := serverTLS(t.CertFile, t.KeyFile, t.SelfSigned)
	if err != nil {
		return nil, err
	}
	if t.SelfSigned {
		tc.InsecureSkipVerify = true // self_signed: peers are authenticated by the handshake's MACs
		return tc, nil
	}
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificate", t.CAFile)
	}
	tc.RootCAs = pool
	return tc, nil
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
		WebUI: h.WebUI,
	}
}
