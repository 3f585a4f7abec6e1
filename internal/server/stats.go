package server

import (
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// Version is the server version reported at login and by GetStats.
const Version = "0.1.0"

// versionSemver packs Version as Iggy does (major*1e6 + minor*1e3 + patch).
const versionSemver = 0*1_000_000 + 1*1_000 + 0

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
		ServerVersion: Version,
		ServerSemver:  versionSemver,
		ThreadsCount:  uint32(runtime.GOMAXPROCS(0)),
	}
	s.Hostname, _ = os.Hostname()
	if rss := procStatusKB("VmRSS:"); rss > 0 {
		s.MemoryUsage = rss << 10
	}
	if total, avail := meminfo(); total > 0 {
		s.TotalMemory, s.AvailableMemory = total, avail
	}
	hostStats(&s, dataDir)
	return s
}

// procStatusKB reads a "Key: N kB" line of /proc/self/status.
func procStatusKB(key string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return kbField(string(data), key)
}

func meminfo() (total, avail uint64) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	return kbField(string(data), "MemTotal:") << 10, kbField(string(data), "MemAvailable:") << 10
}

func kbField(text, key string) uint64 {
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			var n uint64
			for _, c := range strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")) {
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
