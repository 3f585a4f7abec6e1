package metadata

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// apply runs op through its encoding (as a replay would) and checks the
// status.
func apply(t *testing.T, s *State, op Op, want wire.Status) Result {
	t.Helper()
	if r := s.Check(op); r.Status != want {
		t.Fatalf("Check %v %+v: %v, want %v", op.Kind(), op, r.Status, want)
	}
	r := s.Apply(Encode(op))
	if r.Status != want {
		t.Fatalf("Apply %v %+v: %v, want %v", op.Kind(), op, r.Status, want)
	}
	checkStreamInvariants(t, s)
	return r
}

// checkStreamInvariants checks the documented invariants of streamTable
// and Group.
func checkStreamInvariants(t *testing.T, s *State) {
	t.Helper()
	tb := &s.streams
	if len(tb.byName) != len(tb.streams) {
		t.Fatalf("%d names for %d streams", len(tb.byName), len(tb.streams))
	}
	for id, st := range tb.streams {
		if st.ID != id || tb.byName[st.Name] != id {
			t.Fatalf("stream %d indexed wrongly", id)
		}
		if len(st.topicIDs) != len(st.topics) {
			t.Fatalf("stream %d: %d topic names for %d topics", id, len(st.topicIDs), len(st.topics))
		}
		for tid, tp := range st.topics {
			if tp.ID != tid || tp.Stream != id || st.topicIDs[tp.Name] != tid {
				t.Fatalf("topic %d/%d indexed wrongly", id, tid)
			}
			for i, p := range tp.Partitions {
				if p.ID != uint32(i) {
					t.Fatalf("topic %d/%d: partition %d has id %d", id, tid, i, p.ID)
				}
			}
			if len(tp.groupIDs) != len(tp.groups) {
				t.Fatalf("topic %d/%d: group index", id, tid)
			}
			for gid, g := range tp.groups {
				if g.ID != gid || tp.groupIDs[g.Name] != gid || gid >= tp.nextGroup {
					t.Fatalf("group %d indexed wrongly", gid)
				}
				seen := map[uint32]bool{}
				for i, m := range g.Members {
					if i > 0 && g.Members[i-1].ID >= m.ID {
						t.Fatalf("group %d members out of order", gid)
					}
					for _, p := range m.Partitions {
						if seen[p] || int(p) >= len(tp.Partitions) {
							t.Fatalf("group %d: partition %d assigned twice or missing", gid, p)
						}
						seen[p] = true
					}
				}
			}
		}
	}
}

func num(id uint32) wire.Identifier  { return wire.NumericID(id) }
func named(n string) wire.Identifier { return wire.NamedID(n) }

func TestStreamsLowestFreeIDAndNames(t *testing.T) {
	s := NewState()
	for i, name := range []string{"a", "b", "c"} {
		if r := apply(t, s, CreateStream{Timestamp: 10, Name: name}, wire.StatusOK); r.ID != uint32(i) {
			t.Fatalf("stream %q got id %d", name, r.ID)
		}
	}
	apply(t, s, CreateStream{Name: "b"}, wire.StatusStreamNameAlreadyExists)
	apply(t, s, CreateStream{Name: ""}, wire.StatusInvalidStreamName)
	apply(t, s, CreateStream{Name: "\xff"}, wire.StatusInvalidStreamName)
	apply(t, s, DeleteStream{Stream: named("b")}, wire.StatusOK)
	apply(t, s, DeleteStream{Stream: num(1)}, wire.StatusStreamIdNotFound)
	apply(t, s, DeleteStream{Stream: named("b")}, wire.StatusStreamIdNotFound)
	apply(t, s, PurgeStream{Stream: num(9)}, wire.StatusStreamIdNotFound)
	apply(t, s, PurgeStream{Stream: num(2)}, wire.StatusOK)
	if r := apply(t, s, CreateStream{Name: "d"}, wire.StatusOK); r.ID != 1 {
		t.Fatalf("the lowest free id is reused: got %d", r.ID)
	}
	if id, st := s.ResolveStream(named("d")); id != 1 || st != wire.StatusOK {
		t.Fatalf("resolve d: %d %v", id, st)
	}
	// A name may be reused once its stream is gone.
	apply(t, s, CreateStream{Name: "b"}, wire.StatusOK)
	if s.StreamCount() != 4 {
		t.Fatalf("%d streams", s.StreamCount())
	}
}

func TestTopicsAndPartitions(t *testing.T) {
	s := NewState()
	apply(t, s, CreateStream{Name: "s"}, wire.StatusOK)
	apply(t, s, CreateTopic{Stream: num(1), Partitions: 1, Name: "t"}, wire.StatusStreamIdNotFound)
	r := apply(t, s, CreateTopic{Timestamp: 5, Stream: named("s"), Partitions: 4, Shards: 3, Name: "t"}, wire.StatusOK)
	if r.ID != 0 {
		t.Fatalf("first topic id %d", r.ID)
	}
	apply(t, s, CreateTopic{Stream: num(0), Partitions: 1, Name: "t"}, wire.StatusTopicNameAlreadyExists)
	// Too long to encode: Check turns it away before it is journaled.
	if r := s.Check(CreateTopic{Stream: num(0), Partitions: 1, Name: strings.Repeat("x", 256)}); r.Status != wire.StatusInvalidTopicName {
		t.Fatalf("long topic name: %v", r.Status)
	}
	apply(t, s, CreateTopic{Stream: num(0), Partitions: 1001, Name: "big"}, wire.StatusTooManyPartitions)
	apply(t, s, CreateTopic{Stream: num(0), Partitions: 0, Name: "empty"}, wire.StatusOK)

	info, st := s.ResolveTopic(num(0), named("t"))
	if st != wire.StatusOK || len(info.Partitions) != 4 || info.Options.SegmentSize != MaxSegmentSize {
		t.Fatalf("topic info %+v %v", info, st)
	}
	// Round robin over 3 shards, continuing across topics.
	var shards []uint32
	for _, p := range info.Partitions {
		shards = append(shards, p.Shard)
	}
	if !slices.Equal(shards, []uint32{0, 1, 2, 0}) {
		t.Fatalf("shards %v", shards)
	}
	apply(t, s, CreatePartitions{Stream: num(0), Topic: num(0), Count: 2, Shards: 3, Timestamp: 9}, wire.StatusOK)
	info, _ = s.ResolveTopic(num(0), num(0))
	if n := len(info.Partitions); n != 6 || info.Partitions[5].Shard != 2 || info.Partitions[5].CreatedAt != 9 {
		t.Fatalf("after create: %+v", info.Partitions)
	}
	apply(t, s, CreatePartitions{Stream: num(0), Topic: num(0), Count: 0}, wire.StatusTooManyPartitions)
	apply(t, s, CreatePartitions{Stream: num(0), Topic: num(7), Count: 1}, wire.StatusTopicIdNotFound)
	apply(t, s, DeletePartitions{Stream: num(0), Topic: num(0), Count: 7}, wire.StatusInvalidPartitionsCount)
	apply(t, s, DeletePartitions{Stream: num(0), Topic: num(0), Count: 0}, wire.StatusTooManyPartitions)
	apply(t, s, DeletePartitions{Stream: num(0), Topic: num(0), Count: 5}, wire.StatusOK)
	info, _ = s.ResolveTopic(num(0), num(0))
	if len(info.Partitions) != 1 || info.Partitions[0].ID != 0 {
		t.Fatalf("delete removes the highest ids: %+v", info.Partitions)
	}
	apply(t, s, PurgeTopic{Stream: num(0), Topic: num(0)}, wire.StatusOK)
	apply(t, s, DeleteTopic{Stream: num(0), Topic: named("t")}, wire.StatusOK)
	apply(t, s, DeleteTopic{Stream: num(0), Topic: named("t")}, wire.StatusTopicIdNotFound)
	if r := apply(t, s, CreateTopic{Stream: num(0), Partitions: 1, Name: "again"}, wire.StatusOK); r.ID != 0 {
		t.Fatalf("topic id %d, want the freed 0", r.ID)
	}
	var all []string
	s.Topics(func(ti TopicInfo) { all = append(all, fmt.Sprintf("%d/%d/%s", ti.Stream, ti.ID, ti.Name)) })
	if !slices.Equal(all, []string{"0/0/again", "0/1/empty"}) {
		t.Fatalf("topics %v", all)
	}
	// Deleting the stream takes its topics along.
	apply(t, s, DeleteStream{Stream: num(0)}, wire.StatusOK)
	if _, st := s.ResolveTopic(num(0), num(0)); st != wire.StatusStreamIdNotFound {
		t.Fatalf("topic of a deleted stream: %v", st)
	}
}

// Options travel in canonical form through the operation, and Check
// re-applies the catalog bounds on replay.
func TestCreateTopicOptionsBounds(t *testing.T) {
	s := NewState()
	apply(t, s, CreateStream{Name: "s"}, wire.StatusOK)
	opts := TopicOptions{Explicit: 1<<OptSegmentSize | 1<<OptEnforceFsync | 1<<OptMaxTopicSize,
		SegmentSize: 4 << 20, EnforceFsync: true, MaxTopicSize: 8 << 20}
	apply(t, s, CreateTopic{Stream: num(0), Partitions: 1, Name: "ok", Options: opts}, wire.StatusOK)
	info, _ := s.ResolveTopic(num(0), named("ok"))
	if !info.Options.EnforceFsync || info.Options.SegmentSize != 4<<20 || info.Options.MessagesRequiredToSave != 1024 {
		t.Fatalf("resolved %+v", info.Options)
	}
	for name, tc := range map[string]struct {
		o    TopicOptions
		n    uint32
		want wire.Status
	}{
		"segment off grid":   {TopicOptions{Explicit: 1 << OptSegmentSize, SegmentSize: 1<<20 + 1}, 1, wire.StatusInvalidOptionValue},
		"segment too small":  {TopicOptions{Explicit: 1 << OptSegmentSize, SegmentSize: 512}, 1, wire.StatusInvalidOptionValue},
		"zero messages":      {TopicOptions{Explicit: 1 << OptMessagesRequiredToSave}, 1, wire.StatusInvalidOptionValue},
		"topic below seg":    {TopicOptions{Explicit: 1 << OptMaxTopicSize, MaxTopicSize: 1 << 20}, 1, wire.StatusInvalidTopicSize},
		"preallocate 64 GiB": {TopicOptions{Explicit: 1 << OptPreallocateSegments, PreallocateSegments: true}, 65, wire.StatusInvalidOptionValue},
		"bad compression":    {TopicOptions{Explicit: 1 << OptCompression, Compression: 7}, 1, wire.StatusInvalidOptionValue},
	} {
		if st := s.Check(CreateTopic{Stream: num(0), Partitions: tc.n, Name: name, Options: tc.o}).Status; st != tc.want {
			t.Errorf("%s: %v, want %v", name, st, tc.want)
		}
	}
}

// randomOps is a seeded mix of every stream operation, valid and invalid.
func randomOps(rng *rand.Rand, n int) []Op {
	id := func() wire.Identifier {
		if rng.IntN(4) == 0 {
			return named(fmt.Sprint("n", rng.IntN(3)))
		}
		return num(uint32(rng.IntN(2)))
	}
	client := func() wire.ClientID { return wire.ClientID{Lo: uint64(1 + rng.IntN(3)), Hi: 7} }
	var ops []Op
	for range n {
		var op Op
		switch rng.IntN(15) {
		case 0, 1:
			op = CreateStream{Timestamp: rng.Uint64(), Name: fmt.Sprint("n", rng.IntN(4))}
		case 2:
			if rng.IntN(5) == 0 {
				op = DeleteStream{Stream: id()}
			} else {
				op = PurgeStream{Stream: id()}
			}
		case 3, 4:
			op = CreateTopic{Timestamp: rng.Uint64(), Stream: id(), Partitions: uint32(rng.IntN(4)), Shards: 3,
				Name: fmt.Sprint("n", rng.IntN(4)), Options: TopicOptions{Explicit: 1 << OptEnforceFsync, EnforceFsync: true}}
		case 5:
			if rng.IntN(3) == 0 {
				op = DeleteTopic{Stream: id(), Topic: id()}
			} else {
				op = PurgeTopic{Stream: id(), Topic: id()}
			}
		case 6:
			op = CreatePartitions{Stream: id(), Topic: id(), Count: uint32(rng.IntN(3)), Shards: 2}
		case 7:
			op = DeletePartitions{Stream: id(), Topic: id(), Count: uint32(rng.IntN(3))}
		case 8:
			op = CreateConsumerGroup{Stream: id(), Topic: id(), Name: fmt.Sprint("n", rng.IntN(4))}
		case 9:
			if rng.IntN(3) == 0 {
				op = DeleteConsumerGroup{Stream: id(), Topic: id(), Group: id()}
			} else {
				op = Logout{Client: client(), Epoch: wire.Epoch(rng.IntN(50))}
			}
		case 10, 11:
			op = JoinConsumerGroup{Stream: id(), Topic: id(), Group: id(), Client: client()}
		case 13:
			op = UpdateStream{Stream: id(), Name: fmt.Sprint("n", rng.IntN(5))}
		case 14:
			var o TopicOptions
			if rng.IntN(2) == 0 {
				o = TopicOptions{Explicit: 1<<OptCompression | 1<<OptMessageExpiry, Compression: CompressionGzip, MessageExpiry: rng.Uint64()}
			}
			op = UpdateTopic{Stream: id(), Topic: id(), Name: fmt.Sprint("n", rng.IntN(5)), Options: o}
		default:
			op = LeaveConsumerGroup{Stream: id(), Topic: id(), Group: id(), Client: client()}
		}
		ops = append(ops, op)
	}
	return ops
}

// Replaying the journal rebuilds the same state (Digest), including
// rejected operations, and two states fed the same bytes agree.
func TestStreamsReplayDeterminism(t *testing.T) {
	m := vfs.NewMem()
	st, err := Open(m, "data", Options{HashParams: TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	shadow := NewState()
	rng := rand.New(rand.NewPCG(7, 7))
	okCount := 0
	okKinds := map[Kind]int{}
	for _, op := range randomOps(rng, 1000) {
		r, err := st.Propose(op)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK() {
			okCount++
			okKinds[op.Kind()]++
			shadow.Apply(Encode(op))
		}
		st.View(func(s *State) { checkStreamInvariants(t, s) })
	}
	t.Logf("%d operations took effect: %v", okCount, okKinds)
	if okCount < 150 || len(okKinds) < 12 {
		t.Fatalf("only %d operations took effect: %v", okCount, okKinds)
	}
	var before, applied uint64
	st.View(func(s *State) { before, applied = s.Digest(), s.Applied() })
	if shadow.Applied() != applied {
		t.Fatalf("shadow applied %d, store %d", shadow.Applied(), applied)
	}
	if shadow.Digest() != before {
		t.Fatal("a state fed the same operations differs")
	}
	st.Close()
	m.Crash(vfs.CrashOptions{})
	st, err = Open(m, "data", Options{HashParams: TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.View(func(s *State) {
		if s.Digest() != before {
			t.Fatal("replay rebuilt a different state")
		}
		var a, b []byte
		a = appendGetStreams(s, a, nil)
		b = appendGetStreams(shadow, b, nil)
		if !bytes.Equal(a, b) {
			t.Fatal("replayed streams read differently")
		}
	})
}

// Every operation round-trips through its encoding; truncated encodings
// are malformed.
func TestStreamOpsEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, op := range randomOps(rng, 200) {
		b := Encode(op)
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", op.Kind(), err)
		}
		if !bytes.Equal(Encode(got), b) {
			t.Fatalf("%v does not round-trip", op.Kind())
		}
		for n := 2; n < len(b); n++ {
			if _, err := Decode(b[:n]); err == nil {
				t.Fatalf("%v: %d-byte prefix decodes", op.Kind(), n)
			}
		}
		if _, err := Decode(append(b, 0)); err == nil {
			t.Fatalf("%v: trailing byte accepted", op.Kind())
		}
	}
	full := CreateTopic{Stream: named("s"), Name: "t", Options: TopicOptions{Explicit: 0xff, Compression: 2, MessageExpiry: 1,
		MaxTopicSize: 2, SegmentSize: 3, EnforceFsync: true, MessagesRequiredToSave: 4, SizeOfMessagesRequiredToSave: 5, PreallocateSegments: true}}
	got, err := Decode(Encode(full))
	if err != nil || got.(CreateTopic).Options != full.Options {
		t.Fatalf("options round trip: %+v %v", got, err)
	}
	bad := Encode(CreateTopic{Stream: num(0), Name: "t", Options: TopicOptions{Explicit: 1 << OptEnforceFsync}})
	bad[len(bad)-1] = 2
	if _, err := Decode(bad); err == nil {
		t.Fatal("a boolean of 2 decodes")
	}
}

// Reads take the store's read lock and never write, even on a fresh state
// (run with -race).
func TestConcurrentReads(t *testing.T) {
	st, err := Open(vfs.NewMem(), "data", Options{HashParams: TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	done := make(chan struct{})
	for range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				st.View(func(s *State) {
					appendGetStreams(s, nil, nil)
					s.ResolveTopic(num(0), num(0))
					s.Check(CreateStream{Name: "x"})
				})
			}
		}()
	}
	if _, err := st.Propose(CreateStream{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	<-done
	<-done
}

// UpdateStream renames; UpdateTopic renames and patches only the keys it
// carries, and only the updatable ones.
func TestUpdateStreamAndTopic(t *testing.T) {
	s := NewState()
	apply(t, s, CreateStream{Name: "a"}, wire.StatusOK)
	apply(t, s, CreateStream{Name: "b"}, wire.StatusOK)
	apply(t, s, UpdateStream{Stream: named("a"), Name: "b"}, wire.StatusStreamNameAlreadyExists)
	apply(t, s, UpdateStream{Stream: named("a"), Name: ""}, wire.StatusInvalidStreamName)
	apply(t, s, UpdateStream{Stream: num(9), Name: "c"}, wire.StatusStreamIdNotFound)
	apply(t, s, UpdateStream{Stream: named("a"), Name: "a"}, wire.StatusOK) // its own name
	apply(t, s, UpdateStream{Stream: named("a"), Name: "c"}, wire.StatusOK)
	if id, st := s.ResolveStream(named("c")); st != wire.StatusOK || id != 0 {
		t.Fatalf("renamed stream: %d %v", id, st)
	}
	if _, st := s.ResolveStream(named("a")); st == wire.StatusOK {
		t.Fatal("the old name still resolves")
	}

	created := TopicOptions{Explicit: 1<<OptSegmentSize | 1<<OptMessageExpiry, SegmentSize: 2 * MinSegmentSize, MessageExpiry: 5}
	apply(t, s, CreateTopic{Stream: named("c"), Partitions: 1, Shards: 1, Name: "t", Options: created}, wire.StatusOK)
	apply(t, s, CreateTopic{Stream: named("c"), Partitions: 1, Shards: 1, Name: "u"}, wire.StatusOK)
	apply(t, s, UpdateTopic{Stream: named("c"), Topic: named("t"), Name: "u"}, wire.StatusTopicNameAlreadyExists)
	apply(t, s, UpdateTopic{Stream: named("c"), Topic: named("t"), Name: "t",
		Options: TopicOptions{Explicit: 1 << OptSegmentSize, SegmentSize: MinSegmentSize}}, wire.StatusUnsupportedOptionKey)
	apply(t, s, UpdateTopic{Stream: named("c"), Topic: named("t"), Name: "t",
		Options: TopicOptions{Explicit: 1 << OptMaxTopicSize, MaxTopicSize: MinSegmentSize}}, wire.StatusInvalidTopicSize)
	apply(t, s, UpdateTopic{Stream: named("c"), Topic: named("x"), Name: "y"}, wire.StatusTopicIdNotFound)
	apply(t, s, UpdateTopic{Stream: named("c"), Topic: named("t"), Name: "v",
		Options: TopicOptions{Explicit: 1<<OptCompression | 1<<OptMaxTopicSize, Compression: CompressionGzip, MaxTopicSize: 4 * MinSegmentSize}}, wire.StatusOK)
	info, st := s.ResolveTopic(named("c"), named("v"))
	if st != wire.StatusOK {
		t.Fatal(st)
	}
	want := created.Resolved()
	want.Explicit |= 1<<OptCompression | 1<<OptMaxTopicSize
	want.Compression, want.MaxTopicSize = CompressionGzip, 4*MinSegmentSize
	if info.Options != want {
		t.Fatalf("options after update:\n got %+v\nwant %+v", info.Options, want)
	}
}
