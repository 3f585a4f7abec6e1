package journal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
)

// TestOSRecovery runs append, a torn tail and recovery on real files.
func TestOSRecovery(t *testing.T) {
	name := filepath.Join(t.TempDir(), "meta", "journal.log")
	j, err := Open(vfs.Default, name, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := j.Append(payload(i, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	size := j.Size()
	j.Close()
	// A crash in the middle of a sixth append.
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(appendRecord(nil, payload(5, 100))[:40])
	f.Close()

	var got [][]byte
	j, err = Open(vfs.Default, name, Options{}, func(_ uint64, p []byte) error {
		got = append(got, bytes.Clone(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if len(got) != 5 || j.Recovery().TornBytes != 40 {
		t.Fatalf("recovered %d records, %+v", len(got), j.Recovery())
	}
	if fi, err := os.Stat(name); err != nil || fi.Size() != size {
		t.Fatalf("file size %v, want %d (%v)", fi.Size(), size, err)
	}
	for i, p := range got {
		if !bytes.Equal(p, payload(i, 100)) {
			t.Fatalf("record %d differs", i)
		}
	}
}

// TestOSPermissions checks the modes on a real directory: the journal
// (the metadata log holds password and token hashes) and the directory
// Open creates for it are private to the server's user.
func TestOSPermissions(t *testing.T) {
	root := t.TempDir()
	name := filepath.Join(root, "meta", "journal.log")
	j, err := Open(vfs.Default, name, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append([]byte("secret hash")); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{name: 0o600, filepath.Dir(name): os.ModeDir | 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, %v; want mode %v", p, fi.Mode(), err, want)
		}
	}
}
