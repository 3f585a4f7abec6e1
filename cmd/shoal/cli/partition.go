package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/shoal-io/shoal/client"
)

func runPartition(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	sub, args, err := subcommand("partition", args, "create", "delete")
	if err != nil {
		return err
	}
	fs := cmdFlags("partition "+sub, out)
	count := fs.Uint("count", 1, "number of partitions to add, or to remove from the end")
	pos, err := parseArgs(fs, args, "STREAM TOPIC [--count N]", 2, 2)
	if err != nil {
		return helpOK(err)
	}
	if *count == 0 || *count > 1<<32-1 {
		return fmt.Errorf("--count %d is out of range", *count)
	}
	stream, topic := client.ParseIdentifier(pos[0]), client.ParseIdentifier(pos[1])
	verb := "added"
	if sub == "create" {
		err = c.CreatePartitions(ctx, stream, topic, uint32(*count))
	} else {
		verb = "deleted"
		err = c.DeletePartitions(ctx, stream, topic, uint32(*count))
	}
	if err != nil {
		return err
	}
	t, err := c.GetTopic(ctx, stream, topic)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s %d partitions: topic %s now has %d\n", verb, *count, pos[1], t.PartitionsCount)
	return nil
}
