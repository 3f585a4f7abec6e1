package bus

import "github.com/shoal-io/shoal/internal/wire"

// CloseReplica closes replica r's connection on this bus at once, without
// flushing what is queued to it: the replica plane calls it when the
// peer's newer connection supersedes one the peer has abandoned (a crashed
// peer's half-open socket), whose queue would never drain. The teardown is
// the one of any other close, run before CloseReplica returns unless one
// is already under way: the registry entry goes, the transport closes with
// cause logged, and OnConnectionLost fires, so r can be installed again.
// It reports whether r was connected here.
func (b *Bus) CloseReplica(r wire.ReplicaID, cause error) bool {
	b.mu.Lock()
	c := b.replicas[r]
	b.mu.Unlock()
	if c == nil {
		return false
	}
	b.teardown(c, cause)
	return true
}
