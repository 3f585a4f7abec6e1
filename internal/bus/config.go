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
}

// DefaultConfig returns max_batch 256, peer_queue_capacity 256,
// max_message_size 64 MiB, reconnect 5 s, keepalive 10 s / 5 s / 3,
// close_peer_timeout 2 s and a 10 s handshake deadline.
func DefaultConfig() Config {
	return Config{
		MaxBatch:          256,
		PeerQueueCapacity: 256,
		MaxMessageSize:    wire.DefaultMaxMessageSize,
		ReconnectPeriod:   5 * time.Second,
		KeepAliveIdle:     10 * time.Second,
		KeepAliveInterval: 5 * time.Second,
		KeepAliveCount:    3,
		ClosePeerTimeout:  2 * time.Second,
		HandshakeTimeout:  10 * time.Second,
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
