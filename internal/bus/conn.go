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

// errPlane closes a connection that carried the other plane's command (S7).
var errPlane = errors.New("bus: command of the other plane")

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
	writerDone chan struct{}
	readerDone chan struct{}
	torn       atomic.Bool // teardown or drain has claimed the connection
}

func (b *Bus) newConn(tc transport.Conn, p plane) *conn {
	return &conn{
		b:          b,
		tc:         tc,
		plane:      p,
		q:          make(chan *wire.Frame, b.cfg.PeerQueueCapacity),
		stop:       make(chan struct{}),
		writerDone: make(chan struct{}),
		readerDone: make(chan struct{}),
	}
}

// start launches the writer and reader; the caller has done b.wg.Add(2).
func (c *conn) start() {
	go c.writeLoop()
	go c.readLoop()
}

func (c *conn) signalStop() { c.stopOnce.Do(func() { close(c.stop) }) }

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
	err := c.tc.SendBatch(bt.bufs)
	for _, f := range bt.frames {
		f.Release()
	}
	clear(bt.frames)
	clear(bt.bufs)
	bt.frames, bt.bufs = bt.frames[:0], bt.bufs[:0]
	batches.Put(bt)
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
			c.b.teardown(c, fmt.Errorf("read: %w", err))
			return
		}
		if err := c.dispatch(f); err != nil {
			c.b.teardown(c, err)
			return
		}
	}
}

// dispatch applies the plane rules (S7) and the checks the transport cannot
// make (S8), then hands f to the hook. A non-nil error closes the
// connection.
func (c *conn) dispatch(f *wire.Frame) error {
	if uint32(f.Len()) > c.b.cfg.MaxMessageSize {
		f.Release()
		return fmt.Errorf("%w: %d bytes", wire.ErrFrameTooLarge, f.Len())
	}
	cmd := f.Command()
	if c.plane == planeClient {
		switch {
		case cmd == wire.CommandRequest:
			// The request checksum is the session layer's to check: a
			// mismatch must be answered with status 4 (wire.md §1.10, S11),
			// which only it can build.
			if h := c.b.hooks.OnRequest; h != nil {
				h(c.client, f)
			} else {
				f.Release()
			}
		case replicaCommand(cmd):
			f.Release()
			return fmt.Errorf("%w: %v on the client plane", errPlane, cmd)
		default:
			// Pings, replies and evictions from a client: not for us.
			c.b.log.Debug("unexpected command from client; dropped", "client", c.client, "command", cmd)
			f.Release()
		}
		return nil
	}
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

// replicaCommand reports whether cmd belongs to the replica plane only.
// Reserved and the generic pings are neither plane's and are dropped.
func replicaCommand(cmd wire.Command) bool {
	return cmd > wire.CommandPongClient && !cmd.ClientPlane()
}
