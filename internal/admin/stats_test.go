package admin

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/version"
	"github.com/shoal-io/shoal/internal/wire"
)

// testState applies ops to a fresh state, failing the test on a rejection.
func testState(t testing.TB, ops ...metadata.Op) *metadata.State {
	t.Helper()
	s := metadata.NewState()
	for _, op := range ops {
		if r := s.ApplyOp(op); !r.OK() {
			t.Fatalf("%T %+v: %v", op, op, r.Status)
		}
	}
	return s
}

func num(id uint32) wire.Identifier { return wire.NumericID(id) }

// partitionCounters gives partition (s, t, p) s+1 segments, 10·p+1
// messages and 1000·(t+1) bytes, so every field of every partition
// shows in the sums.
func partitionCounters(stream, topic, part uint32) metadata.PartitionStats {
	return metadata.PartitionStats{Segments: stream + 1, Messages: 10*uint64(part) + 1, SizeBytes: 1000 * uint64(topic+1)}
}

// Issue #15 item 15: Stats counts the committed state's streams, topics,
// partitions and consumer groups, and sums the counters of the partitions
// that state holds.
func TestStatsCounts(t *testing.T) {
	st := testState(t,
		metadata.CreateStream{Name: "a"},
		metadata.CreateStream{Name: "b"},
		metadata.CreateStream{Name: "gone"},
		metadata.CreateTopic{Stream: num(2), Partitions: 2, Name: "t0"},
		metadata.DeleteStream{Stream: num(2)},
		metadata.CreateStream{Name: "empty"}, // id 2 again, no topics
		metadata.CreateTopic{Stream: num(0), Partitions: 2, Name: "t0"},
		metadata.CreateTopic{Stream: num(0), Partitions: 1, Name: "t1"},
		metadata.CreateTopic{Stream: num(1), Partitions: 3, Name: "t0"},
		metadata.CreateConsumerGroup{Stream: num(0), Topic: num(1), Name: "g"},
		metadata.CreateConsumerGroup{Stream: num(1), Topic: num(0), Name: "g"},
		metadata.CreateConsumerGroup{Stream: num(1), Topic: num(0), Name: "h"},
		metadata.JoinConsumerGroup{Stream: num(1), Topic: num(0), Group: num(1), Client: wire.ClientID{Lo: 7}},
	)
	// The counters of a partition the state no longer holds (stream 2's,
	// deleted, its owner not done yet) are not counted.
	counters := func(s, tp, p uint32) metadata.PartitionStats {
		if s == 2 {
			return metadata.PartitionStats{Segments: 100, Messages: 100, SizeBytes: 100}
		}
		return partitionCounters(s, tp, p)
	}
	s := Stats(Input{State: st, Partition: counters, Clients: 4, Started: time.Now()})
	got := fmt.Sprint(s.StreamsCount, s.TopicsCount, s.PartitionsCount, s.ConsumerGroupsCount, s.ClientsCount,
		s.SegmentsCount, s.MessagesCount, s.MessagesSizeBytes)
	// Segments: a/t0 2×1, a/t1 1×1, b/t0 3×2 = 9. Messages: 1+11 + 1 +
	// 1+11+21 = 46. Bytes: a/t0 2×1000, a/t1 2000, b/t0 3×1000 = 7000.
	if want := fmt.Sprint(3, 3, 6, 3, 4, 9, 46, 7000); got != want {
		t.Fatalf("streams topics partitions groups clients segments messages bytes:\n got %s\nwant %s", got, want)
	}
	// No partition counters: the metadata counts alone.
	s = Stats(Input{State: st})
	if s.StreamsCount != 3 || s.PartitionsCount != 6 || s.SegmentsCount != 0 || s.MessagesCount != 0 {
		t.Fatalf("without counters: %+v", s)
	}
	// No state: nothing to count.
	s = Stats(Input{Partition: counters})
	if s.StreamsCount != 0 || s.TopicsCount != 0 || s.MessagesCount != 0 {
		t.Fatalf("without a state: %+v", s)
	}
}

// The u32 counts of the wire saturate rather than wrap.
func TestCountsSaturate(t *testing.T) {
	st := testState(t, metadata.CreateStream{Name: "a"}, metadata.CreateTopic{Stream: num(0), Partitions: 3, Name: "t"})
	s := Stats(Input{State: st, Partition: func(_, _, _ uint32) metadata.PartitionStats {
		return metadata.PartitionStats{Segments: math.MaxUint32 / 2}
	}})
	if s.SegmentsCount != math.MaxUint32 {
		t.Fatalf("segments %d, want %d", s.SegmentsCount, uint32(math.MaxUint32))
	}
	if got := clamp32(uint64(math.MaxUint32) + 1); got != math.MaxUint32 {
		t.Fatalf("clamp32 %d", got)
	}
}

// Stats reports this process, the version and the start time it is given.
func TestStatsProcess(t *testing.T) {
	started := time.Now().Add(-time.Hour)
	s := Stats(Input{DataDir: t.TempDir(), Started: started})
	if s.ProcessID != uint32(os.Getpid()) || s.ServerVersion != version.Current || s.ServerSemver != version.Semver ||
		s.OSName != runtime.GOOS || s.StartTime != uint64(started.UnixMicro()) || s.RunTime < uint64(time.Hour.Microseconds()) ||
		s.MemoryUsage == 0 || s.ThreadsCount == 0 {
		t.Fatalf("stats %+v", s)
	}
	if runtime.GOOS == "linux" && (s.TotalMemory == 0 || s.TotalDiskSpace == 0 || s.KernelVersion == "") {
		t.Fatalf("linux host fields missing: %+v", s)
	}
}

func TestProcField(t *testing.T) {
	status := "Name:\tshoal\nVmPeak:\t  20000 kB\nVmRSS:\t   12345 kB\nThreads:\t9\n"
	io := "rchar: 100\nwchar: 200\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 1\n"
	for _, c := range []struct {
		text, key string
		want      uint64
	}{
		{status, "VmRSS:", 12345},
		{status, "Threads:", 9},
		{status, "VmSwap:", 0},
		{io, "read_bytes:", 4096},
		{io, "write_bytes:", 8192},
		{io, "cancelled_write_bytes:", 1},
	} {
		if got := procField(c.text, c.key); got != c.want {
			t.Errorf("procField(%q) = %d, want %d", c.key, got, c.want)
		}
	}
}

// BenchmarkStats is GetStats over 100 topics of 10 partitions.
func BenchmarkStats(b *testing.B) {
	ops := []metadata.Op{metadata.CreateStream{Name: "s"}}
	for i := range 100 {
		ops = append(ops, metadata.CreateTopic{Stream: num(0), Partitions: 10, Name: fmt.Sprint("t", i)})
	}
	in := Input{DataDir: b.TempDir(), Started: time.Now(), State: testState(b, ops...), Partition: partitionCounters, Clients: 1}
	b.ReportAllocs()
	for b.Loop() {
		s := Stats(in)
		if s.PartitionsCount != 1000 {
			b.Fatal(s.PartitionsCount)
		}
	}
}
