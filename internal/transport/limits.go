package transport

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// ErrFrameTimeout means a frame started arriving but was not complete
// within ReadLimits.FrameTimeout; the connection must be closed. It wraps
// os.ErrDeadlineExceeded.
var ErrFrameTimeout = errors.New("transport: frame not completed within its deadline")

// ReadLimits bound the frames a Conn's ReadFrame accepts.
type ReadLimits struct {
	// MaxFrame is the largest frame accepted (S8): a frame announcing more
	// fails ReadFrame with wire.ErrFrameTooLarge before any body byte is
	// read. 0, or a value above the transport's configured maximum, means
	// that maximum.
	MaxFrame uint32
	// FrameTimeout bounds the time from a frame's first byte to its last:
	// a frame still incomplete 2×FrameTimeout after it started fails
	// ReadFrame with ErrFrameTimeout, and none is cut before FrameTimeout
	// (see FrameGuard for why not exactly). QUIC applies it per request
	// stream, exactly. The wait for a frame to start is not bounded. 0
	// means no bound.
	FrameTimeout time.Duration
}

// Limiter is implemented by the Conns whose read limits can change while
// they run: tcp, tlsconn, ws and quicconn server conns, and memconn (frame
// size only). The bus caps frames before a client logs in and lifts the
// cap once it has, and bounds every started frame.
type Limiter interface {
	// SetReadLimits applies l from the next frame header on (a frame being
	// read keeps the limits it started with). It is safe to call
	// concurrently with ReadFrame.
	SetReadLimits(l ReadLimits)
}

// FrameGuard holds a reader's ReadLimits and runs the frame deadline. An
// implementation of Limiter embeds one: SetReadLimits is safe from any
// goroutine; Limit, Arm, IdleExpired and Finish belong to the reader.
//
// The deadline costs no timer update per frame. Arm, called when a frame
// starts, leaves the stream's read deadline alone while it is at least
// FrameTimeout away, and otherwise sets it 2×FrameTimeout ahead; nothing
// clears it when the frame ends. So a started frame is cut between
// FrameTimeout and 2×FrameTimeout after it started, and a busy connection
// updates its deadline about once per FrameTimeout. A reader waiting for a
// frame's first byte may meet that leftover deadline: IdleExpired tells it
// so, clears the deadline, and the reader waits again.
type FrameGuard struct {
	max     uint32        // the transport's configured maximum
	limit   atomic.Uint32 // current maximum, <= max
	timeout atomic.Int64  // FrameTimeout in nanoseconds; 0 means none

	// setDeadline sets the read deadline of the stream under the reader;
	// nil means the transport has none and FrameTimeout is not enforced.
	setDeadline func(time.Time) error
	// Reader-owned:
	deadline time.Time // the read deadline set now (zero: none)
	started  bool      // a byte of the current frame has arrived
}

// NewFrameGuard returns a guard for frames of at most max bytes (0 means
// wire.DefaultMaxMessageSize) whose deadlines are set with setDeadline
// (nil: none).
func NewFrameGuard(max uint32, setDeadline func(time.Time) error) *FrameGuard {
	g := &FrameGuard{}
	g.Init(max, setDeadline)
	return g
}

// Init prepares a guard embedded by value, as NewFrameGuard does.
func (g *FrameGuard) Init(max uint32, setDeadline func(time.Time) error) {
	if max == 0 {
		max = wire.DefaultMaxMessageSize
	}
	g.max = max
	g.limit.Store(max)
	g.setDeadline = setDeadline
}

// SetReadLimits implements Limiter.
func (g *FrameGuard) SetReadLimits(l ReadLimits) {
	m := l.MaxFrame
	if m == 0 || m > g.max {
		m = g.max
	}
	g.limit.Store(m)
	g.timeout.Store(int64(max(l.FrameTimeout, 0)))
}

// Limit returns the current frame limit.
func (g *FrameGuard) Limit() uint32 { return g.limit.Load() }

// Timeout returns the current FrameTimeout (0: none).
func (g *FrameGuard) Timeout() time.Duration { return time.Duration(g.timeout.Load()) }

// Arm marks the current frame as started: the reader calls it before any
// read that waits for more of a frame, and transports under the reader
// (tlsconn.BatchConn) when bytes reach the socket. From the second call
// per frame on it costs a branch.
func (g *FrameGuard) Arm() {
	if g.started {
		return
	}
	g.started = true
	if g.setDeadline == nil {
		return
	}
	d := time.Duration(g.timeout.Load())
	if d <= 0 {
		if !g.deadline.IsZero() {
			g.clear()
		}
		return
	}
	if now := time.Now(); g.deadline.IsZero() || g.deadline.Sub(now) < d {
		g.deadline = now.Add(2 * d)
		_ = g.setDeadline(g.deadline) // a failure surfaces on the read
	}
}

// IdleExpired reports whether err, from a read that waited for the first
// byte of a frame, is only the deadline left over from an earlier frame.
// If so it clears the deadline and the reader should read again.
func (g *FrameGuard) IdleExpired(err error) bool {
	if g.started || g.deadline.IsZero() || !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	g.clear()
	return true
}

func (g *FrameGuard) clear() {
	g.deadline = time.Time{}
	_ = g.setDeadline(time.Time{})
}

// Finish ends the current frame and turns a deadline error met inside it
// into ErrFrameTimeout. The deadline stays set (see FrameGuard).
func (g *FrameGuard) Finish(err error) error {
	started := g.started
	g.started = false
	if started && err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w (%s): %w", ErrFrameTimeout, g.Timeout(), err)
	}
	return err
}
