package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/shoal-io/shoal/client"
)

// The standard streams send reads messages from and draws its progress
// bar on; tests replace them.
var (
	stdin  io.Reader = os.Stdin
	stderr io.Writer = os.Stderr
)

// maxBatchBytes bounds the payload bytes of one batch, well below the
// default 64 MiB frame limit.
const maxBatchBytes = 8 << 20

func runSend(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	fs := cmdFlags("send", out)
	partition := fs.Uint("partition", 0, "send to this partition (default: the server balances batches round robin)")
	key := fs.String("key", "", "send to the partition this message key hashes to")
	batchSize := fs.Int("batch-size", 1000, "messages per batch")
	headers := optionFlag{}
	fs.Var(headers, "header", "user header key=value (string kind) on every message, repeatable")
	progress := fs.String("progress", "auto", "progress bar on stderr: auto (when stdin is not a terminal and stderr is), always or never")
	pos, err := parseArgs(fs, args, "STREAM TOPIC [--partition N | --key K] [--header k=v]... [MESSAGE...]", 2, -1)
	if err != nil {
		return helpOK(err)
	}
	var p client.Partitioning
	switch set := visited(fs); {
	case set["partition"] && set["key"]:
		return errors.New("send: give --partition or --key, not both")
	case set["partition"]:
		if *partition > 1<<32-1 {
			return fmt.Errorf("--partition %d is out of range", *partition)
		}
		p = client.PartitionID(uint32(*partition))
	case set["key"]:
		if len(*key) == 0 || len(*key) > 255 {
			return errors.New("send: --key must be 1..255 bytes")
		}
		p = client.MessagesKey([]byte(*key))
	default:
		p = client.Balanced()
	}
	if *batchSize < 1 {
		return fmt.Errorf("--batch-size %d: want at least 1", *batchSize)
	}
	stream, topic := client.ParseIdentifier(pos[0]), client.ParseIdentifier(pos[1])
	var hs []client.Header
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		hs = append(hs, client.Header{Key: client.StringValue(k), Value: client.StringValue(headers[k])})
	}

	var src *lineSource
	bar := &progressBar{w: stderr}
	if msgs := pos[2:]; len(msgs) > 0 {
		src = &lineSource{args: msgs}
	} else {
		src = &lineSource{r: bufio.NewReaderSize(stdin, 64<<10)}
		bar.total = inputSize(stdin)
		switch *progress {
		case "always":
			bar.on = true
		case "auto":
			bar.on = !isTerminal(stdin) && isTerminal(stderr)
		case "never":
		default:
			return fmt.Errorf("--progress %q: want auto, always or never", *progress)
		}
	}

	// Input from stdin may take longer than --timeout: each batch gets
	// that long instead.
	base, per := detach(ctx)
	type span struct {
		messages    int
		first, last uint64
	}
	sent := map[uint32]*span{}
	total, batches := 0, 0
	bar.start = time.Now()
	for {
		batch, err := src.next(*batchSize)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		for i := range batch {
			batch[i].Headers = hs
		}
		rctx, cancel := context.WithTimeout(base, per)
		r, err := c.SendMessages(rctx, stream, topic, p, batch)
		cancel()
		if err != nil {
			bar.finish()
			if total > 0 {
				return fmt.Errorf("after %d messages: %w", total, err)
			}
			return err
		}
		s := sent[r.Partition]
		if s == nil {
			s = &span{first: r.BaseOffset}
			sent[r.Partition] = s
		}
		s.messages += len(batch)
		s.last = r.BaseOffset + uint64(len(batch)) - 1
		total += len(batch)
		batches++
		bar.update(src.read, total)
	}
	bar.finish()
	if total == 0 {
		return errors.New("send: no messages: give them as arguments or one per line on stdin")
	}
	fmt.Fprintf(out, "sent %d messages in %d batches\n", total, batches)
	w := newTable(out)
	fmt.Fprintln(w, "PARTITION\tMESSAGES\tFIRST OFFSET\tLAST OFFSET")
	for _, id := range slices.Sorted(maps.Keys(sent)) {
		s := sent[id]
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\n", id, s.messages, s.first, s.last)
	}
	return w.Flush()
}

// lineSource yields messages from arguments or, one per line, from a
// reader; blank lines are skipped.
type lineSource struct {
	args []string
	r    *bufio.Reader
	read int64 // bytes consumed from r
	eof  bool
}

func (s *lineSource) next(max int) ([]client.Message, error) {
	var batch []client.Message
	bytesIn := 0
	if s.r == nil {
		for len(s.args) > 0 && len(batch) < max && bytesIn < maxBatchBytes {
			batch = append(batch, client.Message{Payload: []byte(s.args[0])})
			bytesIn += len(s.args[0])
			s.args = s.args[1:]
		}
		return batch, nil
	}
	for !s.eof && len(batch) < max && bytesIn < maxBatchBytes {
		line, err := s.r.ReadBytes('\n')
		s.read += int64(len(line))
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
		case err != nil:
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(line) == 0 {
			continue
		}
		batch = append(batch, client.Message{Payload: line})
		bytesIn += len(line)
	}
	return batch, nil
}

// detach returns a context free of ctx's deadline, and the time that
// deadline left, for commands that may run longer than --timeout: each of
// their requests gets that long instead.
func detach(ctx context.Context) (context.Context, time.Duration) {
	per := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		per = max(time.Until(dl), time.Second)
	}
	return context.WithoutCancel(ctx), per
}

func visited(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// inputSize returns the size of a regular file or an in-memory reader,
// or 0 when unknown.
func inputSize(r io.Reader) int64 {
	switch v := r.(type) {
	case *os.File:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			return st.Size()
		}
	case interface{ Size() int64 }:
		return v.Size()
	}
	return 0
}

// progressBar draws one line on w, redrawn in place at most every 100 ms:
// a bar and percentage when the input size is known, then bytes,
// messages and rate.
type progressBar struct {
	w     io.Writer
	on    bool
	total int64 // bytes; 0 if unknown
	start time.Time
	drawn time.Time
	bytes int64
	msgs  int
	width int // of the last line drawn, to blank its tail
}

func (b *progressBar) update(bytes int64, msgs int) {
	b.bytes, b.msgs = bytes, msgs
	if b.on && time.Since(b.drawn) >= 100*time.Millisecond {
		b.draw()
	}
}

func (b *progressBar) finish() {
	if b.on && b.msgs > 0 {
		b.draw()
		fmt.Fprintln(b.w)
	}
}

func (b *progressBar) draw() {
	b.drawn = time.Now()
	const width = 30
	var line strings.Builder
	line.WriteString("\r")
	if b.total > 0 {
		frac := min(float64(b.bytes)/float64(b.total), 1)
		done := int(frac * width)
		line.WriteString("[" + strings.Repeat("=", done) + strings.Repeat(" ", width-done) + "]")
		fmt.Fprintf(&line, " %3.0f%%  %s/%s", frac*100, byteSize(uint64(b.bytes)), byteSize(uint64(b.total)))
	} else {
		line.WriteString(byteSize(uint64(b.bytes)))
	}
	rate := float64(b.msgs) / max(time.Since(b.start).Seconds(), 1e-3)
	fmt.Fprintf(&line, "  %d messages  %.0f msg/s", b.msgs, rate)
	n := line.Len()
	line.WriteString(strings.Repeat(" ", max(b.width-n, 0)))
	b.width = n
	io.WriteString(b.w, line.String())
}
