package bus

import (
	"fmt"
	"net"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// MaxBatchLimit is the hard cap on Config.MaxBatch: half of Linux's IOV_MAX
// (1024), leaving room for two iovecs per frame (a WS header and the frame).
const MaxBatchLimit = 512

// Config holds the bus settings. DefaultConfig gives the values of
// spec/bus.md §2.2.
type Config struct {
	// MaxBatch is the most frames a writer hands to one SendBatch (1..512).
	MaxBatch int
	// PeerQueueCapacity bounds each connection's send queue; a send to a
	// full queue fails with ErrBackpressure (S1).
	PeerQueueCapacity int
	// MaxMessageSize bounds incoming frames (S8).
	MaxMessageSize uint32
	// ReconnectPeriod is the replica connector's sweep period.
	ReconnectPeriod time.Duration
	// KeepAliveIdle, KeepAliveInterval and KeepAliveCount configure TCP
	// keepalive on every connection (TCP_KEEPIDLE, TCP_KEEPINTVL,
	// TCP_KEEPCNT).
	KeepAliveIdle     time.Duration
	KeepAliveInterval time.Duration
	KeepAliveCount    int
	// ClosePeerTimeout bounds how long closing one connection waits for its
	// writer to flush.
	ClosePeerTimeout time.Duration
	// HandshakeTimeout bounds a transport handshake on the owning shard
	// (S6).
	HandshakeTimeout time.Duration

	// The connection limits below (issue #15) take their default when
	// zero, so a Config built field by field gets them.

	// MaxInFlight bounds the Requests one client connection may have read
	// and not yet answered (a Reply or Eviction written to it). At the
	// bound its reader stops reading until the writer has written an
	// answer, so one connection cannot flood its shard and a reply always
	// finds room in the queue. Default 64; capped at PeerQueueCapacity.
	MaxInFlight int
	// SlowConsumerTimeout closes a client connection whose writer has been
	// blocked in one write this long: the client is not reading its
	// replies. Default 30 s.
	SlowConsumerTimeout time.Duration
	// FrameTimeout bounds the time from a frame's first byte to its last
	// on a client connection: a frame is cut between FrameTimeout and
	// twice it after it started (transport.ReadLimits). Default 30 s.
	FrameTimeout time.Duration
	// LoginTimeout closes a client connection not marked Authenticated
	// this long after it was installed. Default 10 s.
	LoginTimeout time.Duration
	// MaxUnauthenticated and MaxUnauthenticatedPerAddr cap the client
	// connections accepted and not yet authenticated (handshakes
	// included), in total and per remote IP address, over every bus that
	// shares a Gate. Beyond them a connection is refused. Defaults 1,000
	// and 100.
	MaxUnauthenticated        int
	MaxUnauthenticatedPerAddr int
	// MaxUnauthenticatedFrame caps frames from a client connection until
	// it is Authenticated (Register, pings and reads are small). Default
	// 64 KiB; capped at MaxMessageSize.
	MaxUnauthenticatedFrame uint32
}

// Defaults of the connection limits.
const (
	DefaultMaxInFlight               = 64
	DefaultSlowConsumerTimeout       = 30 * time.Second
	DefaultFrameTimeout              = 30 * time.Second
	DefaultLoginTimeout              = 10 * time.Second
	DefaultMaxUnauthenticated        = 1000
	DefaultMaxUnauthenticatedPerAddr = 100
	DefaultMaxUnauthenticatedFrame   = 64 << 10
)

// DefaultConfig returns max_batch 256, peer_queue_capacity 256,
// max_message_size 64 MiB, reconnect 5 s, keepalive 10 s / 5 s / 3,
// close_peer_timeout 2 s, a 10 s handshake deadline and the Default
// connection limits.
func DefaultConfig() Config {
	return Config{
		MaxBatch:                  256,
		PeerQueueCapacity:         256,
		MaxMessageSize:            wire.DefaultMaxMessageSize,
		ReconnectPeriod:           5 * time.Second,
		KeepAliveIdle:             10 * time.Second,
		KeepAliveInterval:         5 * time.Second,
		KeepAliveCount:            3,
		ClosePeerTimeout:          2 * time.Second,
		HandshakeTimeout:          10 * time.Second,
		MaxInFlight:               DefaultMaxInFlight,
		SlowConsumerTimeout:       DefaultSlowConsumerTimeout,
		FrameTimeout:              DefaultFrameTimeout,
		LoginTimeout:              DefaultLoginTimeout,
		MaxUnauthenticated:        DefaultMaxUnauthenticated,
		MaxUnauthenticatedPerAddr: DefaultMaxUnauthenticatedPerAddr,
		MaxUnauthenticatedFrame:   DefaultMaxUnauthenticatedFrame,
	}
}

// withDefaults fills the zero connection limits with their defaults.
func (c Config) withDefaults() Config {
	orDefault(&c.SlowConsumerTimeout, DefaultSlowConsumerTimeout)
	orDefault(&c.FrameTimeout, DefaultFrameTimeout)
	orDefault(&c.LoginTimeout, DefaultLoginTimeout)
	orDefault(&c.MaxInFlight, DefaultMaxInFlight)
	orDefault(&c.MaxUnauthenticated, DefaultMaxUnauthenticated)
	orDefault(&c.MaxUnauthenticatedPerAddr, DefaultMaxUnauthenticatedPerAddr)
	orDefault(&c.MaxUnauthenticatedFrame, DefaultMaxUnauthenticatedFrame)
	c.MaxInFlight = min(c.MaxInFlight, c.PeerQueueCapacity)
	c.MaxUnauthenticatedFrame = min(c.MaxUnauthenticatedFrame, c.MaxMessageSize)
	return c
}

// orDefault sets *v to d if it is zero.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate reports the first setting out of range.
func (c Config) Validate() error {
	switch {
	case c.MaxBatch < 1 || c.MaxBatch > MaxBatchLimit:
		return fmt.Errorf("bus: MaxBatch must be in 1..%d, got %d", MaxBatchLimit, c.MaxBatch)
	case c.PeerQueueCapacity < 1:
		return fmt.Errorf("bus: PeerQueueCapacity must be positive, got %d", c.PeerQueueCapacity)
	case c.MaxMessageSize < wire.HeaderSize:
		return fmt.Errorf("bus: MaxMessageSize must be at least %d, got %d", wire.HeaderSize, c.MaxMessageSize)
	case c.HandshakeTimeout <= 0 || c.ClosePeerTimeout <= 0:
		return fmt.Errorf("bus: HandshakeTimeout and ClosePeerTimeout must be positive")
	case c.MaxInFlight < 0:
		return fmt.Errorf("bus: MaxInFlight must not be negative, got %d", c.MaxInFlight)
	case c.SlowConsumerTimeout < 0 || c.FrameTimeout < 0 || c.LoginTimeout < 0:
		return fmt.Errorf("bus: SlowConsumerTimeout, FrameTimeout and LoginTimeout must not be negative")
	case c.MaxUnauthenticated < 0 || c.MaxUnauthenticatedPerAddr < 0:
		return fmt.Errorf("bus: MaxUnauthenticated and MaxUnauthenticatedPerAddr must not be negative")
	case c.MaxUnauthenticatedFrame != 0 && c.MaxUnauthenticatedFrame < wire.HeaderSize:
		return fmt.Errorf("bus: MaxUnauthenticatedFrame must be at least %d, got %d", wire.HeaderSize, c.MaxUnauthenticatedFrame)
	}
	return nil
}

// KeepAlive returns the keepalive settings in the form net.TCPConn takes.
func (c Config) KeepAlive() net.KeepAliveConfig {
	return net.KeepAliveConfig{
		Enable:   true,
		Idle:     c.KeepAliveIdle,
		Interval: c.KeepAliveInterval,
		Count:    c.KeepAliveCount,
	}
}
