package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shoal-io/shoal/client"
)

// signalContext returns the context a follow ends with: it is cancelled
// by SIGINT or SIGTERM. Tests replace it.
var signalContext = func(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

func runPoll(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	fs := cmdFlags("poll", out)
	partition := fs.Uint("partition", 0, "partition to poll")
	consumer := fs.String("consumer", "0", "consumer id (a number or a name) whose offsets --next and commits use")
	offset := fs.Uint64("offset", 0, "start at this offset")
	since := fs.String("timestamp", "", "start at the first message stored at or after this RFC 3339 time")
	fs.Bool("first", false, "start at the first message")
	fs.Bool("last", false, "start at the last --count messages")
	fs.Bool("next", false, "start after the consumer's stored offset (the default)")
	count := fs.Uint("count", 10, "messages per poll")
	autoCommit := fs.Bool("auto-commit", false, "store the offset of the last message returned (always on with --follow)")
	follow := fs.Bool("follow", false, "keep polling until interrupted, committing the offset of what it printed")
	interval := fs.Duration("interval", 200*time.Millisecond, "with --follow, the wait after a poll that returned nothing")
	asJSON := fs.Bool("json", false, "print one JSON object per message")
	pos, err := parseArgs(fs, args, "STREAM TOPIC [--partition N] [--consumer ID] [--offset N|--timestamp T|--first|--last|--next] [--count N] [--follow]", 2, 2)
	if err != nil {
		return helpOK(err)
	}
	set := visited(fs)
	var from time.Time
	if set["timestamp"] {
		if from, err = time.Parse(time.RFC3339Nano, *since); err != nil {
			return fmt.Errorf("--timestamp: %w", err)
		}
	}
	strategy, n := client.PollNext(), 0
	for name, s := range map[string]client.PollingStrategy{"offset": client.PollFromOffset(*offset), "first": client.PollFirst(),
		"last": client.PollLast(), "next": client.PollNext(), "timestamp": client.PollFromTimestamp(from)} {
		if set[name] {
			strategy = s
			n++
		}
	}
	switch {
	case n > 1:
		return errors.New("poll: give one of --offset, --timestamp, --first, --last and --next")
	case *partition > 1<<32-1:
		return fmt.Errorf("--partition %d is out of range", *partition)
	case *count == 0 || *count > 1<<32-1:
		return fmt.Errorf("--count %d is out of range", *count)
	case *interval <= 0:
		return fmt.Errorf("--interval %v: want a positive duration", *interval)
	}
	pr := &poller{c: c, stream: client.ParseIdentifier(pos[0]), topic: client.ParseIdentifier(pos[1]),
		consumer: client.ConsumerID(client.ParseIdentifier(*consumer)), partition: uint32(*partition), count: uint32(*count),
		out: out, json: *asJSON}
	if !*follow {
		p, err := pr.poll(ctx, strategy, *autoCommit)
		if err != nil {
			return err
		}
		if len(p.Messages) == 0 && !*asJSON {
			fmt.Fprintf(out, "no messages (partition %d, current offset %d)\n", p.Partition, p.CurrentOffset)
			return nil
		}
		return pr.print(p)
	}

	// Follow: the first poll uses the strategy asked for, the next ones
	// continue after the last message seen. The offset is committed after
	// the messages are printed, not by the poll (a poll cut short by an
	// interrupt could commit messages nobody saw), and a commit started
	// is finished even when interrupted.
	base, per := detach(ctx)
	fctx, stop := signalContext(base)
	defer stop()
	for {
		rctx, cancel := context.WithTimeout(fctx, per)
		p, err := pr.poll(rctx, strategy, false)
		cancel()
		if fctx.Err() != nil {
			return nil // interrupted: a clean stop
		}
		if err != nil {
			return err
		}
		if len(p.Messages) > 0 {
			if err := pr.print(p); err != nil {
				return err
			}
			last := p.Messages[len(p.Messages)-1].Offset
			cctx, cancel := context.WithTimeout(base, per)
			err := pr.c.StoreConsumerOffset(cctx, pr.consumer, pr.stream, pr.topic, pr.partition, last)
			cancel()
			if err != nil {
				return fmt.Errorf("committing offset %d: %w", last, err)
			}
			if fctx.Err() != nil {
				return nil
			}
			strategy = client.PollFromOffset(last + 1)
			continue
		}
		if strategy.Kind == client.PollingKindFirst || strategy.Kind == client.PollingKindLast {
			strategy = client.PollFromOffset(0) // the partition is empty
		}
		// Offset, timestamp and next polls are repeated as they are.
		t := time.NewTimer(*interval)
		select {
		case <-fctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

type poller struct {
	c             *client.Client
	stream, topic client.Identifier
	consumer      client.Consumer
	partition     uint32
	count         uint32
	out           io.Writer
	json          bool
	headerDone    bool
}

func (pr *poller) poll(ctx context.Context, s client.PollingStrategy, commit bool) (*client.Polled, error) {
	return pr.c.PollMessages(ctx, pr.stream, pr.topic, pr.consumer, pr.partition, s, pr.count, commit)
}

// polledJSON is a message as --json prints it.
type polledJSON struct {
	Partition       uint32            `json:"partition"`
	Offset          uint64            `json:"offset"`
	Timestamp       time.Time         `json:"timestamp"`
	OriginTimestamp time.Time         `json:"origin_timestamp"`
	ID              string            `json:"id"`
	Payload         *string           `json:"payload,omitempty"`
	PayloadBase64   []byte            `json:"payload_base64,omitempty"`
	Headers         map[string]string `json:"headers,omitempty"`
}

func (pr *poller) print(p *client.Polled) error {
	if pr.json {
		enc := json.NewEncoder(pr.out)
		for _, m := range p.Messages {
			j := polledJSON{Partition: p.Partition, Offset: m.Offset, Timestamp: m.Timestamp, OriginTimestamp: m.OriginTimestamp,
				ID: hex.EncodeToString(m.ID[:])}
			if utf8.Valid(m.Payload) {
				s := string(m.Payload)
				j.Payload = &s
			} else {
				j.PayloadBase64 = m.Payload
			}
			if len(m.Headers) > 0 {
				j.Headers = map[string]string{}
				for _, h := range m.Headers {
					j.Headers[h.Key.String()] = h.Value.String()
				}
			}
			if err := enc.Encode(j); err != nil {
				return err
			}
		}
		return nil
	}
	w := newTable(pr.out)
	if !pr.headerDone {
		fmt.Fprintln(w, "OFFSET\tTIMESTAMP\tPAYLOAD")
		pr.headerDone = true
	}
	for _, m := range p.Messages {
		fmt.Fprintf(w, "%d\t%s\t%s", m.Offset, m.Timestamp.UTC().Format("2006-01-02T15:04:05.000000Z"), printable(m.Payload))
		for _, h := range m.Headers {
			fmt.Fprintf(w, "\t%s=%s", h.Key, h.Value)
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

// printable returns a payload as text, quoted when it is not valid UTF-8
// or holds control characters.
func printable(b []byte) string {
	s := string(b)
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) }) {
		return strconv.Quote(s)
	}
	return s
}
