package chaos

import (
	"context"
	"errors"
	"fmt"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/chaos/history"
	"github.com/shoal-io/shoal/internal/wire"
)

// The cluster run's message workload: one stream and topic made at the
// start, msgPartitions partitions addressed by id.
const (
	msgStream     = "msgs"
	msgTopic      = "log"
	msgPartitions = 2
)

// msgConsumers are the consumers whose offsets the workload stores, by
// history name; consumer i is client.ConsumerID(NumericID(i+1)).
var msgConsumers = []string{"g0", "g1"}

// msgPartition is the history name of message partition id.
func msgPartition(id uint32) history.Partition {
	return history.Partition{Stream: msgStream, Topic: msgTopic, ID: id}
}

// dataOutcome classifies a data-plane call's error: Ok; Failed when
// nothing was sent or the cluster refused it with 58
// TransientNotAccepted (a send or offset write refused so was not
// stored: the wire contract the client's replays rely on); Unknown
// otherwise (a broken connection, a timeout, 57).
func dataOutcome(err error) history.Result {
	var se *client.StatusError
	switch {
	case err == nil:
		return history.Ok
	case errors.Is(err, client.ErrNotLoggedIn):
		return history.Failed
	case errors.As(err, &se) && se.Status == wire.StatusTransientNotAccepted:
		return history.Failed
	}
	return history.Unknown
}

// record completes call with err's outcome (dataOutcome).
func (m *msgClient) record(call history.Call, reply history.Reply, err error) {
	switch dataOutcome(err) {
	case history.Ok:
		call.Ok(reply)
	case history.Failed:
		call.Fail(err)
	default:
		call.Unknown(err)
	}
}

// msgClient runs the message workload for one client: sends of batches
// with unique payloads to explicit partitions, polls by offset, and
// consumer offset stores and reads, through the client package's leader
// following, recorded in a history. It is used by one goroutine.
type msgClient struct {
	metaClient
	known [msgPartitions]uint64 // offsets below it are known to exist
	bad   []string              // replies that break the wire contract
}

// step runs one random message operation and records it.
func (m *msgClient) step(ctx context.Context) {
	if m.connect(ctx) != nil {
		return // nothing was invoked
	}
	p := uint32(m.rng.IntN(msgPartitions))
	switch x := m.rng.IntN(100); {
	case x < 45:
		msgs := make([]string, 1+m.rng.IntN(5))
		for i := range msgs {
			msgs[i] = m.fresh("m")
		}
		m.send(ctx, p, msgs)
	case x < 75:
		// Mostly near the newest known offset, as consumers read; now and
		// then anywhere.
		k := int(m.known[p])
		off := max(0, k-m.rng.IntN(8))
		if m.rng.IntN(4) == 0 {
			off = m.rng.IntN(k + 2)
		}
		m.poll(ctx, p, uint64(off), uint32(1+m.rng.IntN(10)))
	case x < 88 && m.known[p] > 0:
		// An offset that exists: the server refuses one past the
		// partition's current offset.
		m.storeOffset(ctx, m.rng.IntN(len(msgConsumers)), p, uint64(m.rng.IntN(int(m.known[p]))))
	default:
		m.getOffset(ctx, m.rng.IntN(len(msgConsumers)), p)
	}
}

// send sends msgs as one batch to partition p.
func (m *msgClient) send(ctx context.Context, p uint32, msgs []string) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	batch := make([]client.Message, len(msgs))
	for i, s := range msgs {
		batch[i] = client.Message{Payload: []byte(s)}
	}
	call := m.rec.Invoke(m.id, history.Produce, history.Args{Partition: msgPartition(p), Messages: msgs})
	r, err := m.cl.SendMessages(ctx, client.NamedID(msgStream), client.NamedID(msgTopic), client.PartitionID(p), batch)
	if err == nil && r.Partition != p {
		m.bad = append(m.bad, fmt.Sprintf("op %d: a send to partition %d confirmed in partition %d", call.ID(), p, r.Partition))
	}
	m.record(call, history.Reply{Offset: r.BaseOffset}, err)
	if err == nil {
		m.known[p] = max(m.known[p], r.BaseOffset+uint64(len(msgs)))
	}
}

// poll reads up to count messages of partition p from offset off and
// records their payloads. A reply whose messages do not sit at off, off+1,
// ... breaks the wire contract: it is recorded as Unknown and reported.
func (m *msgClient) poll(ctx context.Context, p uint32, off uint64, count uint32) (history.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	a := history.Args{Partition: msgPartition(p), Offset: off, Count: int(count)}
	call := m.rec.Invoke(m.id, history.Poll, a)
	r, err := m.cl.PollMessages(ctx, client.NamedID(msgStream), client.NamedID(msgTopic), client.DefaultConsumer(), p,
		client.PollFromOffset(off), count, false)
	var reply history.Reply
	if err == nil {
		reply.Messages = make([]string, 0, len(r.Messages))
		for j, pm := range r.Messages {
			if j >= int(count) || pm.Offset != off+uint64(j) {
				err = fmt.Errorf("chaos: poll of partition %d from %d for %d: message %d at offset %d", p, off, count, j, pm.Offset)
				m.bad = append(m.bad, fmt.Sprintf("op %d: %v", call.ID(), err))
				call.Unknown(err)
				return reply, err
			}
			reply.Messages = append(reply.Messages, string(pm.Payload))
		}
		m.known[p] = max(m.known[p], off+uint64(len(r.Messages)))
	}
	m.record(call, reply, err)
	return reply, err
}

func msgConsumer(i int) client.Consumer { return client.ConsumerID(client.NumericID(uint32(i + 1))) }

// storeOffset stores consumer i's offset in partition p.
func (m *msgClient) storeOffset(ctx context.Context, i int, p uint32, off uint64) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	call := m.rec.Invoke(m.id, history.StoreOffset, history.Args{Consumer: msgConsumers[i], Partition: msgPartition(p), Offset: off})
	err := m.cl.StoreConsumerOffset(ctx, msgConsumer(i), client.NamedID(msgStream), client.NamedID(msgTopic), p, off)
	m.record(call, history.Reply{}, err)
}

// getOffset reads consumer i's offset in partition p.
func (m *msgClient) getOffset(ctx context.Context, i int, p uint32) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	call := m.rec.Invoke(m.id, history.GetOffset, history.Args{Consumer: msgConsumers[i], Partition: msgPartition(p)})
	o, ok, err := m.cl.GetConsumerOffset(ctx, msgConsumer(i), client.NamedID(msgStream), client.NamedID(msgTopic), p)
	m.record(call, history.Reply{Found: ok, Offset: o.StoredOffset}, err)
}
