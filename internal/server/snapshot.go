package server

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/shard"
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

// snapshot serves GetSnapshot (read code 11): a ZIP archive of the
// requested diagnostics. It is built off the shard loop (it walks the data
// directory); the connection waits parked.
func (srv *Server) snapshot(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	var req metadata.SnapshotRequest
	if st := req.Decode(body); st != wire.StatusOK {
		srv.reply(s, c, h, st, nil)
		return
	}
	method := zip.Store
	switch req.Compression {
	case compressStored:
	case compressDeflated:
		method = zip.Deflate
	default:
		// Bzip2, Zstd, Lzma and Xz have no encoder in the standard library.
		srv.reply(s, c, h, wire.StatusInvalidCommand, nil)
		return
	}
	types := map[uint8]bool{}
	for _, t := range req.Types {
		if t == snapAll {
			for _, a := range []uint8{snapFilesystem, snapProcesses, snapResources, snapTest, snapLogs, snapConfig} {
				types[a] = true
			}
			continue
		}
		if t < snapFilesystem || t > snapConfig {
			srv.reply(s, c, h, wire.StatusInvalidCommand, nil)
			return
		}
		types[t] = true
	}
	c.parked = true
	req2, id := *h, c.id
	err := s.Bus().Go(func(context.Context) {
		out, err := srv.buildSnapshot(types, method)
		st := wire.StatusOK
		switch {
		case err != nil:
			srv.log.Error("snapshot failed", "err", err)
			st = wire.StatusError
		case len(out) > int(srv.opts.Bus.MaxMessageSize)-wire.HeaderSize:
			st = wire.StatusSnapshotFileCompletionFailed
			out = nil
		}
		srv.resume(id, func(s *shard.Shard, c *session) { srv.reply(s, c, &req2, st, out) })
	})
	if err != nil {
		c.parked = false
		srv.reply(s, c, h, wire.StatusError, nil)
	}
}

func (srv *Server) buildSnapshot(types map[uint8]bool, method uint16) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, content string) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Now()})
		if err != nil {
			return err
		}
		_, err = w.Write([]byte(content))
		return err
	}
	var errs []error
	if types[snapFilesystem] {
		errs = append(errs, add("filesystem_overview.txt", srv.filesystemOverview()))
	}
	if types[snapProcesses] {
		errs = append(errs, add("process_list.txt", processList()))
	}
	if types[snapResources] {
		st := processStats(srv.started, srv.opts.DataDir)
		errs = append(errs, add("resource_usage.txt", fmt.Sprintf(
			"pid %d\nmemory %d bytes of %d (%d available)\nuptime %v\ndisk %d bytes free of %d\n",
			st.ProcessID, st.MemoryUsage, st.TotalMemory, st.AvailableMemory,
			time.Duration(st.RunTime)*time.Microsecond, st.FreeDiskSpace, st.TotalDiskSpace)))
	}
	if types[snapTest] {
		errs = append(errs, add("test.txt", "shoal snapshot test\n"))
	}
	if types[snapLogs] {
		// Shoal logs to standard error and keeps no log files to collect.
		errs = append(errs, add("server_logs.txt", "shoal writes its logs to standard error; no log files are kept\n"))
	}
	if types[snapConfig] {
		errs = append(errs, add("server_config.txt", srv.configSummary()))
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (srv *Server) filesystemOverview() string {
	var sb strings.Builder
	root := srv.opts.DataDir
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

func (srv *Server) configSummary() string {
	o := &srv.opts
	return fmt.Sprintf("version %s\ndata %s\nshards %d\ntcp %v %s tls=%v\nquic %v %s\nwebsocket %v %s tls=%v\nhttp %v %s\n"+
		"heartbeat %v\nmax_batch %d\nmax_message_size %d\npeer_queue_capacity %d\n",
		Version, o.DataDir, srv.rt.Shards(), o.TCP.Enabled, o.TCP.Address, o.TCP.TLS != nil, o.QUIC.Enabled, o.QUIC.Address,
		o.WS.Enabled, o.WS.Address, o.WS.TLS != nil, o.HTTP.Enabled, o.HTTP.Address, o.Heartbeat,
		o.Bus.MaxBatch, o.Bus.MaxMessageSize, o.Bus.PeerQueueCapacity)
}
