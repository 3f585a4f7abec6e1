package vfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestOSPermissions checks, on a real directory, that Default creates data
// files 0600 and directories 0700 (the metadata journal holds password and
// token hashes): also when a caller asks MkdirAll for 0755.
func TestOSPermissions(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b")
	if err := Default.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"created", "opened"} {
		open := Default.Create
		if name == "opened" {
			open = Default.OpenReadWrite
		}
		f, err := open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if err := WriteFileSync(Default, filepath.Join(dir, "atomic"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	checkModes(t, filepath.Join(root, "a"), map[string]fs.FileMode{
		".": fs.ModeDir | DirPerm, "b": fs.ModeDir | DirPerm,
		"b/created": FilePerm, "b/opened": FilePerm, "b/atomic": FilePerm,
	})
	if FilePerm != 0o600 || DirPerm != 0o700 {
		t.Fatalf("FilePerm %v, DirPerm %v", FilePerm, DirPerm)
	}
}

// checkModes compares the mode of every entry under root (by slash path
// relative to it, "." for root) with want, which must name them all.
func checkModes(t *testing.T, root string, want map[string]fs.FileMode) {
	t.Helper()
	seen := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		w, ok := want[rel]
		if !ok {
			t.Errorf("unexpected entry %s (%v)", rel, fi.Mode())
			return nil
		}
		seen++
		if fi.Mode() != w {
			t.Errorf("%s: mode %v, want %v", rel, fi.Mode(), w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d entries %v", seen, len(want), want)
	}
}
