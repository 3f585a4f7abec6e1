package shard

import "github.com/shoal-io/shoal/internal/wire"

// NextReplicaOwner picks, by the round robin DelegateReplica uses, the shard
// that will own a replica connection whose replica id is not known yet: an
// accepted replica-plane connection, whose peer names itself only inside
// the handshake that the owner runs (S6). The caller posts the connection
// to that shard and claims the owner table once the id is known.
func (rt *Runtime) NextReplicaOwner() wire.ShardID { return rt.coord.nextReplica() }
