package vsrlog

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// noSyncFS is the OS file system with every fsync (file and directory)
// turned into a no-op: Persist's cost without the disk's.
type noSyncFS struct{ vfs.FS }

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error { return nil }

func (n noSyncFS) Create(name string) (vfs.File, error) { return wrapNoSync(n.FS.Create(name)) }
func (n noSyncFS) OpenReadWrite(name string) (vfs.File, error) {
	return wrapNoSync(n.FS.OpenReadWrite(name))
}
func (noSyncFS) SyncDir(string) error { return nil }

func wrapNoSync(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}

// BenchmarkPersist measures Persist of one 1 KiB prepare per call, alone
// (one journal fsync) and with a hard state change (commit advances: a
// superblock copy write and a second fsync), on the OS file system in a
// temporary directory with fsync and with fsync turned off, and on MemFS.
func BenchmarkPersist(b *testing.B) {
	systems := []struct {
		name string
		fs   func(b *testing.B) (vfs.FS, string)
	}{
		{"os-fsync", func(b *testing.B) (vfs.FS, string) { return vfs.Default, b.TempDir() }},
		{"os-nosync", func(b *testing.B) (vfs.FS, string) { return noSyncFS{vfs.Default}, b.TempDir() }},
		{"mem", func(*testing.B) (vfs.FS, string) { return vfs.NewMem(), "d" }},
	}
	for _, sys := range systems {
		for _, hs := range []bool{false, true} {
			b.Run(fmt.Sprintf("fs=%s/hardstate=%v", sys.name, hs), func(b *testing.B) {
				fsys, dir := sys.fs(b)
				benchPersist(b, fsys, dir, hs)
			})
		}
	}
}

func benchPersist(b *testing.B, fsys vfs.FS, dir string, withHS bool) {
	l, _, _, _, err := Open(fsys, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	// Frames are made up front so the loop measures Persist only; the
	// view headers are a realistic full pipeline's worth (8).
	g := newGen()
	frames := make([][]byte, 4096)
	for i := range frames {
		frames[i] = g.frame(wire.Op(i+1), 1024-wire.HeaderSize)
	}
	hdrs := headers(b, frames[:8])
	u := Update{Entries: make([][]byte, 1), HardState: HardState{View: 1, LogView: 1, Headers: hdrs}}
	u.HardStateChanged = withHS
	b.SetBytes(1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		u.Entries[0] = frames[i%len(frames)]
		u.HardState.Commit = wire.Op(i)
		if err := l.Persist(u); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkOpen measures Open of a Log holding 10,000 prepares of 1 KiB
// (and a hard state with 8 view headers), on MemFS and on the OS file
// system (the file in the page cache).
func BenchmarkOpen(b *testing.B) {
	for _, name := range []string{"mem", "os"} {
		b.Run("fs="+name+"/prepares=10000", func(b *testing.B) {
			var fsys vfs.FS = vfs.NewMem()
			dir := "d"
			if name == "os" {
				fsys, dir = vfs.Default, filepath.Join(b.TempDir(), "d")
			}
			l, _, _, _, err := Open(fsys, dir)
			if err != nil {
				b.Fatal(err)
			}
			g := newGen()
			batch := make([][]byte, 0, 100)
			for op := wire.Op(1); op <= 10000; op++ {
				batch = append(batch, g.frame(op, 1024-wire.HeaderSize))
				if len(batch) == cap(batch) {
					hs := HardState{View: 1, LogView: 1, Commit: op, Headers: headers(b, batch[len(batch)-8:])}
					if err := l.Persist(Update{Entries: batch, HardStateChanged: true, HardState: hs}); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			l.Close()
			b.SetBytes(10000 * 1024)
			b.ReportAllocs()
			for b.Loop() {
				l, _, frames, _, err := Open(fsys, dir)
				if err != nil || len(frames) != 10000 {
					b.Fatalf("Open: %v, %d prepares", err, len(frames))
				}
				l.Close()
			}
		})
	}
}
