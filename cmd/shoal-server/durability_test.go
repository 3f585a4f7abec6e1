package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// createTopic makes stream "dur" and topic "t" with one partition and
// enforce_fsync, through the raw client API.
func createTopic(ctx context.Context, t *testing.T, c *client.Client) {
	t.Helper()
	if _, err := c.Request(ctx, wire.OpCreateStream, 0, append([]byte{3}, "dur"...)); err != nil {
		t.Fatal(err)
	}
	body := wire.NamedID("dur").Append(nil)
	body = binary.LittleEndian.AppendUint32(body, 1)
	body = append(body, 1, 't')
	// Options TLV: key "enforce_fsync" (String) = "true" (String).
	key, val := "enforce_fsync", "true"
	body = append(body, 2)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(key)))
	body = append(body, key...)
	body = append(body, 2)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(val)))
	body = append(body, val...)
	if _, err := c.Request(ctx, wire.OpCreateTopic, 0, body); err != nil {
		t.Fatal(err)
	}
}

func batchOf(i, size int) []wire.MessageIn {
	msgs := make([]wire.MessageIn, size)
	for j := range msgs {
		msgs[j] = wire.MessageIn{ID: [16]byte{byte(i), byte(i >> 8), byte(j), 1}, OriginTimestamp: uint64(i),
			Payload: []byte(fmt.Sprintf("batch %d message %d", i, j))}
	}
	return msgs
}

// pollAll reads every message of partition 0 from offset 0.
func pollAll(ctx context.Context, t *testing.T, c *client.Client) []string {
	t.Helper()
	var out []string
	for {
		req := wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
			Stream: wire.NamedID("dur"), Topic: wire.NamedID("t"), HasPartition: true,
			Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: uint64(len(out))}, Count: 1000}
		b, err := c.Request(ctx, wire.OpNonReplicated, client.CodePollMessages, req.Append(nil))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if _, err := wire.DecodePollReply(b, func(h *wire.BatchHeader, m *wire.Message) error {
			if off := h.BaseOffset + uint64(m.OffsetDelta); off != uint64(len(out)) {
				return fmt.Errorf("offset %d at position %d", off, len(out))
			}
			out = append(out, string(m.Payload))
			n++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
	}
}

// TestDurabilityUnderSIGKILL sends batches with fsync enforced, kills the
// server with SIGKILL after a random number of acknowledgements (the seed
// is logged; SHOAL_DURABILITY_SEED repeats a run), restarts it and checks
// that every acknowledged message is served, in order, exactly once, and
// that nothing else is but, at most, the one batch in flight when the
// process died, whole (S12).
func TestDurabilityUnderSIGKILL(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SHOAL_DURABILITY_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (SHOAL_DURABILITY_SEED=%d repeats this run)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	const batchSize = 10
	killAfter := 5 + rng.IntN(60)

	bin := buildServer(t)
	dir := t.TempDir()
	env := []string{"IGGY_TCP_ADDRESS=127.0.0.1:0", "IGGY_QUIC_ENABLED=false", "IGGY_WEBSOCKET_ENABLED=false",
		"IGGY_HTTP_ENABLED=false", "IGGY_CONFIG_PATH="}
	p := startProcess(t, bin, dir, env, "--with-default-root-credentials")
	addr := addrAttr.FindStringSubmatch(p.waitFor(t, "shoal started"))[1]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.WithHeartbeat(0), client.WithReconnect(false), client.WithCredentials("iggy", "iggy"))
	if err != nil {
		t.Fatal(err)
	}
	createTopic(ctx, t, c)

	acked := make(chan int, 1024) // batch numbers, in order
	sent := make(chan int, 1)     // the last batch number sent when the sender stopped
	go func() {
		i := 0
		defer func() { sent <- i; close(acked) }()
		for ; ; i++ {
			body, err := wire.AppendSendMessages(nil, wire.NamedID("dur"), wire.NamedID("t"),
				wire.Partitioning{Kind: wire.PartitionByID}, batchOf(i, batchSize))
			if err != nil {
				panic(err)
			}
			if _, err := c.Request(ctx, wire.OpSendMessages, 0, body); err != nil {
				return // the server died under this request: batch i is in flight
			}
			acked <- i
		}
	}()
	var ackedBatches []int
	for i := range acked {
		ackedBatches = append(ackedBatches, i)
		if len(ackedBatches) == killAfter {
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	inFlight := <-sent
	c.Close()
	for range p.lines {
	}
	<-p.done
	p.done <- nil

	p2 := startProcess(t, bin, dir, env)
	addr = addrAttr.FindStringSubmatch(p2.waitFor(t, "shoal started"))[1]
	c2, err := client.Dial(ctx, addr, client.WithHeartbeat(0), client.WithCredentials("iggy", "iggy"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	got := pollAll(ctx, t, c2)

	var want []string
	for _, i := range ackedBatches {
		for _, m := range batchOf(i, batchSize) {
			want = append(want, string(m.Payload))
		}
	}
	if len(got) < len(want) {
		t.Fatalf("%d messages after restart, %d were acknowledged", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("message %d is %q, want %q", i, got[i], want[i])
		}
	}
	if extra := got[len(want):]; len(extra) > 0 {
		// Only the batch in flight at the kill may also be there, whole:
		// it was synced but its acknowledgement never left.
		var flight []string
		for _, m := range batchOf(inFlight, batchSize) {
			flight = append(flight, string(m.Payload))
		}
		if len(extra) != len(flight) || fmt.Sprint(extra) != fmt.Sprint(flight) {
			t.Fatalf("unacknowledged messages served: %q", extra)
		}
	}
	t.Logf("killed after %d acknowledged batches; %d messages recovered, in-flight batch %d present: %v",
		len(ackedBatches), len(got), inFlight, len(got) > len(want))
}
