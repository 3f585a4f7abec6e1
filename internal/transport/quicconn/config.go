package quicconn

import (
	"crypto/tls"
	"time"

	"github.com/quic-go/quic-go"
)

const (
	// ALPN is the only application protocol the server accepts.
	ALPN = "iggy.consensus.v1"
	// DefaultPort is the default QUIC client port.
	DefaultPort = 8080
)

// Application close codes (CONNECTION_CLOSE) and stream error codes.
const (
	CodeNoError          quic.ApplicationErrorCode = 0x0
	CodeHandshakeFailed  quic.ApplicationErrorCode = 0x1001
	CodeShutdown         quic.ApplicationErrorCode = 0x1003
	CodeProtocolViolated quic.ApplicationErrorCode = 0x1004

	streamCodeRefused quic.StreamErrorCode = 0x1004 // extra data on a request stream
)

const (
	// HandshakeTimeout is the default handshake deadline (S6).
	HandshakeTimeout = 10 * time.Second
	// IdleTimeout closes a connection with no traffic at all.
	IdleTimeout = 30 * time.Second
	// KeepAlive is the keepalive period.
	KeepAlive = 10 * time.Second
	// MaxStreams bounds the request streams a client may have open: a
	// stream holds its slot until its reply is sent, so this is also the
	// number of unanswered requests a connection can carry.
	MaxStreams = 4096
	// window is the stream and connection receive window.
	window = 64 << 20
)

// DefaultQUICConfig returns the server settings: handshake deadline 10 s,
// idle timeout 30 s, keepalive 10 s, at most MaxStreams concurrent request
// streams, no client-opened unidirectional streams, 64 MiB windows and no
// 0-RTT.
func DefaultQUICConfig() *quic.Config {
	return &quic.Config{
		HandshakeIdleTimeout:           HandshakeTimeout,
		MaxIdleTimeout:                 IdleTimeout,
		KeepAlivePeriod:                KeepAlive,
		MaxIncomingStreams:             MaxStreams,
		MaxIncomingUniStreams:          -1,
		InitialStreamReceiveWindow:     1 << 20,
		MaxStreamReceiveWindow:         window,
		InitialConnectionReceiveWindow: 2 << 20,
		MaxConnectionReceiveWindow:     window,
		Allow0RTT:                      false,
	}
}

// clientQUICConfig is DefaultQUICConfig for the client: the server may open
// unidirectional streams (server-initiated frames) but no bidirectional
// ones.
func clientQUICConfig() *quic.Config {
	c := DefaultQUICConfig()
	c.MaxIncomingStreams = -1
	c.MaxIncomingUniStreams = 64
	return c
}

// withALPN returns a copy of c offering only ALPN, with TLS 1.3 (QUIC
// requires it).
func withALPN(c *tls.Config) *tls.Config {
	c = c.Clone()
	c.NextProtos = []string{ALPN}
	c.MinVersion = tls.VersionTLS13
	return c
}
