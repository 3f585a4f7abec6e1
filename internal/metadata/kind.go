package metadata

import (
	"strconv"

	"github.com/shoal-io/shoal/internal/wire"
)

// EncodingVersion is byte 0 of every encoded operation.
const EncodingVersion = 1

// Kind is byte 1 of an encoded operation: which change it makes. Values
// equal the wire.Operation of the same name so a VSR prepare's operation
// field and its metadata body agree. These constants are part of the disk
// format and must not be changed.
type Kind uint8

// Kinds. The consumer-offset kinds (kept by the partitions,
// internal/partition) have no handler here and are rejected with
// StatusFeatureUnavailable; every other kind is implemented.
const (
	KindRegister = Kind(wire.OpRegister) // 16B client + 4B user id + 8B ts
	KindLogout   = Kind(wire.OpLogout)   // 16B client + 8B epoch

	KindCreateStream         = Kind(wire.OpCreateStream)
	KindUpdateStream         = Kind(wire.OpUpdateStream)
	KindDeleteStream         = Kind(wire.OpDeleteStream)
	KindPurgeStream          = Kind(wire.OpPurgeStream)
	KindCreateTopic          = Kind(wire.OpCreateTopic)
	KindUpdateTopic          = Kind(wire.OpUpdateTopic)
	KindDeleteTopic          = Kind(wire.OpDeleteTopic)
	KindPurgeTopic           = Kind(wire.OpPurgeTopic)
	KindCreatePartitions     = Kind(wire.OpCreatePartitions)
	KindDeletePartitions     = Kind(wire.OpDeletePartitions)
	KindCreateConsumerGroup  = Kind(wire.OpCreateConsumerGroup)
	KindDeleteConsumerGroup  = Kind(wire.OpDeleteConsumerGroup)
	KindJoinConsumerGroup    = Kind(wire.OpJoinConsumerGroup)
	KindLeaveConsumerGroup   = Kind(wire.OpLeaveConsumerGroup)
	KindStoreConsumerOffset  = Kind(wire.OpStoreConsumerOffset)
	KindDeleteConsumerOffset = Kind(wire.OpDeleteConsumerOffset)

	KindCreateUser        = Kind(wire.OpCreateUser)        // 8B ts + 1B status + str8 name + hash + bytes32 perms
	KindUpdateUser        = Kind(wire.OpUpdateUser)        // 4B id + 1B flags + [str8 name] + [1B status]
	KindDeleteUser        = Kind(wire.OpDeleteUser)        // 4B id
	KindChangePassword    = Kind(wire.OpChangePassword)    // 4B id + hash
	KindUpdatePermissions = Kind(wire.OpUpdatePermissions) // 4B id + bytes32 perms

	KindCreatePersonalAccessToken = Kind(wire.OpCreatePersonalAccessToken) // 4B user + str8 name + 32B hash + 8B expiry_at
	KindDeletePersonalAccessToken = Kind(wire.OpDeletePersonalAccessToken) // 4B user + str8 name
)

// String names k after its wire operation.
func (k Kind) String() string {
	if o := wire.Operation(k); o.Valid() {
		return o.String()
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
