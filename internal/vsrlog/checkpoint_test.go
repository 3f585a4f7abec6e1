package vsrlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
	"github.com/zeebo/xxh3"
)

// cpSetup persists ops 1..30 and a checkpoint at op 10 (bytes "cp-10"),
// and returns the frames.
func cpSetup(t *testing.T, fsys vfs.FS) (*Log, [][]byte) {
	t.Helper()
	l, _, _, _ := mustOpen(t, fsys)
	g := newGen()
	var frames [][]byte
	for op := wire.Op(1); op <= 35; op++ {
		frames = append(frames, g.frame(op, 100))
	}
	mustPersist(t, l, Update{Entries: frames[:30], HardStateChanged: true, HardState: HardState{View: 1, LogView: 1, Commit: 30}})
	mustPersist(t, l, cpUpdate(frames, 10, 30, nil))
	return l, frames
}

// cpUpdate names a checkpoint at op cp, with commit and entries.
func cpUpdate(frames [][]byte, cp, commit wire.Op, entries [][]byte) Update {
	h := wire.PrepareHeader{}
	h.Decode(frames[cp-1])
	return Update{Entries: entries, HardStateChanged: true, Checkpoint: []byte(fmt.Sprintf("cp-%d", cp)),
		HardState: HardState{View: 1, LogView: 1, Commit: commit, Checkpoint: cp, CheckpointChecksum: h.Checksum}}
}

func checkpointFiles(t *testing.T, fsys vfs.FS) []string {
	t.Helper()
	names, err := fsys.List(testDir)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(names, func(n string) bool {
		return !strings.HasPrefix(n, checkpointPrefix) && !strings.HasSuffix(n, tmpSuffix)
	})
}

// TestCheckpointCompacts: a checkpoint makes the journal start after it,
// the previous checkpoint's file goes, and Open returns the checkpoint
// bytes with only the prepares above it.
func TestCheckpointCompacts(t *testing.T) {
	m := vfs.NewMem()
	l, frames := cpSetup(t, m)
	before := l.JournalSize()
	mustPersist(t, l, cpUpdate(frames, 25, 35, frames[30:35]))
	if l.Base() != 25 || l.JournalSize() >= before || string(l.Checkpoint()) != "cp-25" {
		t.Fatalf("base %d, journal %d bytes (was %d), checkpoint %q", l.Base(), l.JournalSize(), before, l.Checkpoint())
	}
	if got := checkpointFiles(t, m); fmt.Sprint(got) != "[checkpoint-25]" {
		t.Fatalf("files %v", got)
	}
	l.Close()
	l, hs, got, rec := mustOpen(t, m)
	defer l.Close()
	if hs.Checkpoint != 25 || rec.Base != 25 || string(l.Checkpoint()) != "cp-25" || !sameFrames(got, frames[25:35]) {
		t.Fatalf("reopened: checkpoint %d base %d bytes %q prepares %s", hs.Checkpoint, rec.Base, l.Checkpoint(), describe(got))
	}
	// A damaged checkpoint file is corruption, not silently ignored.
	f, _ := m.OpenReadWrite(testDir + "/checkpoint-25")
	f.Write([]byte("x"))
	f.Sync()
	f.Close()
	if _, _, _, _, err := Open(m, testDir); !IsCorrupt(err) {
		t.Fatalf("damaged checkpoint: %v", err)
	}
}

// TestCheckpointCrashAtEveryPoint crashes before every file system
// operation of a Persist that writes a checkpoint and compacts the
// journal (unsynced bytes lost, kept or torn), and before every one of
// the Open that follows. Open must return either the old checkpoint with
// the acknowledged prepares above it plus a prefix of the new entries, or
// the new checkpoint with every entry above it; it leaves exactly one
// checkpoint file, and the recovered Log takes the next checkpoint.
func TestCheckpointCrashAtEveryPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	m := vfs.NewMem()
	var points []crashPoint
	armed := false
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		if armed {
			points = crashPoints(points, rng, m, op, crashPoint{})
		}
		return nil
	})
	l, frames := cpSetup(t, fsys)
	g := newGen()
	more := [][]byte{g.frame(36, 50), g.frame(37, 50)}
	armed = true
	mustPersist(t, l, cpUpdate(frames, 25, 35, frames[30:35]))
	// A crash after the checkpoint must keep what the compacted journal
	// acknowledges next (its rename must be durable).
	after := len(points)
	mustPersist(t, l, Update{Entries: more})
	armed = false
	l.Close()
	points = append(points, crashPoint{fs: m.CrashClone(vfs.CrashOptions{}), at: "after the last Persist"})
	if len(points) < 10 {
		t.Fatalf("only %d crash points", len(points))
	}
	for i, p := range points {
		l, hs, got, rec, err := Open(p.fs, testDir)
		if err != nil {
			t.Fatalf("%s: Open: %v", p.at, err)
		}
		switch {
		case i >= after:
			ok := false
			for k := 0; k <= 2 && !ok; k++ {
				ok = sameFrames(got, append(slices.Clone(frames[25:35]), more[:k]...))
			}
			if hs.Checkpoint != 25 || !ok || (i == len(points)-1 && len(got) != 12) {
				t.Fatalf("%s: after the checkpoint: checkpoint %d, prepares %s", p.at, hs.Checkpoint, describe(got))
			}
			l.Close()
			continue
		case hs.Checkpoint == 10:
			ok := false
			for k := 0; k <= 5 && !ok; k++ {
				ok = sameFrames(got, frames[10:30+k])
			}
			if !ok || string(l.Checkpoint()) != "cp-10" {
				t.Fatalf("%s: old checkpoint with prepares %s, bytes %q", p.at, describe(got), l.Checkpoint())
			}
		case hs.Checkpoint == 25:
			if !sameFrames(got, frames[25:35]) || string(l.Checkpoint()) != "cp-25" || rec.Base > 25 {
				t.Fatalf("%s: new checkpoint with prepares %s, bytes %q, base %d", p.at, describe(got), l.Checkpoint(), rec.Base)
			}
		default:
			t.Fatalf("%s: hard state names checkpoint %d", p.at, hs.Checkpoint)
		}
		want := fmt.Sprintf("[checkpoint-%d]", hs.Checkpoint)
		if files := checkpointFiles(t, p.fs); fmt.Sprint(files) != want {
			t.Fatalf("%s: files %v after Open, want %s", p.at, files, want)
		}
		// The recovered Log goes on to the next checkpoint.
		mustPersist(t, l, cpUpdate(frames, 30, 35, frames[30:35]))
		l.Close()
		l2, hs2, got2, _ := mustOpen(t, p.fs.CrashClone(vfs.CrashOptions{}))
		if hs2.Checkpoint != 30 || !sameFrames(got2, frames[30:35]) || !bytes.Equal(l2.Checkpoint(), []byte("cp-30")) {
			t.Fatalf("%s: after the next checkpoint: %d %s", p.at, hs2.Checkpoint, describe(got2))
		}
		l2.Close()
	}
	t.Logf("%d crash points", len(points))
}

// TestReadsVersion1Superblock: a superblock written before checkpoints
// (version 1, 16 reserved bytes) still opens, with no checkpoint.
func TestReadsVersion1Superblock(t *testing.T) {
	hs := HardState{View: 4, LogView: 3, Commit: 9}
	b := appendSuperblock(nil, 5, &hs, snapMeta{})
	v1 := append([]byte(nil), b[:48]...)
	v1 = append(v1, make([]byte, 16)...)
	v1[16] = 1
	v1 = append(v1, b[SuperblockFixed:]...)
	putChecksum(v1)
	c, err := decodeSuperblock(v1)
	if err != nil || !sameHardState(c.hs, hs) || c.seq != 5 || c.hs.Checkpoint != 0 {
		t.Fatalf("version 1 copy: %+v, %v", c, err)
	}
}

// putChecksum fills in a superblock copy's checksum.
func putChecksum(b []byte) {
	binary.LittleEndian.PutUint64(b, xxh3.Hash(b[8:]))
}

// TestCheckpointFaults fails, one at a time, every file system operation
// of a Persist that writes a checkpoint and compacts. The Log is then
// closed and reopened (from what a crash would keep, and from everything
// the page cache holds): it opens with the old checkpoint and its
// prepares or the new one with all of its, never anything else, and takes
// the next checkpoint.
func TestCheckpointFaults(t *testing.T) {
	count := func() int {
		n, armed := 0, false
		fsys := vfs.WithErrors(vfs.NewMem(), func(vfs.Op) error {
			if armed {
				n++
			}
			return nil
		})
		l, frames := cpSetup(t, fsys)
		armed = true
		mustPersist(t, l, cpUpdate(frames, 25, 35, frames[30:35]))
		l.Close()
		return n
	}()
	for fail := 1; fail <= count; fail++ {
		mem := vfs.NewMem()
		n, armed := 0, false
		var failed vfs.Op
		fsys := vfs.WithErrors(mem, func(op vfs.Op) error {
			if armed {
				if n++; n == fail {
					failed = op
					return vfs.ErrInjected
				}
			}
			return nil
		})
		l, frames := cpSetup(t, fsys)
		armed = true
		err := l.Persist(cpUpdate(frames, 25, 35, frames[30:35]))
		armed = false
		l.Close()
		for _, opts := range []vfs.CrashOptions{{}, keepAll} {
			at := fmt.Sprintf("failed %v %s (op %d of %d; Persist: %v)", failed.Kind, failed.Path, fail, count, err)
			fs2 := mem.CrashClone(opts)
			l2, hs, got, _, oerr := Open(fs2, testDir)
			if oerr != nil {
				t.Fatalf("%s: Open: %v", at, oerr)
			}
			switch {
			case hs.Checkpoint == 25 && sameFrames(got, frames[25:35]) && string(l2.Checkpoint()) == "cp-25":
			case hs.Checkpoint == 10 && string(l2.Checkpoint()) == "cp-10" && len(got) >= 20 && sameFrames(got[:20], frames[10:30]):
				if err == nil {
					t.Fatalf("%s: Persist returned nil but the checkpoint is not durable", at)
				}
			default:
				t.Fatalf("%s: checkpoint %d (%q) with prepares %s", at, hs.Checkpoint, l2.Checkpoint(), describe(got))
			}
			mustPersist(t, l2, cpUpdate(frames, 30, 35, frames[30:35]))
			l2.Close()
		}
	}
	t.Logf("%d operations failed in turn", count)
}
