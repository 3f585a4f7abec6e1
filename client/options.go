package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/quicconn"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/transport/ws"
	"github.com/shoal-io/shoal/internal/wire"
)

// Transport names how a Client reaches the server.
type Transport string

const (
	TCP  Transport = "tcp"
	TLS  Transport = "tls"
	WS   Transport = "ws"
	WSS  Transport = "wss"
	QUIC Transport = "quic"
)

// Defaults.
const (
	DefaultHeartbeat = 5 * time.Second // as Iggy's SDK
	// DefaultTransientWindow bounds how long a transiently refused request
	// (status 57/58) is replayed, leader redirects included.
	DefaultTransientWindow = 30 * time.Second
)

// Leader following, with the values of Iggy's Go SDK (wire.md §2.3, §2.6
// item 5).
const (
	// failoverAfter is how long a request answered 58 TransientNotAccepted
	// is replayed on one node before the client checks which node leads: a
	// node that stopped being the primary refuses forever.
	failoverAfter = 2 * time.Second
	// leaderWait bounds the wait for a cluster that names no healthy
	// leader (an election); then the client stays where it is.
	leaderWait = 5 * time.Second
	// leaderPoll paces the cluster metadata reads during that wait.
	leaderPoll = 250 * time.Millisecond
	// maxRedirects bounds consecutive redirects of one login, so two nodes
	// that each name the other cannot bounce a client forever.
	maxRedirects = 3
)

type options struct {
	transport    Transport
	tlsConfig    *tls.Config
	username     string
	password     string
	token        string
	heartbeat    time.Duration
	reconnect    bool
	maxFrameSize uint32
	sdkName      string
	sdkVersion   string
	protocol     wire.ProtocolVersion
	transient    time.Duration
	logger       *slog.Logger

	// Leader following; tests shorten them.
	failoverAfter, leaderWait, leaderPoll time.Duration
	maxRedirects                          int
}

func defaultOptions() options {
	return options{
		transport:    TCP,
		heartbeat:    DefaultHeartbeat,
		reconnect:    true,
		maxFrameSize: wire.DefaultMaxMessageSize,
		sdkName:      "shoal-go",
		sdkVersion:   "0.1.0",
		protocol:     wire.CurrentProtocolVersion,
		transient:    DefaultTransientWindow,
		logger:       slog.New(slog.DiscardHandler),

		failoverAfter: failoverAfter,
		leaderWait:    leaderWait,
		leaderPoll:    leaderPoll,
		maxRedirects:  maxRedirects,
	}
}

// Option configures Dial.
type Option func(*options)

// WithTransport selects the transport (default TCP).
func WithTransport(t Transport) Option { return func(o *options) { o.transport = t } }

// WithTLSConfig sets the TLS configuration for TLS, WSS and QUIC. Without
// it the system roots verify the server and the server name is the host of
// the address.
func WithTLSConfig(c *tls.Config) Option { return func(o *options) { o.tlsConfig = c } }

// WithCredentials logs in during Dial and again after every reconnect.
func WithCredentials(username, password string) Option {
	return func(o *options) { o.username, o.password = username, password }
}

// WithToken makes Dial log in with a personal access token, and log in
// again with it after a reconnect.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithHeartbeat sets the ping interval (default 5 s); 0 disables it.
func WithHeartbeat(d time.Duration) Option { return func(o *options) { o.heartbeat = d } }

// WithReconnect enables or disables redialing (and logging in again) after
// a connection fails; it is on by default.
func WithReconnect(on bool) Option { return func(o *options) { o.reconnect = on } }

// WithLogger sets where the client logs its connections, leader redirects
// and failovers (default: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithMaxFrameSize bounds reply frames (default 64 MiB).
func WithMaxFrameSize(n uint32) Option { return func(o *options) { o.maxFrameSize = n } }

// WithProtocolVersion overrides the protocol version sent at login (tests of
// the server's version check use it).
func WithProtocolVersion(v ProtocolVersion) Option { return func(o *options) { o.protocol = v } }

// WithTransientWindow sets how long a request refused as transient (57,
// 58) is replayed before its error is returned (default 30 s); 0 returns
// it at once.
func WithTransientWindow(d time.Duration) Option { return func(o *options) { o.transient = d } }

// WithSDK sets the SDK name and version sent at login.
func WithSDK(name, version string) Option {
	return func(o *options) { o.sdkName, o.sdkVersion = name, version }
}

// dialer opens a framed connection to addr; there is one per Transport. It
// is unexported because transport.Conn is internal (issue #13): users pick a
// transport with WithTransport.
type dialer func(ctx context.Context, addr string, tlsConfig *tls.Config, maxFrame uint32) (transport.Conn, error)

var dialers = map[Transport]dialer{
	TCP: func(ctx context.Context, addr string, _ *tls.Config, maxFrame uint32) (transport.Conn, error) {
		cfg := tcp.DefaultConfig()
		cfg.MaxFrameSize = maxFrame
		return tcp.Dial(ctx, addr, cfg)
	},
	TLS: func(ctx context.Context, addr string, tc *tls.Config, _ uint32) (transport.Conn, error) {
		return tlsconn.Dial(ctx, addr, tlsFor(addr, tc))
	},
	WS: func(ctx context.Context, addr string, _ *tls.Config, _ uint32) (transport.Conn, error) {
		return ws.Dial(ctx, wsURL("ws", addr), nil)
	},
	WSS: func(ctx context.Context, addr string, tc *tls.Config, _ uint32) (transport.Conn, error) {
		return ws.Dial(ctx, wsURL("wss", addr), tlsFor(addr, tc))
	},
	QUIC: func(ctx context.Context, addr string, tc *tls.Config, _ uint32) (transport.Conn, error) {
		return quicconn.Dial(ctx, addr, tlsFor(addr, tc))
	},
}

// wsURL accepts host:port or a full ws:// or wss:// URL.
func wsURL(scheme, addr string) string {
	if strings.Contains(addr, "://") {
		return addr
	}
	return scheme + "://" + addr + "/"
}

// tlsFor returns tc, or a config verifying the server by the system roots
// and the address's host.
func tlsFor(addr string, tc *tls.Config) *tls.Config {
	if tc != nil {
		return tc
	}
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		addr = u.Host
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}

func dialerFor(t Transport) (dialer, error) {
	d, ok := dialers[t]
	if !ok {
		return nil, fmt.Errorf("client: transport %q is not supported", t)
	}
	return d, nil
}
