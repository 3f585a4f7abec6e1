package admin

import (
	"strings"
	"syscall"

	"github.com/shoal-io/shoal/internal/wire"
)

// hostStats fills the kernel and disk fields of GetStats.
func hostStats(s *wire.Stats, dataDir string) {
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		s.KernelVersion = utsString(u.Release[:])
		s.OSVersion = utsString(u.Version[:])
	}
	var fs syscall.Statfs_t
	if syscall.Statfs(dataDir, &fs) == nil {
		s.FreeDiskSpace = fs.Bavail * uint64(fs.Bsize)
		s.TotalDiskSpace = fs.Blocks * uint64(fs.Bsize)
	}
}

// utsString reads a NUL-terminated utsname field (int8 or uint8 by arch).
func utsString[T int8 | uint8](b []T) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}
