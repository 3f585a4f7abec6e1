package vfs

import (
	"errors"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemFS is an in-memory FS that remembers what is durable: the contents of
// each file as of its last Sync and the entries of each directory as of its
// last SyncDir. Crash and CrashClone throw away everything else, the way a
// power cut would. It is safe for concurrent use.
type MemFS struct {
	mu   sync.Mutex // guards the following fields
	root *memNode
	gen  uint64 // bumped by Crash; files of an older generation fail
}

// NewMem returns an empty MemFS whose root directory is durable.
func NewMem() *MemFS { return &MemFS{root: newDir()} }

// memNode is a file or a directory.
type memNode struct {
	dir bool

	// Directories.
	children map[string]*memNode // current entries
	synced   map[string]*memNode // entries as of the last SyncDir

	// Files.
	data    []byte // current contents
	durable []byte // contents as of the last Sync; never aliased
	// dirtyFrom is the lowest offset changed since the last Sync.
	// Invariant: data[:min(dirtyFrom, len(durable))] equals the same
	// prefix of durable, so dirtyFrom >= len(durable) means data extends
	// durable by appends only.
	dirtyFrom int
}

func newDir() *memNode {
	return &memNode{dir: true, children: map[string]*memNode{}, synced: map[string]*memNode{}}
}

// CrashOptions chooses what survives a crash beyond the durable state.
type CrashOptions struct {
	// KeepUnsynced, if set, is called for every file that has bytes appended
	// past its durable contents; it returns how many of those unsynced bytes
	// (0..unsynced) survive, modelling a torn write. By default none do.
	KeepUnsynced func(name string, unsynced int) int
	// TearRewrite, if set, is called for every file whose unsynced changes
	// rewrote part of its durable contents (a Truncate below the durable
	// size, then writes), with the number of bytes past the unchanged
	// prefix. It returns how many of them survive (0..rewritten), leaving
	// the prefix and that many new bytes, as a torn in-place rewrite
	// would; or a negative number to keep the durable contents. By default
	// the durable contents are kept.
	TearRewrite func(name string, rewritten int) int
}

// CrashClone returns a new MemFS holding what would survive a crash now:
// durable directory entries, durable file contents, and the unsynced bytes
// opts.KeepUnsynced keeps. m itself is unchanged.
func (m *MemFS) CrashClone(opts CrashOptions) *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &MemFS{root: crashCopy(m.root, "", opts, map[*memNode]*memNode{})}
}

// Crash replaces m's state with what would survive a crash now (see
// CrashClone). Files opened before the crash return ErrCrashed.
func (m *MemFS) Crash(opts CrashOptions) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.root = crashCopy(m.root, "", opts, map[*memNode]*memNode{})
	m.gen++
}

func crashCopy(n *memNode, name string, opts CrashOptions, seen map[*memNode]*memNode) *memNode {
	if c, ok := seen[n]; ok {
		return c
	}
	if n.dir {
		c := newDir()
		seen[n] = c
		for _, k := range slices.Sorted(maps.Keys(n.synced)) {
			child := crashCopy(n.synced[k], path.Join(name, k), opts, seen)
			c.children[k] = child
			c.synced[k] = child
		}
		return c
	}
	keep := n.durable
	if unsynced := len(n.data) - len(n.durable); unsynced > 0 && n.dirtyFrom >= len(n.durable) && opts.KeepUnsynced != nil {
		k := min(max(opts.KeepUnsynced(name, unsynced), 0), unsynced)
		keep = n.data[:len(n.durable)+k]
	} else if n.dirtyFrom < len(n.durable) && opts.TearRewrite != nil {
		from := min(n.dirtyFrom, len(n.data))
		if k := opts.TearRewrite(name, len(n.data)-from); k >= 0 {
			keep = n.data[:from+min(k, len(n.data)-from)]
		}
	}
	c := &memNode{data: slices.Clone(keep), durable: slices.Clone(keep), dirtyFrom: len(keep)}
	seen[n] = c
	return c
}

func memPathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// split cleans name into its directory components and base.
func split(name string) []string {
	name = strings.Trim(path.Clean("/"+name), "/")
	if name == "" {
		return nil
	}
	return strings.Split(name, "/")
}

// lookupLocked returns the node at name, or nil. m.mu must be held.
func (m *MemFS) lookupLocked(name string) *memNode {
	n := m.root
	for _, p := range split(name) {
		if !n.dir {
			return nil
		}
		if n = n.children[p]; n == nil {
			return nil
		}
	}
	return n
}

// parentLocked returns the directory holding name and name's base.
// m.mu must be held.
func (m *MemFS) parentLocked(op, name string) (*memNode, string, error) {
	parts := split(name)
	if len(parts) == 0 {
		return nil, "", memPathErr(op, name, fs.ErrInvalid)
	}
	dir := m.lookupLocked(strings.Join(parts[:len(parts)-1], "/"))
	if dir == nil {
		return nil, "", memPathErr(op, name, fs.ErrNotExist)
	}
	if !dir.dir {
		return nil, "", memPathErr(op, name, errors.New("not a directory"))
	}
	return dir, parts[len(parts)-1], nil
}

func (m *MemFS) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("create", name)
	if err != nil {
		return nil, err
	}
	n := dir.children[base]
	switch {
	case n == nil:
		n = &memNode{}
		dir.children[base] = n
	case n.dir:
		return nil, memPathErr("create", name, errors.New("is a directory"))
	default:
		n.data = n.data[:0:0]
		n.dirtyFrom = 0
	}
	return &memFile{m: m, n: n, name: name, gen: m.gen, writable: true}, nil
}

func (m *MemFS) Open(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookupLocked(name)
	if n == nil {
		return nil, memPathErr("open", name, fs.ErrNotExist)
	}
	return &memFile{m: m, n: n, name: name, gen: m.gen}, nil
}

func (m *MemFS) OpenReadWrite(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("open", name)
	if err != nil {
		return nil, err
	}
	n := dir.children[base]
	if n == nil {
		n = &memNode{}
		dir.children[base] = n
	} else if n.dir {
		return nil, memPathErr("open", name, errors.New("is a directory"))
	}
	return &memFile{m: m, n: n, name: name, gen: m.gen, writable: true}, nil
}

func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("remove", name)
	if err != nil {
		return err
	}
	n := dir.children[base]
	if n == nil {
		return memPathErr("remove", name, fs.ErrNotExist)
	}
	if n.dir && len(n.children) > 0 {
		return memPathErr("remove", name, errors.New("directory not empty"))
	}
	delete(dir.children, base)
	return nil
}

func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	odir, obase, err := m.parentLocked("rename", oldname)
	if err != nil {
		return err
	}
	ndir, nbase, err := m.parentLocked("rename", newname)
	if err != nil {
		return err
	}
	n := odir.children[obase]
	if n == nil {
		return memPathErr("rename", oldname, fs.ErrNotExist)
	}
	if t := ndir.children[nbase]; t != nil && t.dir {
		return memPathErr("rename", newname, errors.New("is a directory"))
	}
	delete(odir.children, obase)
	ndir.children[nbase] = n
	return nil
}

// MkdirAll creates the missing directories durably (doc rule 3).
func (m *MemFS) MkdirAll(dir string, _ fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.root
	for _, p := range split(dir) {
		c := n.children[p]
		if c == nil {
			c = newDir()
			n.children[p] = c
			n.synced[p] = c
		} else if !c.dir {
			return memPathErr("mkdir", dir, errors.New("not a directory"))
		}
		n = c
	}
	return nil
}

func (m *MemFS) List(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookupLocked(dir)
	if n == nil {
		return nil, memPathErr("list", dir, fs.ErrNotExist)
	}
	if !n.dir {
		return nil, memPathErr("list", dir, errors.New("not a directory"))
	}
	return slices.Sorted(maps.Keys(n.children)), nil
}

func (m *MemFS) Stat(name string) (fs.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookupLocked(name)
	if n == nil {
		return nil, memPathErr("stat", name, fs.ErrNotExist)
	}
	return memInfo{name: path.Base(path.Clean("/" + name)), size: int64(len(n.data)), dir: n.dir}, nil
}

func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookupLocked(dir)
	if n == nil {
		return memPathErr("syncdir", dir, fs.ErrNotExist)
	}
	if !n.dir {
		return memPathErr("syncdir", dir, errors.New("not a directory"))
	}
	n.synced = maps.Clone(n.children)
	return nil
}

// memFile is an open MemFS file.
type memFile struct {
	m        *MemFS
	n        *memNode
	name     string
	gen      uint64
	writable bool
	closed   bool
}

// checkLocked reports why f cannot be used. f.m.mu must be held.
func (f *memFile) checkLocked(op string) error {
	switch {
	case f.closed:
		return memPathErr(op, f.name, fs.ErrClosed)
	case f.gen != f.m.gen:
		return memPathErr(op, f.name, ErrCrashed)
	}
	return nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("write"); err != nil {
		return 0, err
	}
	if !f.writable {
		return 0, memPathErr("write", f.name, fs.ErrPermission)
	}
	f.n.dirtyFrom = min(f.n.dirtyFrom, len(f.n.data))
	f.n.data = append(f.n.data, p...)
	return len(p), nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, memPathErr("read", f.name, fs.ErrInvalid)
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("sync"); err != nil {
		return err
	}
	n := f.n
	from := min(n.dirtyFrom, len(n.durable), len(n.data))
	n.durable = append(n.durable[:from], n.data[from:]...)
	n.dirtyFrom = len(n.durable)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("truncate"); err != nil {
		return err
	}
	if !f.writable || size < 0 {
		return memPathErr("truncate", f.name, fs.ErrInvalid)
	}
	n := f.n
	n.dirtyFrom = min(n.dirtyFrom, int(size), len(n.data))
	if int(size) <= len(n.data) {
		n.data = n.data[:size]
	} else {
		n.data = append(n.data, make([]byte, int(size)-len(n.data))...)
	}
	return nil
}

func (f *memFile) Stat() (fs.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.checkLocked("stat"); err != nil {
		return nil, err
	}
	return memInfo{name: path.Base(path.Clean("/" + f.name)), size: int64(len(f.n.data))}, nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return memPathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}

// memInfo is a MemFS fs.FileInfo.
type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | DirPerm
	}
	return FilePerm
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
