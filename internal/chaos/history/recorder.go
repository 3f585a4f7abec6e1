package history

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Clock stamps invocations and returns. Stamps must never decrease, and an
// event that happens after another in real time must not get a smaller
// stamp; equal stamps are read as concurrent, which is always safe.
type Clock interface {
	Now() int64
}

// LogicalClock counts events: 1, 2, 3... Because the Recorder stamps under
// its lock, the count orders invocations and returns as they happened.
type LogicalClock struct {
	n atomic.Int64
}

// Now returns the next count.
func (c *LogicalClock) Now() int64 { return c.n.Add(1) }

// MonotonicClock is nanoseconds since its creation on the monotonic clock,
// for histories merged from several processes' recorders started together
// or read against wall-time logs.
type MonotonicClock struct {
	start time.Time
}

// NewMonotonicClock starts a MonotonicClock at 0.
func NewMonotonicClock() *MonotonicClock { return &MonotonicClock{start: time.Now()} }

// Now returns nanoseconds since the clock was created.
func (c *MonotonicClock) Now() int64 { return int64(time.Since(c.start)) }

// Recorder records operations. It is safe for concurrent use.
type Recorder struct {
	clock Clock

	mu  sync.Mutex // guards ops
	ops []Op
}

// NewRecorder returns an empty Recorder stamping with c, or with a new
// LogicalClock when c is nil.
func NewRecorder(c Clock) *Recorder {
	if c == nil {
		c = new(LogicalClock)
	}
	return &Recorder{clock: c}
}

// Call is an invoked operation; complete it once with Ok, Fail or
// Unknown.
type Call struct {
	r  *Recorder
	id int
}

// Invoke records the invocation of an operation by client and returns the
// handle that records its return. It copies args.Messages.
func (r *Recorder) Invoke(client int, kind Kind, args Args) Call {
	args.Messages = slices.Clone(args.Messages)
	r.mu.Lock()
	defer r.mu.Unlock()
	id := len(r.ops)
	r.ops = append(r.ops, Op{ID: id, Client: client, Kind: kind, Args: args, Call: r.clock.Now()})
	return Call{r: r, id: id}
}

// ID is the operation's index in the history (Op.ID).
func (c Call) ID() int { return c.id }

// Ok records that the operation took effect with reply. It copies the
// reply's slices.
func (c Call) Ok(reply Reply) {
	reply.Messages = slices.Clone(reply.Messages)
	reply.Names = slices.Clone(reply.Names)
	c.complete(Ok, reply, nil)
}

// Fail records that the operation certainly did not take effect.
func (c Call) Fail(err error) { c.complete(Failed, Reply{}, err) }

// Unknown records that the client gave up without knowing whether the
// operation took effect (timeouts count as unknown).
func (c Call) Unknown(err error) { c.complete(Unknown, Reply{}, err) }

func (c Call) complete(res Result, reply Reply, err error) {
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	op := &r.ops[c.id]
	if op.Result != Pending {
		panic(fmt.Sprintf("history: op %d completed twice (%s, then %s)", c.id, op.Result, res))
	}
	op.Return, op.Result, op.Reply = r.clock.Now(), res, reply
	if err != nil {
		op.Err = err.Error()
	}
}

// Ops returns a copy of the history in invocation order. Operations still
// open are reported as Unknown, returning at Infinity.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := slices.Clone(r.ops)
	for i := range ops {
		if ops[i].Result == Pending {
			ops[i].Result, ops[i].Return, ops[i].Err = Unknown, Infinity, "still open"
		}
	}
	return ops
}
