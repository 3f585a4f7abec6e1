package bus

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

type plane uint8

const (
	planeClient plane = iota + 1
	planeReplica
)

// errPlane closes a replica connection that carried a client request (S7).
var errPlane = errors.New("bus: command of the other plane")

// errStopped ends a reader whose connection is being closed by someone
// else (CloseClient, Shutdown, teardown), who logs the cause.
var errStopped = errors.New("bus: connection stopping")

// conn is one installed connection. Its fields are immutable after install
// except where noted.
type conn struct {
	b       *Bus
	tc      transport.Conn
	plane   plane
	client  wire.ClientID  // planeClient
	replica wire.ReplicaID // planeReplica
	token   uint64         // instance token (S4), set under b.mu before start

	q          chan *wire.Frame // bounded send queue; never closed
	stop       chan struct{}    // closed: the writer flushes what is queued and exits
	stopOnce   sync.Once
	stopping   atomic.Bool // stop is closed: the reader dispatches nothing more
	draining   atomic.Bool // Shutdown stopped the reading; the reader exits quietly
	writerDone chan struct{}
	readerDone chan struct{}
	torn       atomic.Bool // teardown or drain has claimed the connection
	killed     atomic.Bool // kill has scheduled the teardown

	// Client plane only (credit.go, auth.go).
	credits                        // requests read and not yet answered
	authed  atomic.Bool            // Authenticated: no frame cap, no login deadline
	ticket  atomic.Pointer[ticket] // the gate slot while unauthenticated
	loginAt atomic.Int64           // monotonic ns when the login deadline started
	wseq    atomic.Uint64          // bumped before and after each SendBatch: odd while writing
	watch   watchState             // owned by the bus's watchdog
	ignored uint32                 // commands already logged as ignored; owned by the reader
}

func (b *Bus) newConn(tc transport.Conn, p plane) *conn {
	c := &conn{
		b:          b,
		tc:         tc,
		plane:      p,
		q:          make(chan *wire.Frame, b.cfg.PeerQueueCapacity),
		stop:       make(chan struct{}),
		writerDone: make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	if p == planeClient {
		c.credits.init(b.cfg.MaxInFlight, b.onCreditWait)
	}
	return c
}

// start launches the writer and reader; the caller has done b.wg.Add(2).
func (c *conn) start() {
	go c.writeLoop()
	go c.readLoop()
}

func (c *conn) signalStop() {
	c.stopOnce.Do(func() {
		c.stopping.Store(true)
		close(c.stop)
	})
}

// enqueue never blocks (S1).
func (c *conn) enqueue(f *wire.Frame) error {
	select {
	case c.q <- f:
		return nil
	default:
		return ErrBackpressure
	}
}

// batch is a writer's scratch space, pooled so an idle writer holds none.
type batch struct {
	frames []*wire.Frame
	bufs   [][]byte
}

var batches = sync.Pool{New: func() any {
	return &batch{frames: make([]*wire.Frame, 0, MaxBatchLimit), bufs: make([][]byte, 0, MaxBatchLimit)}
}}

// writeLoop blocks for a first frame, drains up to MaxBatch without
// blocking and writes once (S2). A failed write drops the batch and tears
// the connection down (S3). On stop it flushes what is queued, then exits.
func (c *conn) writeLoop() {
	defer c.b.wg.Done()
	defer close(c.writerDone)
	for {
		select {
		case f := <-c.q:
			if err := c.writeBatch(f); err != nil {
				c.b.teardown(c, fmt.Errorf("write: %w", err))
				return
			}
		case <-c.stop:
			for {
				select {
				case f := <-c.q:
					if err := c.writeBatch(f); err != nil {
						c.b.teardown(c, fmt.Errorf("write: %w", err))
						return
					}
				default:
					return
				}
			}
		}
	}
}

// writeBatch writes first and what else is queued, up to MaxBatch, in one
// SendBatch. On a client connection each Reply and Eviction written
// returns a credit to the reader (credit.go).
func (c *conn) writeBatch(first *wire.Frame) error {
	bt := batches.Get().(*batch)
	bt.frames = append(bt.frames, first)
	bt.bufs = append(bt.bufs, first.Bytes())
drain:
	for len(bt.frames) < c.b.cfg.MaxBatch {
		select {
		case f := <-c.q:
			bt.frames = append(bt.frames, f)
			bt.bufs = append(bt.bufs, f.Bytes())
		default:
			break drain
		}
	}
	answers := 0
	if c.plane == planeClient {
		for _, f := range bt.frames {
			if cmd := f.Command(); cmd == wire.CommandReply || cmd == wire.CommandEviction {
				answers++
			}
		}
	}
	c.wseq.Add(1) // odd: inside SendBatch (the watchdog's slow-consumer check)
	err := c.tc.SendBatch(bt.bufs)
	c.wseq.Add(1)
	for _, f := range bt.frames {
		f.Release()
	}
	clear(bt.frames)
	clear(bt.bufs)
	bt.frames, bt.bufs = bt.frames[:0], bt.bufs[:0]
	batches.Put(bt)
	if err == nil && answers > 0 {
		c.credits.put(int64(answers))
	}
	return err
}

// readLoop reads validated frames and dispatches them until the connection
// fails or is closed.
func (c *conn) readLoop() {
	defer c.b.wg.Done()
	defer close(c.readerDone)
	for {
		f, err := c.tc.ReadFrame()
		if err != nil {
			if c.draining.Load() {
				return // Shutdown shut the read side; it tears c down
			}
			c.b.teardown(c, fmt.Errorf("read: %w", err))
			return
		}
		if err := c.dispatch(f); err != nil {
			if err != errStopped {
				c.b.teardown(c, err)
			}
			return
		}
	}
}

// dispatch applies the plane rules (S7) and the checks the transport cannot
// make (S8), then hands f to the hook. A non-nil error closes the
// connection.
func (c *conn) dispatch(f *wire.Frame) error {
	if c.plane == planeClient {
		return c.dispatchClient(f)
	}
	if uint32(f.Len()) > c.b.cfg.MaxMessageSize {
		f.Release()
		return fmt.Errorf("%w: %d bytes", wire.ErrFrameTooLarge, f.Len())
	}
	cmd := f.Command()
	if cmd.ClientPlane() {
		f.Release()
		return fmt.Errorf("%w: %v on the replica plane", errPlane, cmd)
	}
	verify := wire.VerifyFrame // seals; unsealed commands pass
	if cmd == wire.CommandPrepare || cmd == wire.CommandRepairPrepare {
		verify = wire.VerifyPrepare // identity and body checksums
	}
	if err := verify(f.Bytes()); err != nil {
		f.Release()
		return err
	}
	if h := c.b.hooks.OnReplicaMessage; h != nil {
		h(c.replica, f)
	} else {
		f.Release()
	}
	return nil
}

// dispatchClient handles a frame from a client. Only Requests go on
// (wire.md §1.3, §1.10: "On the client plane the bus forwards only
// command == 5. Any other valid command is logged and ignored, and the
// connection stays open"); that includes replica commands such as 9
// (Commit), which wire.md, the protocol reference, rules over S7 here. The
// first frame of each ignored command is logged, once per connection. A
// Request takes a credit first (credit.go): with none left the reader
// waits for the writer to answer an earlier one.
func (c *conn) dispatchClient(f *wire.Frame) error {
	if limit := c.frameLimit(); uint32(f.Len()) > limit {
		// A transport without transport.Limiter cannot refuse it earlier.
		f.Release()
		return fmt.Errorf("%w: %d > %d bytes", wire.ErrFrameTooLarge, f.Len(), limit)
	}
	cmd := f.Command()
	if cmd != wire.CommandRequest {
		c.ignore(cmd)
		f.Release()
		return nil
	}
	h := c.b.hooks.OnRequest
	if h == nil {
		f.Release() // nobody answers, so it takes no credit
		return nil
	}
	if err := c.credits.take(c.stop); err != nil || c.stopping.Load() {
		f.Release()
		return errStopped
	}
	// The request checksum is the session layer's to check: a mismatch
	// must be answered with status 4 (wire.md §1.10, S11), which only it
	// can build.
	h(c.client, f)
	return nil
}

// ignore logs the first frame of cmd the client sent, once per connection.
func (c *conn) ignore(cmd wire.Command) {
	bit := uint32(1) << (cmd & 31)
	if c.ignored&bit != 0 {
		return
	}
	c.ignored |= bit
	c.b.log.Info("client sent a command that is not a request; ignored (wire.md §1.10), and so are its repeats",
		"client", c.client, "kind", c.tc.Kind(), "remote", c.tc.RemoteAddr(), "command", cmd)
}
