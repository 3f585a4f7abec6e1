package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/client"
)

func TestSegmentCommand(t *testing.T) {
	srv := startServer(t)
	addr := srv.Addr("tcp").String()
	c := func(command string, args ...string) []string { return cmd(addr, "tcp", command, args...) }
	mustRun(t, c("stream", "create", "s"))
	mustRun(t, c("topic", "create", "s", "t", "--option", "segment_size=1MiB"))
	ctx := context.Background()
	cl, err := client.Dial(ctx, addr, client.WithHeartbeat(0), client.WithCredentials("admin", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	payload := []byte(strings.Repeat("x", 1100))
	for range 3 { // a segment a batch
		msgs := make([]client.Message, 1000)
		for i := range msgs {
			msgs[i].Payload = payload
		}
		if _, err := cl.SendMessages(ctx, client.NamedID("s"), client.NamedID("t"), client.PartitionID(0), msgs); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, c("segment", "delete", "s", "t", "--count", "1"), "removed", "1", "segments:", "partition", "0", "now", "has", "2")
	mustFail(t, c("segment", "delete", "s", "t", "--partition", "3"), "no partition 3")
	mustFail(t, c("segment", "delete", "s", "t", "--count", "0"), "out of range")
}
