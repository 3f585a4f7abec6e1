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

func runSegment(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	_, args, err := subcommand("segment", args, "delete")
	if err != nil {
		return err
	}
	fs := cmdFlags("segment delete", out)
	part := fs.Uint("partition", 0, "partition id")
	count := fs.Uint("count", 1, "how many of the oldest sealed segments to remove")
	pos, err := parseArgs(fs, args, "STREAM TOPIC [--partition N] [--count N]", 2, 2)
	if err != nil {
		return helpOK(err)
	}
	if *part > 1<<32-1 || *count == 0 || *count > 1<<32-1 {
		return fmt.Errorf("--partition %d or --count %d is out of range", *part, *count)
	}
	stream, topic := client.ParseIdentifier(pos[0]), client.ParseIdentifier(pos[1])
	before, err := c.GetTopic(ctx, stream, topic)
	if err != nil {
		return err
	}
	if int(*part) >= len(before.Partitions) {
		return fmt.Errorf("topic %s has no partition %d", pos[1], *part)
	}
	if err := c.DeleteSegments(ctx, stream, topic, uint32(*part), uint32(*count)); err != nil {
		return err
	}
	after, err := c.GetTopic(ctx, stream, topic)
	if err != nil {
		return err
	}
	was, now := before.Partitions[*part].SegmentsCount, after.Partitions[*part].SegmentsCount
	fmt.Fprintf(out, "removed %d segments: partition %d now has %d (the active one and any a consumer has not read stay)\n",
		was-now, *part, now)
	return nil
}
