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
)
