package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
)

// TestClusterReplicatesMessages runs three nodes and checks issue 14's
// point 2 end to end: a send acknowledged by the leader is held by its
// partition's group, so after the leader stops the next leader serves
// every acknowledged message at the same offset, takes new sends after
// them, and a restarted node catches up (copying the messages its peers
// checkpointed past it) and, leading in turn, serves them all too. A stored consumer offset survives the same way.
func TestClusterReplicatesMessages(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	lead := c.leader(0)
	cl := c.withTopic(lead)
	var sent []string
	send := func(cl *client.Client, n int) {
		t.Helper()
		for range n {
			var msgs []client.Message
			for range 5 {
				p := fmt.Sprintf("m%d", len(sent)+len(msgs))
				msgs = append(msgs, client.Message{Payload: []byte(p)})
			}
			r, err := sendRetrying(ctx, cl, msgs)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if r.BaseOffset != uint64(len(sent)) {
				t.Fatalf("batch at offset %d, want %d", r.BaseOffset, len(sent))
			}
			for _, m := range msgs {
				sent = append(sent, string(m.Payload))
			}
		}
	}
	check := func(i int) {
		t.Helper()
		cl := c.srv[i].dial()
		if _, err := cl.Login(ctx, "iggy", "iggy"); err != nil {
			t.Fatal(err)
		}
		var got []string
		deadline := time.Now().Add(30 * time.Second)
		for len(got) < len(sent) {
			p, err := cl.PollMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.ConsumerID(client.NumericID(1)), 0,
				client.PollFromOffset(uint64(len(got))), 100, false)
			if err != nil {
				if time.Now().After(deadline) {
					t.Fatalf("node %d: poll: %v", i, err)
				}
				<-time.After(20 * time.Millisecond)
				continue
			}
			for _, m := range p.Messages {
				if m.Offset != uint64(len(got)) {
					t.Fatalf("node %d: message at offset %d, want %d", i, m.Offset, len(got))
				}
				got = append(got, string(m.Payload))
			}
			if len(p.Messages) == 0 && time.Now().After(deadline) {
				t.Fatalf("node %d serves %d of %d messages", i, len(got), len(sent))
			}
		}
		for k := range sent {
			if got[k] != sent[k] {
				t.Fatalf("node %d: offset %d holds %q, want %q", i, k, got[k], sent[k])
			}
		}
	}
	send(cl, 20)
	if err := cl.StoreConsumerOffset(ctx, client.ConsumerID(client.NumericID(3)), client.NamedID("s"), client.NamedID("t"), 0, 42); err != nil {
		t.Fatal(err)
	}
	check(lead)
	// A poll's auto-commit goes through the group too (asynchronously:
	// once the leader shows it, it is committed).
	auto := client.ConsumerID(client.NumericID(5))
	if p, err := cl.PollMessages(ctx, client.NamedID("s"), client.NamedID("t"), auto, 0, client.PollFromOffset(0), 10, true); err != nil || len(p.Messages) != 10 {
		t.Fatalf("poll with auto-commit: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		off, ok, err := cl.GetConsumerOffset(ctx, auto, client.NamedID("s"), client.NamedID("t"), 0)
		if err == nil && ok && off.StoredOffset == 9 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("auto-committed offset never stored: %+v %v %v", off, ok, err)
		}
		<-time.After(10 * time.Millisecond)
	}

	c.srv[lead].stop()
	c.srv[lead] = nil
	next := c.leader((lead + 1) % 3)
	n := c.srv[next].dial()
	if _, err := n.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	check(next)
	// Past the group's checkpoint (partgroup.DefaultCheckpointInterval):
	// the peers drop the prepares the stopped node lacks, so it must
	// copy their messages when it comes back.
	send(n, 70)
	off, ok, err := n.GetConsumerOffset(ctx, client.ConsumerID(client.NumericID(3)), client.NamedID("s"), client.NamedID("t"), 0)
	if err != nil || !ok || off.StoredOffset != 42 {
		t.Fatalf("consumer offset after failover: %+v %v %v", off, ok, err)
	}
	if off, ok, err := n.GetConsumerOffset(ctx, auto, client.NamedID("s"), client.NamedID("t"), 0); err != nil || !ok || off.StoredOffset != 9 {
		t.Fatalf("auto-committed offset after failover: %+v %v %v", off, ok, err)
	}

	// The old leader comes back as a backup and catches up; then the
	// current leader stops, and of the two left either may lead: both
	// hold everything.
	c.start(lead)
	send(n, 5)
	c.srv[next].stop()
	c.srv[next] = nil
	check(c.leader(lead))
	if st := c.srv[lead].partGroup(partKey{}).Status(); st.Copied == 0 {
		t.Fatalf("the restarted node caught up without copying messages: %+v", st)
	}
}

// sendRetrying sends through cl until the cluster takes it: a send
// refused with 58 (no leader yet, or the partition's group still
// moving) was not stored, and is sent again.
func sendRetrying(ctx context.Context, cl *client.Client, msgs []client.Message) (client.SendResult, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := cl.SendMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.PartitionID(0), msgs)
		var se *client.StatusError
		if err == nil || time.Now().After(deadline) || (errors.As(err, &se) && se.Status != 58) {
			return r, err
		}
		<-time.After(20 * time.Millisecond)
	}
}

// TestClusterRecreatedTopic deletes a topic whose partition holds
// messages and creates it again with the same name (and ids): the old
// partition's group stops with it, and the new one starts empty on every
// node, its frames apart from any left of the old incarnation.
func TestClusterRecreatedTopic(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	cl := c.srv[c.leader(0)].dial()
	if _, err := cl.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateStream(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	msgs := []client.Message{{Payload: []byte("a")}, {Payload: []byte("b")}}
	for round := range 2 {
		if _, err := cl.CreateTopic(ctx, client.NamedID("s"), "t", 1, nil); err != nil {
			t.Fatal(err)
		}
		for i := range 3 - round {
			r, err := sendRetrying(ctx, cl, msgs)
			if err != nil || r.BaseOffset != uint64(2*i) {
				t.Fatalf("round %d send %d: %+v %v", round, i, r, err)
			}
		}
		p, err := cl.PollMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.ConsumerID(client.NumericID(1)), 0,
			client.PollFromOffset(0), 100, false)
		if err != nil || len(p.Messages) != 2*(3-round) {
			t.Fatalf("round %d: poll %v, %d messages", round, err, len(p.Messages))
		}
		if round == 0 {
			if err := cl.DeleteTopic(ctx, client.NamedID("s"), client.NamedID("t")); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestClusterAutoCommitNext polls a cluster's leader with Next and
// auto-commit, back to back: each poll continues after the previous one
// although its auto-commit is still being replicated, so every message
// is served once, in order (a consumer group's poll loop).
func TestClusterAutoCommitNext(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	cl := c.withTopic(c.leader(0))
	const n = 200
	for i := 0; i < n; i += 20 {
		var msgs []client.Message
		for k := range 20 {
			msgs = append(msgs, client.Message{Payload: fmt.Appendf(nil, "m%d", i+k)})
		}
		if _, err := sendRetrying(ctx, cl, msgs); err != nil {
			t.Fatal(err)
		}
	}
	consumer := client.ConsumerID(client.NumericID(9))
	next := uint64(0)
	for polls := 0; next < n; polls++ {
		if polls > 2*n/5 {
			t.Fatalf("%d polls of 5 served offsets up to %d of %d", polls, next, n)
		}
		p, err := cl.PollMessages(ctx, client.NamedID("s"), client.NamedID("t"), consumer, 0, client.PollNext(), 5, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Messages {
			if m.Offset != next || string(m.Payload) != fmt.Sprintf("m%d", next) {
				t.Fatalf("poll %d: offset %d %q, want offset %d (each message once, in order)", polls, m.Offset, m.Payload, next)
			}
			next++
		}
	}
}

// withTopic logs a client in on node i and creates stream "s" with topic
// "t" of one partition through it.
func (c *testCluster) withTopic(i int) *client.Client {
	c.t.Helper()
	ctx := context.Background()
	cl := c.srv[i].dial()
	if _, err := cl.Login(ctx, "iggy", "iggy"); err != nil {
		c.t.Fatal(err)
	}
	if _, err := cl.CreateStream(ctx, "s"); err != nil {
		c.t.Fatal(err)
	}
	if _, err := cl.CreateTopic(ctx, client.NamedID("s"), "t", 1, nil); err != nil {
		c.t.Fatal(err)
	}
	return cl
}
