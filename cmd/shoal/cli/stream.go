package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shoal-io/shoal/client"
)

// Helpers shared by the stream, topic, partition, send and poll commands.
//
// Run moves the connection flags to the front wherever they were given
// (hoistFlags), so they may come before or after the arguments; each
// command's own flags may follow or mix with its arguments
// (`shoal topic create s t --partitions 3`).

// connFlagNames are the connection flags. Run has already taken them out
// of a command's arguments; should one still reach a command (after "--"),
// it is refused rather than silently ignored.
var connFlagNames = []string{"transport", "address", "username", "password", "token", "tls-ca-file", "tls-server-name", "tls-insecure", "timeout"}

// cmdFlags returns a flag set for one subcommand.
func cmdFlags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("shoal "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	for _, n := range connFlagNames {
		if n == "tls-insecure" {
			fs.Bool(n, false, "connection flag: give it before the arguments")
			continue
		}
		fs.String(n, "", "connection flag: give it before the arguments")
	}
	return fs
}

// parseArgs parses args against fs, allowing flags between and after
// positional arguments ("--" ends the flags), and checks the positional
// count is within [min, max] (max < 0: no limit).
func parseArgs(fs *flag.FlagSet, args []string, usage string, minArgs, maxArgs int) ([]string, error) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s %s\n(connection flags go right after the command word; shoal %s -h lists them)\n",
			fs.Name(), usage, strings.Fields(fs.Name())[1])
		fs.VisitAll(func(f *flag.Flag) {
			if slices.Contains(connFlagNames, f.Name) {
				return
			}
			kind, text := flag.UnquoteUsage(f)
			fmt.Fprintf(w, "  --%s %s\n    \t%s", f.Name, kind, strings.ReplaceAll(text, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			// Parse stopped after "--": the rest is all arguments.
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	var misplaced []string
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(connFlagNames, f.Name) {
			misplaced = append(misplaced, "--"+f.Name)
		}
	})
	if len(misplaced) > 0 {
		return nil, fmt.Errorf("%s: connection flags (%s) go right after the command word, before its arguments",
			fs.Name(), strings.Join(misplaced, ", "))
	}
	if len(pos) < minArgs || maxArgs >= 0 && len(pos) > maxArgs {
		return nil, fmt.Errorf("usage: %s %s", fs.Name(), usage)
	}
	return pos, nil
}

// helpOK turns the -h "error" into success: the flag set has printed
// the help.
func helpOK(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// subcommand splits args into a subcommand name and its arguments.
func subcommand(group string, args []string, names ...string) (string, []string, error) {
	if len(args) == 0 || !slices.Contains(names, args[0]) {
		return "", nil, fmt.Errorf("usage: shoal %s %s", group, strings.Join(names, "|"))
	}
	return args[0], args[1:], nil
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newTable(out io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(out, 0, 4, 2, ' ', 0) }

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func runStream(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	sub, args, err := subcommand("stream", args, "create", "list", "get", "update", "delete")
	if err != nil {
		return err
	}
	fs := cmdFlags("stream "+sub, out)
	asJSON := fs.Bool("json", false, "print JSON")
	switch sub {
	case "create":
		pos, err := parseArgs(fs, args, "NAME", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		s, err := c.CreateStream(ctx, pos[0])
		if err != nil {
			return err
		}
		return printStream(out, s, *asJSON)
	case "list":
		if _, err := parseArgs(fs, args, "", 0, 0); err != nil {
			return helpOK(err)
		}
		ss, err := c.GetStreams(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(out, nonNil(ss))
		}
		w := newTable(out)
		fmt.Fprintln(w, "ID\tNAME\tCREATED\tTOPICS\tSIZE\tMESSAGES")
		for _, s := range ss {
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%d\n", s.ID, s.Name, formatTime(s.CreatedAt), s.TopicsCount, byteSize(s.Size), s.MessagesCount)
		}
		return w.Flush()
	case "get":
		pos, err := parseArgs(fs, args, "STREAM", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		s, err := c.GetStream(ctx, client.ParseIdentifier(pos[0]))
		if err != nil {
			return err
		}
		return printStream(out, s, *asJSON)
	case "update":
		pos, err := parseArgs(fs, args, "STREAM NEW_NAME", 2, 2)
		if err != nil {
			return helpOK(err)
		}
		if err := c.UpdateStream(ctx, client.ParseIdentifier(pos[0]), pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(out, "renamed stream %s to %s\n", pos[0], pos[1])
		return nil
	default: // delete
		pos, err := parseArgs(fs, args, "STREAM", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		if err := c.DeleteStream(ctx, client.ParseIdentifier(pos[0])); err != nil {
			return err
		}
		fmt.Fprintf(out, "deleted stream %s\n", pos[0])
		return nil
	}
}

func printStream(out io.Writer, s *client.Stream, asJSON bool) error {
	if asJSON {
		return writeJSON(out, s)
	}
	w := newTable(out)
	fmt.Fprintf(w, "id\t%d\nname\t%s\ncreated\t%s\ntopics\t%d\nsize\t%s\nmessages\t%d\n",
		s.ID, s.Name, formatTime(s.CreatedAt), s.TopicsCount, byteSize(s.Size), s.MessagesCount)
	if err := w.Flush(); err != nil {
		return err
	}
	if len(s.Topics) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	return printTopics(out, s.Topics)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func expiry(us uint64) string {
	if us == math.MaxUint64 {
		return "never"
	}
	return (time.Duration(min(us, math.MaxInt64/1000)) * time.Microsecond).String()
}

func sizeLimit(n uint64) string {
	if n == math.MaxUint64 {
		return "unlimited"
	}
	return byteSize(n)
}
