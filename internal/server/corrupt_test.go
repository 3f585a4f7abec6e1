package server

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// A byte flipped in the middle of a partition's active segment is inner
// corruption, not a torn tail: after a restart the partition refuses to
// serve (CannotReadPartitions) and nothing of the acknowledged data is
// truncated (issue 15, item 7).
func TestCorruptPartitionIsRefusedNotTruncated(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	ctx := context.Background()
	if _, err := c.Request(ctx, wire.OpCreateStream, 0, append([]byte{1}, 's')); err != nil {
		t.Fatal(err)
	}
	topic := binary.LittleEndian.AppendUint32(wire.NumericID(0).Append(nil), 1)
	if _, err := c.Request(ctx, wire.OpCreateTopic, 0, append(topic, 1, 't')); err != nil {
		t.Fatal(err)
	}
	body := sendFrame(t, 0, 10, 100)
	for range 3 {
		if _, err := c.Request(ctx, wire.OpSendMessages, 0, body); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	ts.stop()

	logs, _ := filepath.Glob(filepath.Join(partition.Dir(dir, 0, 0, 0), "*.log"))
	var seg string
	for _, l := range logs {
		if filepath.Base(l) != "offsets.log" {
			seg = l
		}
	}
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff // inside the second of three batches
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}

	ts2 := startServer(t, dir)
	c2 := ts2.dial(client.WithCredentials("iggy", "iggy"))
	p := wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)}, Stream: wire.NumericID(0),
		Topic: wire.NumericID(0), HasPartition: true, Strategy: wire.PollingStrategy{Kind: wire.PollOffset}, Count: 100}
	_, err = c2.Request(ctx, wire.OpNonReplicated, client.CodePollMessages, p.Append(nil))
	if !errors.Is(err, &client.StatusError{Status: wire.StatusCannotReadPartitions}) {
		t.Fatalf("poll of a corrupt partition: %v, want CannotReadPartitions", err)
	}
	after, err := os.ReadFile(seg)
	if err != nil || len(after) != len(data) {
		t.Fatalf("segment is %d bytes after the restart, was %d (%v)", len(after), len(data), err)
	}
}

// A topic whose partitions cannot be created (out of file descriptors,
// say) is refused with CannotCreatePartition and leaves nothing behind:
// no topic in the metadata, no partition directory (issue 15, item 9).
func TestTopicCreateIsAtomic(t *testing.T) {
	dir := t.TempDir()
	fail := filepath.Join("partitions", "1")
	ts := startServer(t, dir, func(o *Options) {
		o.FS = vfs.WithErrors(vfs.Default, func(op vfs.Op) error {
			if op.Kind == vfs.OpCreate && strings.Contains(op.Path, fail) {
				return vfs.ErrTooManyFiles
			}
			return nil
		})
	})
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	ctx := context.Background()
	if _, err := c.Request(ctx, wire.OpCreateStream, 0, append([]byte{1}, 's')); err != nil {
		t.Fatal(err)
	}
	topic := binary.LittleEndian.AppendUint32(wire.NumericID(0).Append(nil), 2)
	_, err := c.Request(ctx, wire.OpCreateTopic, 0, append(topic, 1, 't'))
	if !errors.Is(err, &client.StatusError{Status: wire.StatusCannotCreatePartition}) {
		t.Fatalf("create topic with failing partition files: %v", err)
	}
	if _, st := ts.state().ResolveTopic(wire.NumericID(0), wire.NamedID("t")); st == wire.StatusOK {
		t.Fatal("the refused topic is in the metadata")
	}
	if _, err := os.Stat(partition.Dir(dir, 0, 0, 0)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partition 0 of the refused topic is on disk: %v", err)
	}
}

// With the metadata log gone but partition data present the server refuses
// to start, with a clear error, rather than start fresh and overwrite the
// data with the next topic it creates (issue 15, item 8).
func TestMissingMetadataRefusesStart(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	if _, err := c.Request(context.Background(), wire.OpCreateStream, 0, append([]byte{1}, 's')); err != nil {
		t.Fatal(err)
	}
	topic := binary.LittleEndian.AppendUint32(wire.NumericID(0).Append(nil), 1)
	if _, err := c.Request(context.Background(), wire.OpCreateTopic, 0, append(topic, 1, 't')); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ts.stop()
	if err := os.RemoveAll(filepath.Join(dir, "metadata")); err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.DataDir = dir
	srv, err := New(opts)
	if err == nil {
		srv.Close()
	}
	if !errors.Is(err, ErrMetadataMissing) {
		t.Fatalf("New without the metadata log: %v, want ErrMetadataMissing", err)
	}
}
