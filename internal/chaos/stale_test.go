package chaos

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestDeposedLeaderRefusesStaleReads: a leader cut off from its peers
// keeps believing it leads until it hears of the newer view (or
// abdicates), but it serves no metadata read from its own state in the
// meantime: a read is served only after a quorum round confirms that the
// node still leads (internal/vsr "Linearizable reads"), and the cut-off
// node's rounds find no quorum, so it answers 58 TransientNotAccepted. A
// client still connected to it (the SDK re-checks the leader only after
// a login or a 58) therefore never reads a list that misses a stream
// whose creation was acknowledged before the read began. (Before reads
// were confirmed this test documented the opposite: the deposed leader
// served the stale list.)
func TestDeposedLeaderRefusesStaleReads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx := context.Background()
	c, err := startCluster(ctx, serverBinary(t), t.TempDir(), 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	old, err := c.waitLeader(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dialProbe(ctx, c.tcp[old]) // a session on the leader, before the cut
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	if err := c.mesh.Isolate(old); err != nil {
		t.Fatal(err)
	}
	// The two others elect a leader among themselves (two votes of three).
	next, err := c.waitLeaderOtherThan(ctx, old, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.Dial(ctx, c.tcp[next], client.WithCredentials("iggy", "iggy"), client.WithHeartbeat(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.CreateStream(ctx, "after-the-cut"); err != nil {
		t.Fatalf("create on the new leader %d: %v", next, err)
	}
	// Every read begins after the create was acknowledged. The cut-off
	// leader names itself (until it abdicates) or nobody; it must never
	// list its streams without the new one.
	refused := 0
	for range 20 {
		b, err := p.read(wire.CodeGetStreams, nil)
		if err != nil {
			if !strings.Contains(err.Error(), wire.StatusTransientNotAccepted.String()) {
				t.Fatalf("read on the deposed leader: %v, want status TransientNotAccepted", err)
			}
			refused++
			continue
		}
		streams, err := wire.DecodeStreams(b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(streams, func(s wire.StreamInfo) bool { return s.Name == "after-the-cut" }) {
			t.Fatalf("the deposed leader %d served a stale stream list without the stream node %d acknowledged", old, next)
		}
	}
	if refused == 0 {
		t.Fatal("the deposed leader refused no read")
	}
	t.Logf("node %d, cut off, refused %d reads with 58", old, refused)
}
