package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/httpapi"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
)

// Endpoint is one listener.
type Endpoint struct {
	Enabled bool
	Address string      // host:port; port 0 picks one
	TLS     *tls.Config // TLS (tcp) or WSS (websocket); nil for plain
}

// Options configures a Server. internal/config builds it from config.toml
// and the environment (see FromConfig).
type Options struct {
	// DataDir holds the metadata log and partitions.
	DataDir string
	TCP     Endpoint
	QUIC    Endpoint
	WS      Endpoint
	HTTP    Endpoint
	// API configures Iggy's REST API on the HTTP listener.
	API HTTPAPI
	// ClusterName and NodeName are reported by GetClusterMetadata.
	ClusterName, NodeName string
	// Cluster makes this node one replica of a cluster; the zero value
	// is a standalone node.
	Cluster Cluster
	// Shards is the number of shards; 0 means GOMAXPROCS.
	Shards int
	// Bus configures every shard's bus.
	Bus bus.Config
	// Heartbeat is the client heartbeat interval; a connection silent for
	// 1.2 × Heartbeat is evicted (StaleClient) and closed. 0 disables it.
	Heartbeat time.Duration
	// Cleaner is how often the segment cleaner enforces topics'
	// message_expiry and max_topic_size; 0 disables it.
	Cleaner time.Duration
	// Root bootstraps the root user on first start.
	Root RootCredentials
	// HashParams sets the argon2id cost of new password hashes; zero means
	// metadata.DefaultHashParams. Tests use metadata.TestHashParams.
	HashParams metadata.HashParams
	// Logger receives server events; nil discards them.
	Logger *slog.Logger
	// FS is where the metadata log and partitions live; nil means the
	// operating system's (vfs.Default). The simulator passes a crashable
	// in-memory one.
	FS vfs.FS
	// Now is the server's clock: operation and message timestamps, idle
	// sessions, token expiry. nil means time.Now.
	Now func() time.Time
}

// HTTPAPI configures the REST API (internal/httpapi): [http]
// max_request_size, [http.cors], [http.jwt]; and [http] web_ui.
type HTTPAPI struct {
	MaxRequestSize int64 // 0: httpapi.DefaultMaxRequestSize
	CORS           httpapi.CORS
	JWT            httpapi.JWT
	// WebUI serves the web UI (internal/webui) at /ui/ beside the API.
	WebUI bool
}

// RootCredentials choose the root user's password on first start: the
// given pair, or iggy/iggy with Default, or else a random password that
// Start logs once.
type RootCredentials struct {
	Username, Password string
	Default            bool
}

// DefaultOptions returns Iggy's defaults: TCP 127.0.0.1:8090, QUIC 8080,
// WebSocket 8092, HTTP 3000, data in local_data, 30 s heartbeat, the
// segment cleaner every minute.
func DefaultOptions() Options {
	return Options{
		DataDir:     "local_data",
		TCP:         Endpoint{Enabled: true, Address: "127.0.0.1:8090"},
		QUIC:        Endpoint{Enabled: true, Address: "127.0.0.1:8080"},
		WS:          Endpoint{Enabled: true, Address: "127.0.0.1:8092"},
		HTTP:        Endpoint{Enabled: true, Address: "127.0.0.1:3000"},
		API:         HTTPAPI{CORS: httpapi.DefaultCORS(), JWT: httpapi.DefaultJWT()},
		ClusterName: "single-node",
		NodeName:    "iggy-node", // Iggy's names for a node that is not clustered, which its tools expect
		Bus:         bus.DefaultConfig(),
		Heartbeat:   30 * time.Second,
		Cleaner:     time.Minute,
	}
}

func (o *Options) validate() error {
	if o.DataDir == "" {
		return errors.New("server: DataDir is empty")
	}
	if !o.TCP.Enabled && !o.QUIC.Enabled && !o.WS.Enabled {
		return errors.New("server: no client listener is enabled (tcp, quic, websocket)")
	}
	if (o.Root.Username == "") != (o.Root.Password == "") {
		return errors.New("server: set both IGGY_ROOT_USERNAME and IGGY_ROOT_PASSWORD, or neither")
	}
	if err := o.Bus.Validate(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := o.Cluster.validate(); err != nil {
		return err
	}
	return nil
}
