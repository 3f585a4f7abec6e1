package partition

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
)

// fdLimitEnv tells a re-executed test binary to run the child half of
// TestRestartUnderRlimit: RLIMIT_NOFILE, data directory, partitions.
const fdLimitEnv = "SHOAL_PARTITION_RLIMIT_CHILD"

// Issue #15 item 9, on real files and a real RLIMIT_NOFILE: the parent
// writes 40 partitions of 5 segments; a child process lowers its soft
// descriptor limit below what their sealed segments would take, opens
// every partition at once (as a server does at boot) and reads every
// message. Before the FileCache, each partition held every segment open
// and the child failed with EMFILE.
func TestRestartUnderRlimit(t *testing.T) {
	const parts, sealed = 40, 4
	if env := os.Getenv(fdLimitEnv); env != "" {
		restartChild(t, env)
		return
	}
	root := t.TempDir()
	for i := range parts {
		sealedPartition(t, vfs.Default, Dir(root, 1, 1, uint32(i)), uint32(i), sealed)
	}
	// 2 descriptors per idle partition, 8 for the cache, 24 for the Go
	// runtime and test binary; without the cache 40 × 7 are needed.
	limit := 2*parts + 8 + 24
	cmd := exec.Command(os.Args[0], "-test.run=^TestRestartUnderRlimit$", "-test.v")
	cmd.Env = append(os.Environ(), fdLimitEnv+"="+strconv.Itoa(limit)+":"+root+":"+strconv.Itoa(parts))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("restart with RLIMIT_NOFILE=%d failed: %v\n%s", limit, err, out)
	}
	t.Logf("child:\n%s", out)
}

func restartChild(t *testing.T, env string) {
	var limit, parts int
	var root string
	for i, f := range filepath.SplitList(env) {
		switch i {
		case 0:
			limit, _ = strconv.Atoi(f)
		case 1:
			root = f
		case 2:
			parts, _ = strconv.Atoi(f)
		}
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	rl.Cur = uint64(limit)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	cfg := Config{SegmentSize: 2048, FileCache: NewFileCache(8)}
	ps := make([]*Partition, parts)
	for i := range ps {
		p, err := Open(vfs.Default, Dir(root, 1, 1, uint32(i)), uint32(i), cfg)
		if err != nil {
			t.Fatalf("open partition %d of %d with RLIMIT_NOFILE=%d: %v", i, parts, limit, err)
		}
		defer p.Close()
		ps[i] = p
	}
	for i, p := range ps {
		ms := pollAll(t, p)
		if uint64(len(ms)) != p.NextOffset() || len(ms) == 0 {
			t.Fatalf("partition %d: %d messages of %d", i, len(ms), p.NextOffset())
		}
		checkSequence(t, ms, 0, 300)
	}
	t.Logf("opened and read %d partitions with RLIMIT_NOFILE=%d", parts, limit)
}
