package bus

import "errors"

// Send and install errors. Sends return them unwrapped so the hot path does
// not allocate; compare with errors.Is.
var (
	// ErrBackpressure means the connection's queue is full; the frame was
	// not taken (S1). VSR retransmits; client replies are retried or the
	// client times out.
	ErrBackpressure = errors.New("bus: queue full")
	// ErrNotConnected means no connection to that client or replica exists
	// on its owning shard.
	ErrNotConnected = errors.New("bus: not connected")
	// ErrShuttingDown means Shutdown has begun.
	ErrShuttingDown = errors.New("bus: shutting down")
	// ErrDuplicate means an install lost to an existing connection with the
	// same id; the loser was closed and never started (S4).
	ErrDuplicate = errors.New("bus: duplicate connection id")
	// ErrNoRoute means the owner is another shard and no forward hook is set.
	ErrNoRoute = errors.New("bus: no route to the owning shard")
	// ErrWrongShard means a client id was installed on a shard other than
	// the one its top 16 bits name.
	ErrWrongShard = errors.New("bus: client id belongs to another shard")

	// ErrTooManyUnauthenticated means a client connection was refused: the
	// unauthenticated connections, in total or from its address, are at
	// their cap (Config.MaxUnauthenticated, MaxUnauthenticatedPerAddr).
	ErrTooManyUnauthenticated = errors.New("bus: too many unauthenticated connections")
)

// Causes with which the bus closes a client connection (logged with the
// remote address, S11).
var (
	// ErrLoginTimeout: not Authenticated within Config.LoginTimeout.
	ErrLoginTimeout = errors.New("bus: not logged in before the login deadline")
	// ErrSlowConsumer: the writer was blocked in one write for
	// Config.SlowConsumerTimeout; the client does not read its replies.
	ErrSlowConsumer = errors.New("bus: slow consumer")
	// ErrReplyQueueFull: a frame for the client found its queue full. The
	// send fails with ErrBackpressure and the connection is closed rather
	// than the frame dropped silently (S11).
	ErrReplyQueueFull = errors.New("bus: reply queue full")
)
