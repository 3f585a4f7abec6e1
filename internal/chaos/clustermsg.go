package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/chaos/history"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

var (
	// ErrBadReply is wrapped by a cluster run's Result.Err when a reply
	// broke the wire contract (a poll's messages not at the offsets it
	// asked for, a send confirmed in another partition).
	ErrBadReply = errors.New("chaos: reply breaks the wire contract")
	// ErrReplicasDiffer is wrapped when, after the run, the nodes'
	// partition files disagree on a message below the shortest one's end,
	// or the leader's is not the longest.
	ErrReplicasDiffer = errors.New("chaos: partition replicas differ")
)

// Client ids in a cluster run's history: metadata clients are 0..Nodes-1
// and Nodes the final metadata reads; these are the message workload's.
const (
	setupClient      = 99  // makes the message stream and topic
	firstMsgClient   = 100 // message clients: firstMsgClient + i
	finalReadsClient = 200 // the final read of every partition
)

// msgIDs are the numeric ids of the message stream and topic, which name
// their directories on every node.
type msgIDs struct{ stream, topic uint32 }

// setupMessages creates the message stream and its topic with
// msgPartitions partitions, recorded as metadata operations, retrying each
// until the cluster answers it (ok or exists), and returns their ids.
func setupMessages(ctx context.Context, c *cluster, rec *history.Recorder) (msgIDs, error) {
	m := &metaClient{id: setupClient, rec: rec, addrs: c.addrs(), window: 10 * time.Second, timeout: 15 * time.Second}
	defer m.close()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	pause := time.NewTimer(0)
	defer pause.Stop()
	retry := func(k history.Kind, a history.Args, do func(*client.Client, context.Context) error) error {
		for {
			m.write(ctx, k, a, do)
			if ops := rec.Ops(); ops[len(ops)-1].Client == setupClient && ops[len(ops)-1].Result == history.Ok {
				return nil
			}
			pause.Reset(100 * time.Millisecond) // no leader yet: ask again shortly
			select {
			case <-ctx.Done():
				return fmt.Errorf("chaos: create the message %s: %w", k, ctx.Err())
			case <-pause.C:
			}
		}
	}
	part := history.Partition{Stream: msgStream, Topic: msgTopic}
	err := retry(history.CreateStream, history.Args{Partition: history.Partition{Stream: msgStream}}, func(cl *client.Client, ctx context.Context) error {
		_, err := cl.CreateStream(ctx, msgStream)
		return err
	})
	if err == nil {
		err = retry(history.CreateTopic, history.Args{Partition: part}, func(cl *client.Client, ctx context.Context) error {
			_, err := cl.CreateTopic(ctx, client.NamedID(msgStream), msgTopic, msgPartitions, nil)
			return err
		})
	}
	if err != nil {
		return msgIDs{}, err
	}
	for {
		s, err := m.cl.GetStream(ctx, client.NamedID(msgStream)) // not recorded: the ids only
		if err == nil && len(s.Topics) == 1 {
			return msgIDs{stream: s.ID, topic: s.Topics[0].ID}, nil
		}
		pause.Reset(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			return msgIDs{}, fmt.Errorf("chaos: read the message stream: %v, %w", err, ctx.Err())
		case <-pause.C:
		}
	}
}

// newMsgClient is message client i of a cluster run.
func newMsgClient(cfg Config, c *cluster, rec *history.Recorder, i int) *msgClient {
	return &msgClient{metaClient: metaClient{id: firstMsgClient + i, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(firstMsgClient+i))),
		rec: rec, addrs: c.addrs(), window: cfg.Timeout * 3 / 4, timeout: cfg.Timeout}}
}

// badReplies is ErrBadReply with the first few of the clients' reports,
// or nil.
func badReplies(ms []*msgClient) error {
	var bad []string
	for _, m := range ms {
		bad = append(bad, m.bad...)
	}
	if len(bad) == 0 {
		return nil
	}
	n := len(bad)
	return fmt.Errorf("%w: %d replies: %s", ErrBadReply, n, strings.Join(bad[:min(n, 5)], "; "))
}

// finalMessages reads every message partition from offset 0 through a
// fresh client, which follows the leader, recording the polls: the reads
// CheckNoLostAcks and CheckLog need. It retries a page until the healed
// cluster answers it.
func finalMessages(ctx context.Context, c *cluster, rec *history.Recorder) error {
	m := &msgClient{metaClient: metaClient{id: finalReadsClient, rec: rec, addrs: c.addrs(), window: 30 * time.Second,
		timeout: 40 * time.Second}}
	defer m.close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pause := time.NewTimer(0)
	defer pause.Stop()
	const page = 100
	for p := range uint32(msgPartitions) {
		for off := uint64(0); ; {
			var r history.Reply
			err := m.connect(ctx)
			if err == nil {
				r, err = m.poll(ctx, p, off, page)
			}
			switch {
			case err == nil && len(r.Messages) < page:
			case err == nil:
				off += page
				continue
			case len(m.bad) > 0:
				return badReplies([]*msgClient{m})
			default:
				pause.Reset(100 * time.Millisecond)
				select {
				case <-ctx.Done():
					return fmt.Errorf("chaos: final read of partition %d from %d: %w (%w)", p, off, err, ctx.Err())
				case <-pause.C:
				}
				continue
			}
			break
		}
	}
	return nil
}

// storedMessage is one message as a node's partition files hold it.
type storedMessage struct {
	offset    uint64
	timestamp uint64 // its batch's base_timestamp (the primary's, on every replica)
	id        []byte
	payload   []byte
}

func (a storedMessage) equal(b storedMessage) bool {
	return a.offset == b.offset && a.timestamp == b.timestamp && bytes.Equal(a.id, b.id) && bytes.Equal(a.payload, b.payload)
}

// readReplica opens partition p of the message topic in node's data
// directory (the node must be stopped) and reads every message in it.
func readReplica(dataDir string, ids msgIDs, p uint32) ([]storedMessage, error) {
	dir := partition.Dir(dataDir, ids.stream, ids.topic, p)
	if _, err := os.Stat(dir); err != nil { // Open would make an empty one
		return nil, err
	}
	part, err := partition.Open(vfs.Default, dir, p, partition.Config{})
	if err != nil {
		return nil, err
	}
	defer part.Close()
	var out []storedMessage
	for from := uint64(0); from < part.NextOffset(); {
		recs, n, err := part.Read(nil, from, 1000)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("partition %d: nothing read at %d, next offset %d", p, from, part.NextOffset())
		}
		body := append((&wire.PollReply{MessagesCount: n}).Append(nil), recs...)
		if _, err := wire.DecodePollReply(body, func(h *wire.BatchHeader, m *wire.Message) error {
			out = append(out, storedMessage{offset: h.BaseOffset + uint64(m.OffsetDelta), timestamp: h.BaseTimestamp,
				id: m.ID, payload: m.Payload})
			return nil
		}); err != nil {
			return nil, fmt.Errorf("partition %d at %d: %w", p, from, err)
		}
		from = out[len(out)-1].offset + 1
	}
	for i, m := range out {
		if m.offset != uint64(i) {
			return nil, fmt.Errorf("partition %d: message %d has offset %d", p, i, m.offset)
		}
	}
	return out, nil
}

// checkReplicas reads every node's copy of each message partition from
// its files (the nodes must be stopped) and checks that they hold the
// same messages (offset, id, base timestamp and payload) up to the
// shortest copy's end, and that the leader's copy is the longest: a
// backup may lag, never lead. It returns the messages compared.
func (c *cluster) checkReplicas(leader int, ids msgIDs) (compared int, err error) {
	var problems []string
	nodes := len(c.procs)
	for p := range uint32(msgPartitions) {
		copies := make([][]storedMessage, nodes)
		for i := range nodes {
			var err error
			if copies[i], err = readReplica(filepath.Join(c.dir, "data", fmt.Sprintf("node-%d", i)), ids, p); err != nil {
				problems = append(problems, fmt.Sprintf("node %d: %v", i, err))
			}
		}
		if len(problems) > 0 {
			continue
		}
		shortest := len(copies[leader])
		for i, cp := range copies {
			shortest = min(shortest, len(cp))
			if len(cp) > len(copies[leader]) {
				problems = append(problems, fmt.Sprintf("partition %d: node %d holds %d messages, the leader (node %d) %d",
					p, i, len(cp), leader, len(copies[leader])))
			}
		}
		for i := range nodes {
			for off := range shortest {
				if a, b := copies[leader][off], copies[i][off]; !a.equal(b) {
					problems = append(problems, fmt.Sprintf("partition %d offset %d: node %d holds %q (ts %d), the leader (node %d) %q (ts %d)",
						p, off, i, b.payload, b.timestamp, leader, a.payload, a.timestamp))
					break
				}
			}
		}
		compared += shortest
	}
	if len(problems) > 0 {
		return compared, fmt.Errorf("%w: %s", ErrReplicasDiffer, strings.Join(problems, "; "))
	}
	return compared, nil
}
