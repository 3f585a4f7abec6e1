package sim

import (
	"bytes"
	"math/rand/v2"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// simHash is the password hash of every user the workload creates: the
// state machine checks its shape only (the proposer hashes).
var simHash = metadata.PasswordHash{Time: 1, Memory: 8, Threads: 1,
	Salt: bytes.Repeat([]byte{0xaa}, 8), Key: bytes.Repeat([]byte{0xbb}, 16)}

var (
	simStreamNames = []string{"orders", "events", "logs"}
	simTopicNames  = []string{"a", "b", "c"}
	simGroupNames  = []string{"g1", "g2"}
	simUserNames   = []string{"root", "alice", "bob"}
)

// ident picks a stream, topic or group: by a small numeric id mostly, by
// name sometimes, so some operations name what is not there.
func ident(r *rand.Rand, names []string) wire.Identifier {
	if r.IntN(4) == 0 {
		return wire.NamedID(names[r.IntN(len(names))])
	}
	return wire.NumericID(uint32(r.IntN(3)))
}

// metaOp draws one metadata operation for client c. Logouts are drawn by
// the client itself.
func metaOp(r *rand.Rand, now uint64, c wire.ClientID) metadata.Op {
	st, tp := ident(r, simStreamNames), ident(r, simTopicNames)
	switch r.IntN(20) {
	case 0, 1, 2:
		return metadata.CreateStream{Timestamp: now, Name: simStreamNames[r.IntN(len(simStreamNames))]}
	case 3:
		return metadata.UpdateStream{Stream: st, Name: simStreamNames[r.IntN(len(simStreamNames))] + "2"}
	case 4:
		return metadata.DeleteStream{Stream: st}
	case 5:
		return metadata.PurgeStream{Stream: st}
	case 6, 7, 8:
		return metadata.CreateTopic{Timestamp: now, Stream: st, Partitions: uint32(r.IntN(4)), Shards: 1 + uint32(r.IntN(3)),
			Name: simTopicNames[r.IntN(len(simTopicNames))]}
	case 9:
		return metadata.UpdateTopic{Stream: st, Topic: tp, Name: simTopicNames[r.IntN(len(simTopicNames))] + "2"}
	case 10:
		return metadata.DeleteTopic{Stream: st, Topic: tp}
	case 11, 12:
		return metadata.PurgeTopic{Stream: st, Topic: tp}
	case 13:
		return metadata.CreatePartitions{Timestamp: now, Stream: st, Topic: tp, Count: 1 + uint32(r.IntN(3)), Shards: 2}
	case 14:
		return metadata.DeletePartitions{Stream: st, Topic: tp, Count: 1 + uint32(r.IntN(2))}
	case 15:
		return metadata.CreateUser{Timestamp: now, Status: wire.UserActive,
			Username: simUserNames[r.IntN(len(simUserNames))], Password: simHash}
	case 16:
		return metadata.DeleteUser{UserID: uint32(r.IntN(3))}
	case 17:
		return metadata.CreateConsumerGroup{Stream: st, Topic: tp, Name: simGroupNames[r.IntN(len(simGroupNames))]}
	case 18:
		return metadata.JoinConsumerGroup{Stream: st, Topic: tp, Group: ident(r, simGroupNames), Client: c}
	default:
		if r.IntN(2) == 0 {
			return metadata.LeaveConsumerGroup{Stream: st, Topic: tp, Group: ident(r, simGroupNames), Client: c}
		}
		return metadata.DeleteConsumerGroup{Stream: st, Topic: tp, Group: ident(r, simGroupNames)}
	}
}
