package admin

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

func TestParseSnapshot(t *testing.T) {
	for _, c := range []struct {
		body []byte
		want wire.Status
	}{
		{[]byte{compressStored, 1, snapTest}, wire.StatusOK},
		{[]byte{compressDeflated, 2, snapConfig, snapAll}, wire.StatusOK},
		{[]byte{compressStored, 0}, wire.StatusOK},
		{[]byte{4, 1, snapTest}, wire.StatusInvalidCommand}, // Zstd: no encoder
		{[]byte{compressStored, 1, 7}, wire.StatusInvalidCommand},
		{[]byte{compressStored, 1, 0}, wire.StatusInvalidCommand},
	} {
		if _, st := ParseSnapshot(c.body); st != c.want {
			t.Errorf("ParseSnapshot(%v) = %v, want %v", c.body, st, c.want)
		}
	}
	// A truncated body gets the status of the body decoder.
	var req wire.SnapshotRequest
	want := req.Decode([]byte{compressStored, 2, snapTest})
	if _, st := ParseSnapshot([]byte{compressStored, 2, snapTest}); st != want || st == wire.StatusOK {
		t.Errorf("truncated body: %v, want %v", st, want)
	}
}

// unzip returns the archive's files by name, and their methods.
func unzip(t *testing.T, b []byte) (map[string]string, map[string]uint16) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files, methods := map[string]string{}, map[string]uint16{}
	for _, f := range zr.File {
		data, err := fs.ReadFile(zr, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], methods[f.Name] = string(data), f.Method
	}
	return files, methods
}

// A snapshot of every type holds one file per type, compressed as asked,
// with what the input and the data directory hold.
func TestSnapshotArchive(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "streams", "0"), 0o755); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, "streams", "0", "00000.log")
	if err := os.WriteFile(seg, make([]byte, 1234), 0o644); err != nil {
		t.Fatal(err)
	}
	st := testState(t, metadata.CreateStream{Name: "a"}, metadata.CreateTopic{Stream: num(0), Partitions: 2, Name: "t"})
	in := Input{DataDir: dir, Started: time.Now(), State: st, Partition: partitionCounters, Clients: 3, Config: "version x\nshards 2\n"}
	for _, c := range []struct {
		compression byte
		method      uint16
	}{{compressStored, zip.Store}, {compressDeflated, zip.Deflate}} {
		sp, status := ParseSnapshot([]byte{c.compression, 1, snapAll})
		if status != wire.StatusOK {
			t.Fatal(status)
		}
		b, err := Snapshot(in, sp)
		if err != nil {
			t.Fatal(err)
		}
		files, methods := unzip(t, b)
		names := slices.Sorted(maps.Keys(files))
		want := []string{"filesystem_overview.txt", "process_list.txt", "resource_usage.txt", "server_config.txt", "server_logs.txt", "test.txt"}
		if !slices.Equal(names, want) {
			t.Fatalf("files %v, want %v", names, want)
		}
		for n, m := range methods {
			if m != c.method {
				t.Errorf("%s: method %d, want %d", n, m, c.method)
			}
		}
		if !strings.Contains(files["filesystem_overview.txt"], "        1234 "+seg+"\n") {
			t.Errorf("filesystem overview does not list %s:\n%s", seg, files["filesystem_overview.txt"])
		}
		if files["server_config.txt"] != in.Config {
			t.Errorf("config %q", files["server_config.txt"])
		}
		for _, line := range []string{"clients 3\n", "streams 1\n", "partitions 2\n", "segments 2\n", "messages 12 (2000 bytes)\n"} {
			if !strings.Contains(files["resource_usage.txt"], line) {
				t.Errorf("resource usage lacks %q:\n%s", line, files["resource_usage.txt"])
			}
		}
		if runtime.GOOS == "linux" && !strings.Contains(files["process_list.txt"], fmt.Sprintf("%8d ", os.Getpid())) {
			t.Errorf("process list lacks this process:\n%s", files["process_list.txt"])
		}
		if files["test.txt"] != "shoal snapshot test\n" {
			t.Errorf("test.txt %q", files["test.txt"])
		}
	}
	// Only the types asked for.
	sp, _ := ParseSnapshot([]byte{compressStored, 2, snapConfig, snapTest})
	b, err := Snapshot(in, sp)
	if err != nil {
		t.Fatal(err)
	}
	if files, _ := unzip(t, b); len(files) != 2 || files["server_config.txt"] == "" || files["test.txt"] == "" {
		t.Fatalf("config and test only: %v", files)
	}
}
