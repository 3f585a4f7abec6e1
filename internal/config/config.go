package config

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
)

// Config is the whole server configuration. The toml tags are the key
// names; a nested struct is a section.
type Config struct {
	HTTP            HTTP            `toml:"http"`
	TCP             TCP             `toml:"tcp"`
	QUIC            QUIC            `toml:"quic"`
	WebSocket       WebSocket       `toml:"websocket"`
	Heartbeat       Heartbeat       `toml:"heartbeat"`
	DataMaintenance DataMaintenance `toml:"data_maintenance"`
	System          System          `toml:"system"`
	MessageBus      MessageBus      `toml:"message_bus"`
	Cluster         Cluster         `toml:"cluster"`
}

// HTTP is the [http] section: Iggy's REST API (internal/httpapi), beside
// /metrics, /health and the web UI.
type HTTP struct {
	Enabled bool   `toml:"enabled"`
	Address string `toml:"address"`
	// MaxRequestSize bounds a request body; a larger one is refused.
	MaxRequestSize Size     `toml:"max_request_size"`
	CORS           HTTPCORS `toml:"cors"`
	JWT            HTTPJWT  `toml:"jwt"`
	TLS            HTTPTLS  `toml:"tls"`
	// WebUI serves Shoal's web UI (internal/webui) at /ui/; Iggy's key,
	// off by default.
	WebUI bool `toml:"web_ui"`
}

// HTTPCORS is [http.cors]: Cross-Origin Resource Sharing.
type HTTPCORS struct {
	Enabled             bool       `toml:"enabled"`
	AllowedMethods      StringList `toml:"allowed_methods"`
	AllowedOrigins      StringList `toml:"allowed_origins"`
	AllowedHeaders      StringList `toml:"allowed_headers"`
	ExposedHeaders      StringList `toml:"exposed_headers"`
	AllowCredentials    bool       `toml:"allow_credentials"`
	AllowPrivateNetwork bool       `toml:"allow_private_network"`
}

// HTTPJWT is [http.jwt]: the access tokens the HTTP API issues and checks.
type HTTPJWT struct {
	// Algorithm is HS256, HS384 or HS512 (HMAC with a shared secret).
	Algorithm         string     `toml:"algorithm"`
	Issuer            string     `toml:"issuer"`
	Audience          string     `toml:"audience"`
	ValidIssuers      StringList `toml:"valid_issuers"`
	ValidAudiences    StringList `toml:"valid_audiences"`
	AccessTokenExpiry Duration   `toml:"access_token_expiry"`
	ClockSkew         Duration   `toml:"clock_skew"`
	NotBefore         Duration   `toml:"not_before"`
	// EncodingSecret and DecodingSecret are the HMAC key (equal for HS*);
	// both empty means a random one per start.
	EncodingSecret  string `toml:"encoding_secret"`
	DecodingSecret  string `toml:"decoding_secret"`
	UseBase64Secret bool   `toml:"use_base64_secret"`
}

// HTTPTLS is [http.tls]: HTTPS on the HTTP listener.
type HTTPTLS struct {
	Enabled  bool   `toml:"enabled"`
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
}

// StringList is a list of strings: a TOML array, or from the environment a
// comma-separated string.
type StringList []string

// UnmarshalText reads a comma-separated list (environment variables).
func (l *StringList) UnmarshalText(b []byte) error {
	*l = nil
	for s := range strings.SplitSeq(string(b), ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// TLS is a listener's certificate settings ([tcp.tls], [websocket.tls]).
type TLS struct {
	Enabled    bool   `toml:"enabled"`
	SelfSigned bool   `toml:"self_signed"`
	CertFile   string `toml:"cert_file"`
	KeyFile    string `toml:"key_file"`
}

// TCP is the [tcp] section.
type TCP struct {
	Enabled bool   `toml:"enabled"`
	Address string `toml:"address"`
	TLS     TLS    `toml:"tls"`
}

// Certificate is [quic.certificate]: QUIC always runs TLS.
type Certificate struct {
	SelfSigned bool   `toml:"self_signed"`
	CertFile   string `toml:"cert_file"`
	KeyFile    string `toml:"key_file"`
}

// QUIC is the [quic] section.
type QUIC struct {
	Enabled     bool        `toml:"enabled"`
	Address     string      `toml:"address"`
	Certificate Certificate `toml:"certificate"`
}

// WebSocket is the [websocket] section.
type WebSocket struct {
	Enabled bool   `toml:"enabled"`
	Address string `toml:"address"`
	TLS     TLS    `toml:"tls"`
}

// Heartbeat is the [heartbeat] section.
type Heartbeat struct {
	Enabled  bool     `toml:"enabled"`
	Interval Duration `toml:"interval"`
}

// DataMaintenance is the [data_maintenance] section.
type DataMaintenance struct {
	Messages MessagesMaintenance `toml:"messages"`
}

// MessagesMaintenance is [data_maintenance.messages]: the segment cleaner,
// which enforces topics' message_expiry and max_topic_size.
type MessagesMaintenance struct {
	CleanerEnabled bool     `toml:"cleaner_enabled"`
	Interval       Duration `toml:"interval"`
}

// System is the [system] section.
type System struct {
	Path     string   `toml:"path"`
	Sharding Sharding `toml:"sharding"`
}

// Sharding is [system.sharding].
type Sharding struct {
	// CPUAllocation is "all", "numa:auto", a count "N" or a range "a..b";
	// Shards resolves it.
	CPUAllocation string `toml:"cpu_allocation"`
}

// Shards returns the number of shards CPUAllocation asks for; "all" and
// "numa:auto" mean runtime.GOMAXPROCS(0).
func (s Sharding) Shards() (int, error) {
	v := strings.TrimSpace(s.CPUAllocation)
	switch v {
	case "all", "numa:auto", "":
		return runtime.GOMAXPROCS(0), nil
	}
	if a, b, ok := strings.Cut(v, ".."); ok {
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || lo < 0 || hi <= lo {
			return 0, fmt.Errorf("range %q must be a..b with 0 <= a < b", v)
		}
		return hi - lo, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not \"all\", \"numa:auto\", a positive count or a range a..b", v)
	}
	return n, nil
}

// MessageBus is the [message_bus] section: the bus knobs.
type MessageBus struct {
	MaxBatch          int      `toml:"max_batch"`
	MaxMessageSize    Size     `toml:"max_message_size"`
	PeerQueueCapacity int      `toml:"peer_queue_capacity"`
	ReconnectPeriod   Duration `toml:"reconnect_period"`
	ClosePeerTimeout  Duration `toml:"close_peer_timeout"`
	CloseGrace        Duration `toml:"close_grace"`
	HandshakeGrace    Duration `toml:"handshake_grace"`
	KeepaliveIdle     Duration `toml:"keepalive_idle"`
	KeepaliveInterval Duration `toml:"keepalive_interval"`
	KeepaliveRetries  int      `toml:"keepalive_retries"`

	// Connection limits (issue #15); see config.toml for each.
	MaxInFlight                  int      `toml:"max_in_flight"`
	SlowConsumerTimeout          Duration `toml:"slow_consumer_timeout"`
	FrameTimeout                 Duration `toml:"frame_timeout"`
	LoginTimeout                 Duration `toml:"login_timeout"`
	MaxUnauthenticated           int      `toml:"max_unauthenticated"`
	MaxUnauthenticatedPerAddress int      `toml:"max_unauthenticated_per_address"`
	MaxUnauthenticatedFrame      Size     `toml:"max_unauthenticated_message_size"`
}

// Limits Validate enforces.
const (
	MaxBatchLimit     = 512     // half of Linux IOV_MAX
	MinMessageSize    = 256     // one frame header
	MaxMessageSizeMax = 1 << 31 // the frame size field is a u32; stay well inside it
	MaxReplicas       = 16
	MaxShards         = 1024
)

// FieldError is a setting that is invalid. Key is the dotted key path.
type FieldError struct {
	Key    string
	Source string // where the value came from: "defaults", a file, or an env var; empty from Validate
	Err    error
}

func (e *FieldError) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("config: %s (from %s): %v", e.Key, e.Source, e.Err)
	}
	return fmt.Sprintf("config: %s: %v", e.Key, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Validate checks every setting and returns all problems joined; each is a
// *FieldError naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Key: key, Err: fmt.Errorf(format, args...)})
	}
	addrs := map[string]string{} // host:port → key, for enabled listeners
	listener := func(key string, enabled bool, addr string) {
		if !enabled {
			return
		}
		if err := checkAddress(addr); err != nil {
			bad(key, "%v", err)
			return
		}
		if strings.HasSuffix(addr, ":0") {
			return // port 0: the system picks a free port for each listener
		}
		if other, dup := addrs[addr]; dup {
			bad(key, "%q is also %s", addr, other)
		}
		addrs[addr] = key
	}
	listener("http.address", c.HTTP.Enabled, c.HTTP.Address)
	listener("tcp.address", c.TCP.Enabled, c.TCP.Address)
	listener("websocket.address", c.WebSocket.Enabled, c.WebSocket.Address)
	if c.QUIC.Enabled { // UDP: may share a port number with a TCP listener
		if err := checkAddress(c.QUIC.Address); err != nil {
			bad("quic.address", "%v", err)
		}
	}
	tls := func(section string, enabled bool, t TLS) {
		if enabled && t.Enabled && !t.SelfSigned && (t.CertFile == "" || t.KeyFile == "") {
			bad(section+".cert_file", "cert_file and key_file are required when TLS is enabled and self_signed is false")
		}
	}
	if h := c.HTTP; h.Enabled && h.TLS.Enabled && (h.TLS.CertFile == "" || h.TLS.KeyFile == "") {
		bad("http.tls.cert_file", "cert_file and key_file are required when TLS is enabled")
	}
	if c.HTTP.Enabled {
		errs = append(errs, c.HTTP.validate()...)
	}
	tls("tcp.tls", c.TCP.Enabled, c.TCP.TLS)
	tls("websocket.tls", c.WebSocket.Enabled, c.WebSocket.TLS)
	if q := c.QUIC.Certificate; c.QUIC.Enabled && !q.SelfSigned && (q.CertFile == "" || q.KeyFile == "") {
		bad("quic.certificate.cert_file", "cert_file and key_file are required when self_signed is false")
	}
	if c.Heartbeat.Enabled && c.Heartbeat.Interval <= 0 {
		bad("heartbeat.interval", "must be positive when heartbeats are enabled, got %v", c.Heartbeat.Interval)
	}
	if m := c.DataMaintenance.Messages; m.CleanerEnabled && m.Interval <= 0 {
		bad("data_maintenance.messages.interval", "must be positive when the cleaner is enabled, got %v", m.Interval)
	}
	if strings.TrimSpace(c.System.Path) == "" {
		bad("system.path", "must not be empty")
	}
	if n, err := c.System.Sharding.Shards(); err != nil {
		bad("system.sharding.cpu_allocation", "%v", err)
	} else if n > MaxShards {
		bad("system.sharding.cpu_allocation", "%d shards, at most %d", n, MaxShards)
	}
	mb := c.MessageBus
	if mb.MaxBatch < 1 || mb.MaxBatch > MaxBatchLimit {
		bad("message_bus.max_batch", "must be in 1..%d, got %d", MaxBatchLimit, mb.MaxBatch)
	}
	if mb.MaxMessageSize < MinMessageSize || mb.MaxMessageSize > MaxMessageSizeMax {
		bad("message_bus.max_message_size", "must be in %v..%v, got %v", Size(MinMessageSize), Size(MaxMessageSizeMax), mb.MaxMessageSize)
	}
	if mb.PeerQueueCapacity < 1 {
		bad("message_bus.peer_queue_capacity", "must be positive, got %d", mb.PeerQueueCapacity)
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{
		{"message_bus.reconnect_period", mb.ReconnectPeriod},
		{"message_bus.close_peer_timeout", mb.ClosePeerTimeout},
		{"message_bus.close_grace", mb.CloseGrace},
		{"message_bus.handshake_grace", mb.HandshakeGrace},
		{"message_bus.keepalive_idle", mb.KeepaliveIdle},
		{"message_bus.keepalive_interval", mb.KeepaliveInterval},
		{"message_bus.slow_consumer_timeout", mb.SlowConsumerTimeout},
		{"message_bus.frame_timeout", mb.FrameTimeout},
		{"message_bus.login_timeout", mb.LoginTimeout},
	} {
		if d.v <= 0 {
			bad(d.key, "must be positive, got %v", d.v)
		}
	}
	if mb.KeepaliveRetries < 1 {
		bad("message_bus.keepalive_retries", "must be positive, got %d", mb.KeepaliveRetries)
	}
	for _, n := range []struct {
		key string
		v   int
	}{
		{"message_bus.max_in_flight", mb.MaxInFlight},
		{"message_bus.max_unauthenticated", mb.MaxUnauthenticated},
		{"message_bus.max_unauthenticated_per_address", mb.MaxUnauthenticatedPerAddress},
	} {
		if n.v < 1 {
			bad(n.key, "must be positive, got %d", n.v)
		}
	}
	if mb.MaxUnauthenticatedFrame < MinMessageSize {
		bad("message_bus.max_unauthenticated_message_size", "must be at least %v, got %v", Size(MinMessageSize), mb.MaxUnauthenticatedFrame)
	}
	errs = append(errs, c.validateCluster()...)
	return errors.Join(errs...)
}

// checkAddress accepts host:port with a numeric port in 0..65535.
func checkAddress(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %v", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q has no valid port", addr)
	}
	return nil
}

// validate checks the [http] keys the HTTP API needs.
func (h *HTTP) validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Key: key, Err: fmt.Errorf(format, args...)})
	}
	if h.MaxRequestSize < 1 {
		bad("http.max_request_size", "must be positive, got %v", h.MaxRequestSize)
	}
	switch h.JWT.Algorithm {
	case "HS256", "HS384", "HS512":
	default:
		bad("http.jwt.algorithm", "must be HS256, HS384 or HS512, got %q", h.JWT.Algorithm)
	}
	if h.JWT.AccessTokenExpiry <= 0 {
		bad("http.jwt.access_token_expiry", "must be positive, got %v", h.JWT.AccessTokenExpiry)
	}
	if h.JWT.ClockSkew < 0 || h.JWT.NotBefore < 0 {
		bad("http.jwt.clock_skew", "clock_skew and not_before must not be negative")
	}
	if e, d := h.JWT.EncodingSecret, h.JWT.DecodingSecret; e != "" && d != "" && e != d {
		bad("http.jwt.decoding_secret", "must equal encoding_secret for an HMAC algorithm")
	}
	for _, m := range h.CORS.AllowedMethods {
		switch strings.ToUpper(m) {
		case "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "CONNECT", "PATCH", "TRACE":
		default:
			bad("http.cors.allowed_methods", "unknown method %q", m)
		}
	}
	return errs
}
