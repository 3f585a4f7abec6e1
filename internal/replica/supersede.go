package replica

import (
	"errors"

	"github.com/shoal-io/shoal/internal/wire"
)

// errSuperseded is the close cause of a connection that its peer's newer
// connection replaced.
var errSuperseded = errors.New("replica: superseded by the peer's newer connection")

// stale reports whether a Hello from r stamped ts loses to r's installed
// connection: r is connected and that connection's Hello is not older. A
// newer Hello goes on to supersede it.
func (pl *Plane) stale(r wire.ReplicaID, ts uint64) bool {
	return pl.Connected(r) && ts <= pl.helloTS[r].Load()
}

// supersede makes room for r's authenticated connection whose Hello was
// stamped ts: r's installed connection, if older, is closed at once (its
// connection-lost fires and its owner table slot is freed) so that the
// owner can claim r; if it is not older, the new one is refused.
func (pl *Plane) supersede(r wire.ReplicaID, ts uint64) error {
	if pl.stale(r, ts) {
		return reject(ReasonAlreadyConnected, "replica %d holds a connection as new", r)
	}
	if pl.rt.CloseReplica(r, errSuperseded) {
		pl.log.Info("replica connection superseded", "peer", int(r))
	}
	return nil
}
