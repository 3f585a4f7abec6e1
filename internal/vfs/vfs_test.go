package vfs

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"syscall"
	"testing"
)

// conformance runs the same checks against every FS implementation; dir is
// an existing directory in fsys.
func conformance(t *testing.T, fsys FS, dir string) {
	t.Helper()
	name := path.Join(dir, "a", "b", "f")
	if err := fsys.MkdirAll(path.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"hello ", "world"} {
		if n, err := f.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if n, err := f.ReadAt(buf, 6); err != nil || string(buf[:n]) != "world" {
		t.Fatalf("ReadAt = %q, %v", buf[:n], err)
	}
	if n, err := f.ReadAt(buf, 9); err != io.EOF || string(buf[:n]) != "ld" {
		t.Fatalf("ReadAt past end = %q, %v; want \"ld\", EOF", buf[:n], err)
	}
	// Writes append at the new end after Truncate.
	if err := f.Truncate(5); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 6 {
		t.Fatalf("Stat = %v, %v; want size 6", fi, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(fsys, name); err != nil || string(b) != "hello!" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}

	// OpenReadWrite keeps contents and appends; Open is read-only.
	f, err = fsys.OpenReadWrite(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("?")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if b, _ := ReadFile(fsys, name); string(b) != "hello!?" {
		t.Fatalf("after OpenReadWrite append: %q", b)
	}
	r, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Fatal("Write on a read-only file succeeded")
	}
	r.Close()
	if _, err := fsys.Open(path.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open missing = %v, want ErrNotExist", err)
	}

	// Rename, List, Stat, Remove.
	other := path.Join(dir, "a", "b", "g")
	if err := fsys.Rename(name, other); err != nil {
		t.Fatal(err)
	}
	if names, err := fsys.List(path.Join(dir, "a", "b")); err != nil || !slices.Equal(names, []string{"g"}) {
		t.Fatalf("List = %v, %v", names, err)
	}
	if err := fsys.SyncDir(path.Join(dir, "a", "b")); err != nil {
		t.Fatal(err)
	}
	if fi, err := fsys.Stat(other); err != nil || fi.Size() != 7 || fi.IsDir() || fi.Name() != "g" {
		t.Fatalf("Stat = %v, %v", fi, err)
	}
	if fi, err := fsys.Stat(path.Join(dir, "a")); err != nil || !fi.IsDir() {
		t.Fatalf("Stat dir = %v, %v", fi, err)
	}
	if err := fsys.Remove(other); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat(other); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat removed = %v", err)
	}
	if err := WriteFileSync(fsys, other, []byte("atomic")); err != nil {
		t.Fatal(err)
	}
	if b, _ := ReadFile(fsys, other); string(b) != "atomic" {
		t.Fatalf("WriteFileSync wrote %q", b)
	}
}

func TestOSConformance(t *testing.T) { conformance(t, Default, t.TempDir()) }

func TestMemConformance(t *testing.T) { conformance(t, NewMem(), "data") }

func TestMemCrashLosesUnsynced(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("d", 0o755); err != nil {
		t.Fatal(err)
	}
	f, _ := m.Create("d/log")
	f.Write([]byte("synced"))
	f.Sync()
	f.Write([]byte("+unsynced"))

	// The file entry was never made durable by SyncDir: it vanishes.
	if _, err := m.CrashClone(CrashOptions{}).Stat("d/log"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unsynced entry survived: %v", err)
	}
	if err := m.SyncDir("d"); err != nil {
		t.Fatal(err)
	}
	check := func(c *MemFS, want string) {
		t.Helper()
		if b, err := ReadFile(c, "d/log"); err != nil || string(b) != want {
			t.Fatalf("after crash: %q, %v; want %q", b, err, want)
		}
	}
	check(m.CrashClone(CrashOptions{}), "synced")
	check(m.CrashClone(CrashOptions{KeepUnsynced: func(string, int) int { return 3 }}), "synced+un")
	check(m.CrashClone(CrashOptions{KeepUnsynced: func(_ string, n int) int { return n + 100 }}), "synced+unsynced")
	check(m, "synced+unsynced") // the original is untouched

	// A truncation below the durable size is not durable until Sync, and
	// then unsynced bytes never survive (the prefix no longer matches).
	f.Truncate(2)
	f.Write([]byte("XY"))
	check(m.CrashClone(CrashOptions{KeepUnsynced: func(_ string, n int) int { return n }}), "synced")
	check(m.CrashClone(CrashOptions{TearRewrite: func(_ string, n int) int { return -1 }}), "synced")
	check(m.CrashClone(CrashOptions{TearRewrite: func(_ string, n int) int { return n }}), "syXY")
	check(m.CrashClone(CrashOptions{TearRewrite: func(_ string, n int) int { return 1 }}), "syX")
	check(m.CrashClone(CrashOptions{TearRewrite: func(_ string, n int) int { return n + 9 }}), "syXY")
	f.Sync()
	check(m.CrashClone(CrashOptions{}), "syXY")

	// Crash in place: old handles fail, the durable contents remain.
	f.Write([]byte("lost"))
	m.Crash(CrashOptions{})
	if _, err := f.Write([]byte("x")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("Write after Crash = %v, want ErrCrashed", err)
	}
	check(m, "syXY")
}

func TestMemRenameDurability(t *testing.T) {
	m := NewMem()
	m.MkdirAll("d", 0o755)
	f, _ := m.Create("d/tmp")
	f.Write([]byte("v1"))
	f.Sync()
	f.Close()
	m.SyncDir("d")
	m.Rename("d/tmp", "d/final")
	c := m.CrashClone(CrashOptions{})
	if names, _ := c.List("d"); !slices.Equal(names, []string{"tmp"}) {
		t.Fatalf("rename without SyncDir survived: %v", names)
	}
	m.SyncDir("d")
	if names, _ := m.CrashClone(CrashOptions{}).List("d"); !slices.Equal(names, []string{"final"}) {
		t.Fatalf("after SyncDir: %v", names)
	}
}

func TestErrorInjection(t *testing.T) {
	m := NewMem()
	m.MkdirAll("d", 0o755)
	var seen []Op
	fsys := WithErrors(m, func(op Op) error {
		seen = append(seen, op)
		switch {
		case op.Kind == OpSync:
			return ErrInjected
		case op.Kind == OpWrite && op.Offset > 0:
			return TornWrite{Keep: 2}
		}
		return nil
	})
	f, err := fsys.Create("d/f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Write([]byte("defg")); !errors.Is(err, ErrInjected) || n != 2 {
		t.Fatalf("torn Write = %d, %v", n, err)
	}
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("Sync = %v", err)
	}
	if b, _ := ReadFile(m, "d/f"); string(b) != "abcde" {
		t.Fatalf("contents %q", b)
	}
	want := []OpKind{OpCreate, OpWrite, OpWrite, OpSync}
	if len(seen) != len(want) {
		t.Fatalf("ops %v", seen)
	}
	for i, k := range want {
		if seen[i].Kind != k {
			t.Fatalf("op %d = %v, want %v", i, seen[i].Kind, k)
		}
	}

	inj := AfterN(1, func(op Op) bool { return op.Kind == OpCreate })
	fsys = WithErrors(m, inj)
	if _, err := fsys.Create("d/x"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Create("d/y"); !errors.Is(err, ErrInjected) {
		t.Fatalf("second Create = %v", err)
	}
	if _, err := WithErrors(m, OnKind(OpRemove, "x")).Stat("d/x"); err != nil {
		t.Fatal(err)
	}
	if err := WithErrors(m, OnKind(OpRemove, "x")).Remove("d/x"); !errors.Is(err, ErrInjected) {
		t.Fatalf("Remove = %v", err)
	}
	if OpSync.String() != "sync" || OpKind(99).String() != "OpKind(99)" {
		t.Fatal("OpKind.String")
	}
}

func TestInjectors(t *testing.T) {
	m := NewMem()
	m.MkdirAll("d", 0o700)
	var sw Switch
	fsys := WithErrors(m, sw.Inject)
	f, err := fsys.Create("d/f")
	if err != nil {
		t.Fatal(err)
	}
	sw.Set(OpWrite, TornWrite{Keep: 1, Err: ErrNoSpace})
	if n, err := f.Write([]byte("ab")); n != 1 || !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, ErrInjected) {
		t.Fatalf("full disk Write = %d, %v", n, err)
	}
	sw.Set(OpSync, ErrInjected)
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("Sync = %v", err)
	}
	sw.Clear()
	if _, err := f.Write([]byte("c")); err != nil || f.Sync() != nil {
		t.Fatalf("after Clear: %v", err)
	}
	f.Close()

	nth := WithErrors(m, OnNth(OpWrite, 2, ErrNoSpace))
	g, _ := nth.Create("d/g")
	for i, want := range []bool{false, true, false} {
		if _, err := g.Write([]byte("x")); (err != nil) != want {
			t.Fatalf("write %d: %v", i+1, err)
		}
	}
	g.Close()

	l := WithOpenLimit(m, 2)
	a, err1 := l.Open("d/f")
	b, err2 := l.OpenReadWrite("d/g")
	if err1 != nil || err2 != nil || l.InUse() != 2 {
		t.Fatalf("opens under the limit: %v %v", err1, err2)
	}
	if _, err := l.Create("d/h"); !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("open past the limit = %v", err)
	}
	a.Close()
	a.Close() // a second Close gives nothing back twice
	if c, err := l.Create("d/h"); err != nil {
		t.Fatal(err)
	} else {
		c.Close()
	}
	b.Close()
	if l.InUse() != 0 || l.Peak() != 2 {
		t.Fatalf("in use %d, peak %d", l.InUse(), l.Peak())
	}
	if _, err := l.Open("d/missing"); err == nil || l.InUse() != 0 {
		t.Fatalf("failed open kept a slot: %v, %d", err, l.InUse())
	}
}
