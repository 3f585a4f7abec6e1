package admin

import (
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/version"
	"github.com/shoal-io/shoal/internal/wire"
)

// Input is what the admin reads need of the server. Each field is a value
// or immutable, so Stats and Snapshot may run on any goroutine.
type Input struct {
	// DataDir is the data directory: its volume's free and total space,
	// and the files a snapshot lists.
	DataDir string
	// Started is when the server started (run time and start time).
	Started time.Time
	// State is the committed metadata (metadata.Store.Current()); nil
	// counts nothing.
	State *metadata.State
	// Partition returns a partition's counters (segments, messages,
	// bytes); nil reads every partition as empty.
	Partition metadata.StatsFunc
	// Clients is the number of client connections.
	Clients int
	// Config is the configuration summary a snapshot includes.
	Config string
}

// Stats returns the GetStats reply: process and host figures (fields the
// operating system does not give stay zero) and the node's counts.
func Stats(in Input) wire.Stats {
	s := processStats(in.Started, in.DataDir)
	s.ClientsCount = clamp32(uint64(in.Clients))
	in.count(&s)
	return s
}

// count fills the metadata counts of s: streams, topics, partitions and
// consumer groups from the committed state, segments, messages and bytes
// from the counters of the partitions that state holds (so a deleted
// partition's counters, not yet dropped by its owner, are not counted).
func (in Input) count(s *wire.Stats) {
	st := in.State
	if st == nil {
		return
	}
	n := st.Totals()
	s.StreamsCount = clamp32(uint64(n.Streams))
	s.TopicsCount = clamp32(uint64(n.Topics))
	s.PartitionsCount = clamp32(uint64(n.Partitions))
	s.ConsumerGroupsCount = clamp32(uint64(n.Groups))
	if in.Partition == nil {
		return
	}
	var segments uint64
	st.EachPartition(func(stream, topic, part uint32) {
		c := in.Partition(stream, topic, part)
		segments += uint64(c.Segments)
		s.MessagesCount += c.Messages
		s.MessagesSizeBytes += c.SizeBytes
	})
	s.SegmentsCount = clamp32(segments)
}

// clamp32 narrows a count to the u32 of the wire, saturating.
func clamp32(n uint64) uint32 { return uint32(min(n, math.MaxUint32)) }

// processStats fills the process and host fields of GetStats from the
// operating system. Fields it cannot read stay zero.
func processStats(started time.Time, dataDir string) wire.Stats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := wire.Stats{
		ProcessID:     uint32(os.Getpid()),
		MemoryUsage:   ms.Sys,
		RunTime:       uint64(time.Since(started).Microseconds()),
		StartTime:     uint64(started.UnixMicro()),
		OSName:        runtime.GOOS,
		ServerVersion: version.Current,
		ServerSemver:  version.Semver,
		ThreadsCount:  uint32(runtime.GOMAXPROCS(0)),
	}
	s.Hostname, _ = os.Hostname()
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		if rss := procField(string(status), "VmRSS:"); rss > 0 {
			s.MemoryUsage = rss << 10
		}
	}
	if info, err := os.ReadFile("/proc/meminfo"); err == nil {
		s.TotalMemory = procField(string(info), "MemTotal:") << 10
		s.AvailableMemory = procField(string(info), "MemAvailable:") << 10
	}
	if pio, err := os.ReadFile("/proc/self/io"); err == nil {
		// Bytes the process caused to be read from and written to storage.
		s.ReadBytes = procField(string(pio), "read_bytes:")
		s.WrittenBytes = procField(string(pio), "write_bytes:")
	}
	hostStats(&s, dataDir)
	return s
}

// procField reads the number of a "key: N" or "key: N kB" line of a /proc
// file, or 0.
func procField(text, key string) uint64 {
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			var n uint64
			for _, c := range strings.TrimSpace(rest) {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + uint64(c-'0')
			}
			return n
		}
	}
	return 0
}
