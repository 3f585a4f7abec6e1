package partition

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// Recovery on the operating system's files: a torn tail written behind the
// partition's back is truncated and the log goes on.
func TestOSRecovery(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	p, err := Open(vfs.Default, dir, 3, Config{SegmentSize: MinSegmentSize, EnforceFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		mustAppend(t, p, makeBatch(t, uint64(100*i), 100, 4096), uint64(i))
	}
	if p.Stats().Segments < 2 {
		t.Fatalf("%d segments", p.Stats().Segments)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	last := names[len(names)-2] // offsets.log sorts last
	f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	extra := makeBatch(t, 400, 3, 10)
	f.Write(extra[:len(extra)/2])
	f.Close()

	p, err = Open(vfs.Default, dir, 3, Config{SegmentSize: MinSegmentSize})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if rec := p.Recovery(); rec.TornBytes != int64(len(extra)/2) {
		t.Fatalf("recovery %+v", rec)
	}
	checkSequence(t, pollAll(t, p), 0, 4096)
	if r := mustAppend(t, p, makeBatch(t, 400, 3, 4096), 9); r.BaseOffset != 400 {
		t.Fatalf("append at %d", r.BaseOffset)
	}
	checkSequence(t, pollAll(t, p), 0, 4096)
}

// TestOSPermissions checks the modes on a real directory: every file a
// partition writes (segments, sealed indexes, consumer offsets) is 0600 and
// every directory Open creates is 0700.
func TestOSPermissions(t *testing.T) {
	root := t.TempDir()
	dir := Dir(filepath.Join(root, "data"), 1, 2, 3)
	p, err := Open(vfs.Default, dir, 3, Config{SegmentSize: MinSegmentSize, EnforceFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		mustAppend(t, p, makeBatch(t, uint64(100*i), 100, 4096), uint64(i))
	}
	if err := p.StoreOffset(ConsumerKey{Kind: wire.ConsumerSingle, ID: 1}, 1, AckQuorum); err != nil {
		t.Fatal(err)
	}
	if p.Stats().Segments < 2 {
		t.Fatalf("%d segments: no sealed index to check", p.Stats().Segments)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(filepath.Join(root, "data"), func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(name)
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = os.ModeDir | 0o700
		} else {
			files++
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 {
		t.Fatalf("only %d files checked", files)
	}
}
