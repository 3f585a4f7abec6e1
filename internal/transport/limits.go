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
	// FrameTimeout bounds the time from a frame's first byte to its last.
	// The wait for a frame to start is not bounded. 0 means no bound.
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

// FrameGuard holds a reader's ReadLimits and arms the frame deadline. An
// implementation of Limiter embeds one: SetReadLimits is safe from any
// goroutine; Limit, Arm and Finish belong to the reader.
type FrameGuard struct {
	max     uint32        // the transport's configured maximum
	limit   atomic.Uint32 // current maximum, <= max
	timeout atomic.Int64  // FrameTimeout in nanoseconds; 0 means none

	// setDeadline sets the read deadline of the stream under the reader;
	// nil means the transport has none and FrameTimeout is not enforced.
	setDeadline func(time.Time) error
	armed       bool // a deadline is set for the current frame; reader-owned
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

// Arm starts the current frame's deadline, once per frame: the reader calls
// it before any read that waits for more of a frame that has started.
func (g *FrameGuard) Arm() {
	if g.armed || g.setDeadline == nil {
		return
	}
	d := g.timeout.Load()
	if d <= 0 {
		return
	}
	g.armed = true
	_ = g.setDeadline(time.Now().Add(time.Duration(d))) // a failure surfaces on the read
}

// Finish ends the current frame: it clears an armed deadline and turns the
// deadline's error into ErrFrameTimeout.
func (g *FrameGuard) Finish(err error) error {
	if !g.armed {
		return err
	}
	g.armed = false
	_ = g.setDeadline(time.Time{})
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w (%s): %w", ErrFrameTimeout, g.Timeout(), err)
	}
	return err
}
