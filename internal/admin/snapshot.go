package admin

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// Snapshot types and compressions of GetSnapshot (wire.md §3.10).
const (
	snapFilesystem = 1
	snapProcesses  = 2
	snapResources  = 3
	snapTest       = 4
	snapLogs       = 5
	snapConfig     = 6
	snapAll        = 100

	compressStored   = 1
	compressDeflated = 2
)

// SnapshotSpec is a checked GetSnapshot request: which files to put in the
// archive and how to compress them. Make one with ParseSnapshot.
type SnapshotSpec struct {
	method uint16               // zip.Store or zip.Deflate
	types  [snapConfig + 1]bool // indexed by snapshot type
}

// ParseSnapshot decodes and checks a GetSnapshot body
// ([compression u8][types_count u8][type u8]*). A malformed body is the
// status wire.SnapshotRequest.Decode gives; an unknown type, or a
// compression the standard library cannot write (Bzip2, Zstd, Lzma, Xz),
// is StatusInvalidCommand.
func ParseSnapshot(body []byte) (SnapshotSpec, wire.Status) {
	var req wire.SnapshotRequest
	if st := req.Decode(body); st != wire.StatusOK {
		return SnapshotSpec{}, st
	}
	var sp SnapshotSpec
	switch req.Compression {
	case compressStored:
		sp.method = zip.Store
	case compressDeflated:
		sp.method = zip.Deflate
	default:
		return SnapshotSpec{}, wire.StatusInvalidCommand
	}
	for _, t := range req.Types {
		switch {
		case t == snapAll:
			for a := snapFilesystem; a <= snapConfig; a++ {
				sp.types[a] = true
			}
		case t < snapFilesystem || t > snapConfig:
			return SnapshotSpec{}, wire.StatusInvalidCommand
		default:
			sp.types[t] = true
		}
	}
	return sp, wire.StatusOK
}

// Snapshot builds the GetSnapshot ZIP archive sp asks for, one text file
// per type, from in and the operating system. It walks the data directory
// and reads /proc: run it off the shard loops.
func Snapshot(in Input, sp SnapshotSpec) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	now := time.Now()
	files := []struct {
		typ     int
		name    string
		content func() string
	}{
		{snapFilesystem, "filesystem_overview.txt", func() string { return filesystemOverview(in.DataDir) }},
		{snapProcesses, "process_list.txt", processList},
		{snapResources, "resource_usage.txt", in.resourceUsage},
		{snapTest, "test.txt", func() string { return "shoal snapshot test\n" }},
		// Shoal logs to standard error and keeps no log files to collect.
		{snapLogs, "server_logs.txt", func() string { return "shoal writes its logs to standard error; no log files are kept\n" }},
		{snapConfig, "server_config.txt", func() string { return in.Config }},
	}
	for _, f := range files {
		if !sp.types[f.typ] {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: sp.method, Modified: now})
		if err != nil {
			return nil, fmt.Errorf("admin: snapshot %s: %w", f.name, err)
		}
		if _, err := w.Write([]byte(f.content())); err != nil {
			return nil, fmt.Errorf("admin: snapshot %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("admin: snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// resourceUsage is resource_usage.txt: the figures of GetStats.
func (in Input) resourceUsage() string {
	st := Stats(in)
	return fmt.Sprintf("pid %d\nmemory %d bytes of %d (%d available)\nuptime %v\ndisk %d bytes free of %d\n"+
		"clients %d\nstreams %d\ntopics %d\npartitions %d\nsegments %d\nmessages %d (%d bytes)\nconsumer groups %d\n",
		st.ProcessID, st.MemoryUsage, st.TotalMemory, st.AvailableMemory,
		time.Duration(st.RunTime)*time.Microsecond, st.FreeDiskSpace, st.TotalDiskSpace,
		st.ClientsCount, st.StreamsCount, st.TopicsCount, st.PartitionsCount, st.SegmentsCount,
		st.MessagesCount, st.MessagesSizeBytes, st.ConsumerGroupsCount)
}

// filesystemOverview lists every file under root with its size.
func filesystemOverview(root string) string {
	var sb strings.Builder
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(&sb, "%s: %v\n", p, err)
			return nil
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			fmt.Fprintf(&sb, "%12d %s\n", info.Size(), p)
		}
		return nil
	})
	return sb.String()
}

// processList lists the host's processes (pid and command) from /proc.
func processList() string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return "no /proc: " + err.Error() + "\n"
	}
	var lines []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err == nil {
			lines = append(lines, fmt.Sprintf("%8s %s", e.Name(), strings.TrimSpace(string(comm))))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}
