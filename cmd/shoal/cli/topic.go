package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/shoal-io/shoal/client"
)

// optionFlag collects repeated --option key=value flags.
type optionFlag map[string]string

func (o optionFlag) String() string { return "" }

func (o optionFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" || v == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	if _, dup := o[k]; dup {
		return fmt.Errorf("option %q given twice", k)
	}
	o[k] = v
	return nil
}

func runTopic(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	sub, args, err := subcommand("topic", args, "create", "list", "get", "update", "delete")
	if err != nil {
		return err
	}
	fs := cmdFlags("topic "+sub, out)
	asJSON := fs.Bool("json", false, "print JSON")
	switch sub {
	case "create":
		partitions := fs.Uint("partitions", 1, "number of partitions")
		options := optionFlag{}
		fs.Var(options, "option", "topic option key=value, repeatable (keys: compression_algorithm, message_expiry,\n"+
			"max_topic_size, segment_size, enforce_fsync, messages_required_to_save,\nsize_of_messages_required_to_save, preallocate_segments)")
		pos, err := parseArgs(fs, args, "STREAM NAME [--partitions N] [--option key=value]...", 2, 2)
		if err != nil {
			return helpOK(err)
		}
		if *partitions > 1<<32-1 {
			return fmt.Errorf("--partitions %d is out of range", *partitions)
		}
		t, err := c.CreateTopic(ctx, client.ParseIdentifier(pos[0]), pos[1], uint32(*partitions), options)
		if err != nil {
			return err
		}
		return printTopic(out, t, *asJSON)
	case "list":
		pos, err := parseArgs(fs, args, "STREAM", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		ts, err := c.GetTopics(ctx, client.ParseIdentifier(pos[0]))
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(out, nonNil(ts))
		}
		return printTopics(out, ts)
	case "get":
		pos, err := parseArgs(fs, args, "STREAM TOPIC", 2, 2)
		if err != nil {
			return helpOK(err)
		}
		t, err := c.GetTopic(ctx, client.ParseIdentifier(pos[0]), client.ParseIdentifier(pos[1]))
		if err != nil {
			return err
		}
		return printTopic(out, t, *asJSON)
	case "update":
		name := fs.String("name", "", "new name (default: keep it)")
		options := optionFlag{}
		fs.Var(options, "option", "option key=value to change, repeatable (keys: compression_algorithm,\nmessage_expiry, max_topic_size; the others are fixed at creation)")
		pos, err := parseArgs(fs, args, "STREAM TOPIC [--name NEW_NAME] [--option key=value]...", 2, 2)
		if err != nil {
			return helpOK(err)
		}
		stream, topic := client.ParseIdentifier(pos[0]), client.ParseIdentifier(pos[1])
		newName := *name
		if newName == "" {
			// The request always carries a name: keep the current one.
			t, err := c.GetTopic(ctx, stream, topic)
			if err != nil {
				return err
			}
			newName = t.Name
		}
		if err := c.UpdateTopic(ctx, stream, topic, newName, options); err != nil {
			return err
		}
		t, err := c.GetTopic(ctx, stream, client.NamedID(newName))
		if err != nil {
			return err
		}
		return printTopic(out, t, *asJSON)
	default: // delete
		pos, err := parseArgs(fs, args, "STREAM TOPIC", 2, 2)
		if err != nil {
			return helpOK(err)
		}
		if err := c.DeleteTopic(ctx, client.ParseIdentifier(pos[0]), client.ParseIdentifier(pos[1])); err != nil {
			return err
		}
		fmt.Fprintf(out, "deleted topic %s from stream %s\n", pos[1], pos[0])
		return nil
	}
}

func printTopics(out io.Writer, ts []client.Topic) error {
	w := newTable(out)
	fmt.Fprintln(w, "ID\tNAME\tCREATED\tPARTITIONS\tSIZE\tMESSAGES\tEXPIRY\tMAX SIZE\tCOMPRESSION")
	for _, t := range ts {
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n", t.ID, t.Name, formatTime(t.CreatedAt), t.PartitionsCount,
			byteSize(t.Size), t.MessagesCount, expiry(t.MessageExpiry), sizeLimit(t.MaxTopicSize), t.Compression)
	}
	return w.Flush()
}

func printTopic(out io.Writer, t *client.Topic, asJSON bool) error {
	if asJSON {
		return writeJSON(out, t)
	}
	w := newTable(out)
	fmt.Fprintf(w, "id\t%d\nname\t%s\ncreated\t%s\npartitions\t%d\nsize\t%s\nmessages\t%d\nmessage expiry\t%s\nmax topic size\t%s\ncompression\t%s\n",
		t.ID, t.Name, formatTime(t.CreatedAt), t.PartitionsCount, byteSize(t.Size), t.MessagesCount,
		expiry(t.MessageExpiry), sizeLimit(t.MaxTopicSize), t.Compression)
	for _, o := range t.Options {
		fmt.Fprintf(w, "option %s\t%s (set)\n", o.Key, o.Value)
	}
	for _, o := range t.DerivedOptions {
		fmt.Fprintf(w, "option %s\t%s\n", o.Key, o.Value)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(t.Partitions) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	w = newTable(out)
	fmt.Fprintln(w, "PARTITION\tCREATED\tSEGMENTS\tCURRENT OFFSET\tSIZE\tMESSAGES")
	for _, p := range t.Partitions {
		fmt.Fprintf(w, "%d\t%s\t%d\t%d\t%s\t%d\n", p.ID, formatTime(p.CreatedAt), p.SegmentsCount, p.CurrentOffset, byteSize(p.Size), p.MessagesCount)
	}
	return w.Flush()
}
