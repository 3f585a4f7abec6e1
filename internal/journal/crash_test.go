package journal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
)

// snapshot is the disk as a crash before one file system operation would
// leave it, with what the writer had been told by then.
type snapshot struct {
	fs       *vfs.MemFS
	at       string // the operation the crash preceded
	acked    int    // records covered by a successful Sync
	appended int    // records whose Append had returned
}

// keepModes are the torn-write models a crash is taken with.
var keepModes = []struct {
	name string
	keep func(rng *rand.Rand) func(string, int) int
}{
	{"none", func(*rand.Rand) func(string, int) int { return nil }},
	{"all", func(*rand.Rand) func(string, int) int { return func(_ string, n int) int { return n } }},
	{"random", func(rng *rand.Rand) func(string, int) int {
		return func(_ string, n int) int { return rng.IntN(n + 1) }
	}},
}

// TestCrashAtEveryPoint runs a seeded sequence of appends and syncs and
// crashes before every file system operation (and after the last), with
// unsynced bytes lost, kept, or torn at a random point. Every recovery must
// serve every acknowledged record, in order, exactly once, and nothing
// beyond what was appended; with unsynced bytes lost it must serve exactly
// the acknowledged records.
func TestCrashAtEveryPoint(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { crashAtEveryPoint(t, seed) })
	}
}

func crashAtEveryPoint(t *testing.T, seed uint64) {
	defer func(w int) { windowSize = w }(windowSize)
	windowSize = 1 << 10
	rng := rand.New(rand.NewPCG(seed, 0x5a0a1))
	m := vfs.NewMem()
	var snaps []snapshot
	acked, appended := 0, 0
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		for _, km := range keepModes {
			snaps = append(snaps, snapshot{
				fs:    m.CrashClone(vfs.CrashOptions{KeepUnsynced: km.keep(rng)}),
				at:    fmt.Sprintf("before %v (keep %s)", op.Kind, km.name),
				acked: acked, appended: appended,
			})
		}
		return nil
	})

	const n = 40
	var want [][]byte
	j, _ := mustOpen(t, fsys)
	for i := range n {
		size := rng.IntN(200)
		if rng.IntN(10) == 0 {
			size = 3 << 10 // larger than the scan window
		}
		p := payload(i+int(seed)*100, size)
		want = append(want, p)
		if _, err := j.Append(p); err != nil {
			t.Fatal(err)
		}
		appended++
		if rng.IntN(3) == 0 || i == n-1 {
			if err := j.Sync(); err != nil {
				t.Fatal(err)
			}
			acked = appended
		}
	}
	j.Close()
	snaps = append(snaps, snapshot{fs: m.CrashClone(vfs.CrashOptions{}), at: "after the last op", acked: acked, appended: appended})

	torn := 0
	for _, s := range snaps {
		if checkRecovery(t, s, want) > 0 {
			torn++
		}
	}
	if torn == 0 {
		t.Fatal("no crash left a torn tail: the test does not exercise truncation")
	}
	t.Logf("%d crash states, %d with a torn tail", len(snaps), torn)
}

// checkRecovery checks one crash state and returns the torn bytes Open
// truncated.
func checkRecovery(t *testing.T, s snapshot, want [][]byte) int64 {
	t.Helper()
	j, recs, err := openAll(t, s.fs)
	if err != nil {
		t.Fatalf("crash %s: Open: %v", s.at, err)
	}
	defer j.Close()
	if len(recs) < s.acked || len(recs) > s.appended {
		t.Fatalf("crash %s: recovered %d records, acked %d, appended %d", s.at, len(recs), s.acked, s.appended)
	}
	if bytes.HasSuffix([]byte(s.at), []byte("(keep none)")) && len(recs) != s.acked {
		t.Fatalf("crash %s: recovered %d records, want exactly the %d acked", s.at, len(recs), s.acked)
	}
	for i, r := range recs {
		if !bytes.Equal(r, want[i]) {
			t.Fatalf("crash %s: record %d differs", s.at, i)
		}
	}
	// The recovered journal accepts appends, and a further crash keeps
	// them after the recovered records.
	extra := []byte("after recovery")
	if _, err := j.Append(extra); err != nil {
		t.Fatalf("crash %s: Append after recovery: %v", s.at, err)
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	j2, recs2 := mustOpen(t, s.fs.CrashClone(vfs.CrashOptions{}))
	defer j2.Close()
	if len(recs2) != len(recs)+1 || !bytes.Equal(recs2[len(recs)], extra) {
		t.Fatalf("crash %s: after recovery+append: %d records, want %d", s.at, len(recs2), len(recs)+1)
	}
	return j.Recovery().TornBytes
}

// TestCrashDuringRecovery crashes before every operation of an Open that
// truncates a torn tail: every crash state must recover the same records.
func TestCrashDuringRecovery(t *testing.T) {
	m := vfs.NewMem()
	j, _ := mustOpen(t, m)
	for i := range 6 {
		j.Append(payload(i, 50))
	}
	j.Sync()
	j.Append(payload(6, 50))
	j.Close()
	torn := m.CrashClone(vfs.CrashOptions{KeepUnsynced: func(_ string, n int) int { return n / 2 }})

	var snaps []*vfs.MemFS
	fsys := vfs.WithErrors(torn, func(vfs.Op) error {
		snaps = append(snaps, torn.CrashClone(vfs.CrashOptions{}))
		return nil
	})
	j, recs := mustOpen(t, fsys)
	if len(recs) != 6 || j.Recovery().TornBytes == 0 {
		t.Fatalf("recovered %d records, %+v", len(recs), j.Recovery())
	}
	j.Close()
	for i, s := range snaps {
		j, recs := mustOpen(t, s)
		if len(recs) != 6 {
			t.Fatalf("crash before recovery op %d: %d records", i, len(recs))
		}
		j.Close()
	}
}
