package metadata_test

import (
	"fmt"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// How the server handles CreateTopic (legacy code 302, operation 132):
// decode and validate the body, propose the operation (journaled and
// fsynced before it is applied), then answer with the result section and
// the TopicHeader + PartitionResponses.
func Example_createTopic() {
	store, err := metadata.Open(vfs.NewMem(), "data", metadata.Options{HashParams: metadata.TestHashParams})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	store.Propose(metadata.CreateStream{Timestamp: 1, Name: "orders"})

	body := (&wire.CreateTopic{Stream: wire.NamedID("orders"), Partitions: 3, Name: "eu"}).Append(nil)

	var req wire.CreateTopic
	if st := req.Decode(body); st != wire.StatusOK {
		fmt.Println("reply status", st) // malformed: an empty body
		return
	}
	const shards = 2
	op, st := metadata.CreateTopicOp(req, 2, shards)
	if st != wire.StatusOK {
		fmt.Println("reply status", st) // pre-consensus denial, empty body
		return
	}
	res, err := store.Propose(op)
	if err != nil {
		panic(err) // outcome unknown: nothing may be acknowledged
	}
	var reply []byte
	if !res.OK() {
		reply = wire.AppendResultError(reply, res.Status)
	} else {
		reply = wire.AppendResultOK(reply)
		store.View(func(s *metadata.State) {
			topic, _ := s.TopicDetails(req.Stream, wire.NumericID(res.ID), nil)
			reply = topic.Append(reply)
			info, _ := s.ResolveTopic(req.Stream, wire.NumericID(res.ID))
			for _, p := range info.Partitions {
				fmt.Printf("partition %d on shard %d\n", p.ID, p.Shard)
			}
		})
	}
	fmt.Println("topic id", res.ID, "reply bytes", len(reply))
	// Output:
	// partition 0 on shard 0
	// partition 1 on shard 1
	// partition 2 on shard 0
	// topic id 0 reply bytes 458
}
