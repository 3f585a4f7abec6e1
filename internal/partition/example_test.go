package partition_test

import (
	"fmt"

	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// How the owning shard handles SendMessages and PollMessages for one
// partition: admit the body with wire (every checksum verified), append
// the batch with the current time, acknowledge once it is durable when
// fsync is enforced, and answer polls with Poll's ready-made body.
func Example() {
	p, err := partition.Open(vfs.NewMem(), partition.Dir("data", 0, 0, 0), 0, partition.Config{EnforceFsync: true})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	body, _ := wire.AppendSendMessages(nil, wire.NumericID(0), wire.NumericID(0),
		wire.Partitioning{Kind: wire.PartitionByID, Partition: 0},
		[]wire.MessageIn{{Payload: []byte("hello")}, {Payload: []byte("world")}})
	var send wire.SendMessages
	if err := send.Decode(body); err != nil {
		fmt.Println("reply status", wire.StatusOf(err))
		return
	}
	res, err := p.Append(send.Batch, 1_700_000_000_000_000)
	if err != nil || !res.Durable {
		fmt.Println("reply status", partition.StatusOf(err)) // never acknowledge
		return
	}
	reply := wire.AppendSendConfirmations(nil, wire.SendConfirmation{Partition: 0, BaseOffset: res.BaseOffset})
	fmt.Println("confirmation bytes", len(reply), "base offset", res.BaseOffset)

	poll, _, err := p.Poll(nil, partition.PollRequest{
		Strategy: wire.PollingStrategy{Kind: wire.PollNext},
		Count:    10,
		Consumer: partition.ConsumerKey{Kind: wire.ConsumerSingle, ID: 0},
	})
	if err != nil {
		panic(err)
	}
	wire.DecodePollReply(poll, func(h *wire.BatchHeader, m *wire.Message) error {
		fmt.Println(h.BaseOffset+uint64(m.OffsetDelta), string(m.Payload))
		return nil
	})
	// Output:
	// confirmation bytes 24 base offset 0
	// 0 hello
	// 1 world
}
