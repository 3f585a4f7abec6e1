package server

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// adminFixture is what statsFixture built: the ids of the two groups and
// the totals it stored.
type adminFixture struct {
	g, h               wire.ClientGroup // a/t2/g and b/t3/h
	messages, segments uint64
	bytes              uint64
}

// statsFixture creates streams a and b, topics a/t1 (2 partitions), a/t2
// (1) and b/t3 (3, 1 MiB segments), groups a/t2/g, b/t3/first and
// b/t3/h, and sends messages to every partition (b/t3/0 gets enough for
// several segments).
// Every partition is written, so each one's counters are published before
// the send is answered. The segment and byte totals are read back through
// GetTopic, a separate reply path over the partitions' counters.
func statsFixture(t *testing.T, c *client.Client) adminFixture {
	t.Helper()
	ctx := context.Background()
	must := mustFunc(t)
	a, err := c.CreateStream(ctx, "a")
	must(err)
	b, err := c.CreateStream(ctx, "b")
	must(err)
	type topic struct {
		stream     uint32
		name       string
		partitions uint32
		options    map[string]string
	}
	topics := []topic{{a.ID, "t1", 2, nil}, {a.ID, "t2", 1, nil}, {b.ID, "t3", 3, map[string]string{"segment_size": "1 MiB"}}}
	ids := map[string]uint32{}
	for _, tp := range topics {
		got, err := c.CreateTopic(ctx, client.NumericID(tp.stream), tp.name, tp.partitions, tp.options)
		must(err)
		ids[tp.name] = got.ID
	}
	group := func(stream uint32, topic, name string) wire.ClientGroup {
		body := wire.NumericID(stream).Append(nil)
		body = wire.NumericID(ids[topic]).Append(body)
		r, err := c.Request(ctx, wire.OpCreateConsumerGroup, 0, append(append(body, byte(len(name))), name...))
		must(err)
		return wire.ClientGroup{Stream: stream, Topic: ids[topic], Group: binary.LittleEndian.Uint32(r)}
	}
	// g is a/t2's group 0 and h is b/t3's group 1: the two entries differ
	// in every field, so a field out of order shows.
	f := adminFixture{g: group(a.ID, "t2", "g")}
	group(b.ID, "t3", "first")
	f.h = group(b.ID, "t3", "h")
	send := func(stream uint32, topic string, part uint32, n, size int) {
		t.Helper()
		msgs := make([]client.Message, n)
		for i := range msgs {
			msgs[i].Payload = []byte(strings.Repeat("x", size))
		}
		_, err := c.SendMessages(ctx, client.NumericID(stream), client.NumericID(ids[topic]), client.PartitionID(part), msgs)
		must(err)
		f.messages += uint64(n)
	}
	for _, tp := range topics {
		for p := range tp.partitions {
			send(tp.stream, tp.name, p, int(3+p), 10)
		}
	}
	for range 3 { // ~1 MiB a batch: b/t3/0 rolls over into new segments
		send(b.ID, "t3", 0, 1000, 1000)
	}
	for _, tp := range topics {
		got, err := c.GetTopic(ctx, client.NumericID(tp.stream), client.NumericID(ids[tp.name]))
		must(err)
		for _, p := range got.Partitions {
			f.segments += uint64(p.SegmentsCount)
			f.bytes += p.Size
		}
	}
	return f
}

func getStats(t *testing.T, c *client.Client) wire.Stats {
	t.Helper()
	b, err := c.Request(context.Background(), wire.OpNonReplicated, client.CodeStats, nil)
	if err != nil {
		t.Fatal(err)
	}
	var s wire.Stats
	if err := s.Decode(b); err != nil {
		t.Fatal(err)
	}
	return s
}

func clientInfo(t *testing.T, c *client.Client, code uint32, body []byte) wire.ClientInfo {
	t.Helper()
	b, err := c.Request(context.Background(), wire.OpNonReplicated, code, body)
	if err != nil {
		t.Fatal(err)
	}
	info, n, err := wire.DecodeClientInfo(b, true)
	if err != nil || n != len(b) {
		t.Fatalf("client info %x: %d of %d bytes, %v", b, n, len(b), err)
	}
	return info
}

// Issue #15 item 15: GetStats reports the streams, topics, partitions and
// consumer groups of the committed metadata, and the segments, messages
// and bytes of the partitions' counters (it reported 0 for all of them).
func TestStatsCountEverything(t *testing.T) {
	ts := startServer(t, "")
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	f := statsFixture(t, c)
	s := getStats(t, c)
	type counts struct {
		Streams, Topics, Partitions, Groups, Clients uint32
		Segments, Messages, Bytes                    uint64
	}
	got := counts{s.StreamsCount, s.TopicsCount, s.PartitionsCount, s.ConsumerGroupsCount, s.ClientsCount,
		uint64(s.SegmentsCount), s.MessagesCount, s.MessagesSizeBytes}
	want := counts{2, 3, 6, 3, 1, f.segments, f.messages, f.bytes}
	if got != want {
		t.Fatalf("stats counts\n got %+v\nwant %+v", got, want)
	}
	// b/t3/0 holds several segments, so the segment total is not just the
	// partition count; 3 MB of payload are stored.
	if f.segments <= 6 || f.bytes < 3_000_000 || f.messages != 3000+3+4+3+3+4+5 {
		t.Fatalf("fixture: %+v", f)
	}
	// Deleting a stream takes its topics, partitions, groups and messages
	// out of the totals.
	if err := c.DeleteStream(context.Background(), client.NumericID(f.h.Stream)); err != nil {
		t.Fatal(err)
	}
	s = getStats(t, c)
	got = counts{s.StreamsCount, s.TopicsCount, s.PartitionsCount, s.ConsumerGroupsCount, s.ClientsCount, 0, s.MessagesCount, 0}
	if want := (counts{1, 2, 3, 1, 1, 0, 3 + 4 + 3, 0}); got != want {
		t.Fatalf("after deleting stream b\n got %+v\nwant %+v", got, want)
	}
}

// GetMe, GetClient and GetClients report the consumer groups the
// session's VSR client id belongs to (wire.md §2.8: membership is keyed by
// that id), by stream, topic and group id; Leave and logout drop them.
func TestClientInfoListsGroups(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	other := ts.dial(client.WithCredentials("iggy", "iggy"))
	f := statsFixture(t, c)
	groupBody := func(g wire.ClientGroup) []byte {
		b := wire.NumericID(g.Stream).Append(nil)
		b = wire.NumericID(g.Topic).Append(b)
		return wire.NumericID(g.Group).Append(b)
	}
	for _, g := range []wire.ClientGroup{f.h, f.g} {
		if _, err := c.Request(ctx, wire.OpJoinConsumerGroup, 0, groupBody(g)); err != nil {
			t.Fatal(err)
		}
	}
	want := []wire.ClientGroup{f.g, f.h} // by stream, topic, group id
	me := clientInfo(t, c, client.CodeMe, nil)
	if !slices.Equal(me.Groups, want) {
		t.Fatalf("GetMe groups %+v, want %+v", me.Groups, want)
	}
	// Another session sees them through GetClient, and has none itself.
	if got := clientInfo(t, other, client.CodeClient, binary.LittleEndian.AppendUint32(nil, me.ID)); !slices.Equal(got.Groups, want) {
		t.Fatalf("GetClient groups %+v, want %+v", got.Groups, want)
	}
	if got := clientInfo(t, other, client.CodeMe, nil); len(got.Groups) != 0 {
		t.Fatalf("other's GetMe groups %+v, want none", got.Groups)
	}
	// GetClients carries each client's group count (no list).
	all, err := other.Request(ctx, wire.OpNonReplicated, client.CodeClients, nil)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[uint32]int{}
	for off := 0; off < len(all); {
		info, n, err := wire.DecodeClientInfo(all[off:], false)
		if err != nil {
			t.Fatal(err)
		}
		off += n
		// Without the list, the decoder skips the count: it is the u32
		// that ends the entry.
		counts[info.ID] = int(binary.LittleEndian.Uint32(all[off-4:]))
	}
	if len(counts) != 2 || counts[me.ID] != 2 {
		t.Fatalf("GetClients group counts %v, want 2 for client %d", counts, me.ID)
	}
	if _, err := c.Request(ctx, wire.OpLeaveConsumerGroup, 0, groupBody(f.g)); err != nil {
		t.Fatal(err)
	}
	if got := clientInfo(t, c, client.CodeMe, nil); !slices.Equal(got.Groups, []wire.ClientGroup{f.h}) {
		t.Fatalf("GetMe groups after leaving g: %+v", got.Groups)
	}
	// A logout ends the membership (wire.md §2.10): the connection, bound
	// again, is a new client id with no groups.
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "iggy", "iggy"); err != nil {
		t.Fatal(err)
	}
	if got := clientInfo(t, c, client.CodeMe, nil); len(got.Groups) != 0 {
		t.Fatalf("GetMe groups after logout: %+v", got.Groups)
	}
	if got := clientInfo(t, other, client.CodeClient, binary.LittleEndian.AppendUint32(nil, me.ID)); len(got.Groups) != 0 {
		t.Fatalf("GetClient groups after logout: %+v", got.Groups)
	}
}

// GetSnapshot answers with a ZIP archive built by internal/admin from the
// server's committed state and configuration; a compression without an
// encoder is refused.
func TestSnapshotArchive(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.dial(client.WithCredentials("iggy", "iggy"))
	statsFixture(t, c)
	b, err := c.Request(ctx, wire.OpNonReplicated, client.CodeSnapshot, []byte{2, 1, 100}) // deflated, all types
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		data, err := fs.ReadFile(zr, f.Name)
		if err != nil || f.Method != zip.Deflate {
			t.Fatalf("%s: method %d, %v", f.Name, f.Method, err)
		}
		files[f.Name] = string(data)
	}
	if len(files) != 6 {
		t.Fatalf("%d files: %v", len(files), slices.Collect(maps.Keys(files)))
	}
	for name, want := range map[string]string{
		"server_config.txt":       "version " + Version + "\ndata " + ts.dir + "\nshards 2\n",
		"resource_usage.txt":      "streams 2\ntopics 3\npartitions 6\n",
		"filesystem_overview.txt": ts.dir,
	} {
		if !strings.Contains(files[name], want) {
			t.Errorf("%s lacks %q:\n%s", name, want, files[name])
		}
	}
	if _, err := c.Request(ctx, wire.OpNonReplicated, client.CodeSnapshot, []byte{4, 1, 100}); !errors.Is(err, &client.StatusError{Status: wire.StatusInvalidCommand}) {
		t.Fatalf("zstd snapshot: %v", err)
	}
}
