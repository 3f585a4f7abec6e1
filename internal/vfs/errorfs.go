package vfs

import (
	"io/fs"
	"strings"
	"sync"
	"syscall"
)

// Op is one file system operation as an Injector sees it.
type Op struct {
	Kind OpKind
	Path string // the file or directory; for Rename, the old name
	// Offset is the file offset for ReadAt, the file size before the
	// operation for Write, the new size for Truncate, and 0 otherwise.
	Offset int64
	Len    int // bytes written or read; 0 otherwise
}

// Injector decides whether op fails. It returns nil to let op proceed, or
// the error op returns instead (usually ErrInjected). It is called with no
// lock held, possibly from several goroutines.
type Injector func(op Op) error

// WithErrors wraps fsys so that every operation first asks inj. An
// operation that gets an error does nothing, except a Write, which may have
// written a prefix (see InjectTornWrite).
func WithErrors(fsys FS, inj Injector) FS { return &errorFS{fs: fsys, inj: inj} }

// OnKind returns an Injector that fails every operation of kind whose path
// contains substr (every path when substr is empty) with ErrInjected.
func OnKind(kind OpKind, substr string) Injector {
	return func(op Op) error {
		if op.Kind == kind && strings.Contains(op.Path, substr) {
			return ErrInjected
		}
		return nil
	}
}

// AfterN returns an Injector that lets the first n operations accepted by
// filter (every operation when filter is nil) through and fails every later
// one with ErrInjected. It is safe for concurrent use.
func AfterN(n int, filter func(Op) bool) Injector {
	var mu sync.Mutex
	return func(op Op) error {
		if filter != nil && !filter(op) {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if n > 0 {
			n--
			return nil
		}
		return ErrInjected
	}
}

// TornWrite is an error an Injector returns to make a Write store only the
// first Keep bytes before failing with Err (ErrInjected if nil), as a
// write(2) that fills the disk stores a prefix and then fails.
type TornWrite struct {
	Keep int
	Err  error
}

func (t TornWrite) Error() string { return "vfs: injected torn write" }

// Unwrap returns Err, or ErrInjected.
func (t TornWrite) Unwrap() error {
	if t.Err != nil {
		return t.Err
	}
	return ErrInjected
}

// ErrNoSpace is an injected full disk: it matches both ErrInjected and
// syscall.ENOSPC with errors.Is, as the operating system's error would.
var ErrNoSpace error = &injectedErrno{syscall.ENOSPC}

// ErrTooManyFiles is an injected file descriptor limit: it matches both
// ErrInjected and syscall.EMFILE.
var ErrTooManyFiles error = &injectedErrno{syscall.EMFILE}

type injectedErrno struct{ errno syscall.Errno }

func (e *injectedErrno) Error() string   { return "vfs: injected error: " + e.errno.Error() }
func (e *injectedErrno) Unwrap() []error { return []error{ErrInjected, e.errno} }

// OnNth returns an Injector that fails only the n-th operation of kind
// (counting from 1) with err: ENOSPC on write N, a failed fsync on sync
// N. It is safe for concurrent use.
func OnNth(kind OpKind, n int, err error) Injector {
	var mu sync.Mutex
	seen := 0
	return func(op Op) error {
		if op.Kind != kind {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen == n {
			return err
		}
		return nil
	}
}

// Switch is an Injector whose faults are turned on and off while the file
// system is in use: a disk that fills up and is freed again, a device
// whose fsyncs fail for a while. Pass its Inject method to WithErrors.
// The zero value injects nothing; it is safe for concurrent use.
type Switch struct {
	mu   sync.Mutex       // guards the following field
	errs map[OpKind]error // the error each kind of operation fails with
}

// Set makes every later operation of kind fail with err (a TornWrite for
// OpWrite stores its prefix first).
func (s *Switch) Set(kind OpKind, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errs == nil {
		s.errs = map[OpKind]error{}
	}
	s.errs[kind] = err
}

// Clear turns every fault off.
func (s *Switch) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.errs)
}

// Inject is the Injector: it returns the error set for op's kind.
func (s *Switch) Inject(op Op) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errs[op.Kind]
}

type errorFS struct {
	fs  FS
	inj Injector
}

func (e *errorFS) check(kind OpKind, name string) error {
	return e.inj(Op{Kind: kind, Path: name})
}

func (e *errorFS) Create(name string) (File, error) {
	if err := e.check(OpCreate, name); err != nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: err}
	}
	f, err := e.fs.Create(name)
	if err != nil {
		return nil, err
	}
	return &errorFile{f: f, name: name, inj: e.inj}, nil
}

func (e *errorFS) Open(name string) (File, error) {
	if err := e.check(OpOpen, name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := e.fs.Open(name)
	if err != nil {
		return nil, err
	}
	return &errorFile{f: f, name: name, inj: e.inj}, nil
}

func (e *errorFS) OpenReadWrite(name string) (File, error) {
	if err := e.check(OpOpenReadWrite, name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := e.fs.OpenReadWrite(name)
	if err != nil {
		return nil, err
	}
	return &errorFile{f: f, name: name, inj: e.inj}, nil
}

func (e *errorFS) Remove(name string) error {
	if err := e.check(OpRemove, name); err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	return e.fs.Remove(name)
}

func (e *errorFS) Rename(oldname, newname string) error {
	if err := e.check(OpRename, oldname); err != nil {
		return &fs.PathError{Op: "rename", Path: oldname, Err: err}
	}
	return e.fs.Rename(oldname, newname)
}

func (e *errorFS) MkdirAll(dir string, perm fs.FileMode) error {
	if err := e.check(OpMkdirAll, dir); err != nil {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return e.fs.MkdirAll(dir, perm)
}

func (e *errorFS) List(dir string) ([]string, error) {
	if err := e.check(OpList, dir); err != nil {
		return nil, &fs.PathError{Op: "list", Path: dir, Err: err}
	}
	return e.fs.List(dir)
}

func (e *errorFS) Stat(name string) (fs.FileInfo, error) {
	if err := e.check(OpStat, name); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return e.fs.Stat(name)
}

func (e *errorFS) SyncDir(dir string) error {
	if err := e.check(OpSyncDir, dir); err != nil {
		return &fs.PathError{Op: "syncdir", Path: dir, Err: err}
	}
	return e.fs.SyncDir(dir)
}

type errorFile struct {
	f    File
	name string
	inj  Injector
}

func (e *errorFile) Write(p []byte) (int, error) {
	var size int64
	if fi, err := e.f.Stat(); err == nil {
		size = fi.Size()
	}
	if err := e.inj(Op{Kind: OpWrite, Path: e.name, Offset: size, Len: len(p)}); err != nil {
		n := 0
		if t, ok := err.(TornWrite); ok && t.Keep > 0 {
			n, _ = e.f.Write(p[:min(t.Keep, len(p))])
		}
		return n, &fs.PathError{Op: "write", Path: e.name, Err: err}
	}
	return e.f.Write(p)
}

func (e *errorFile) ReadAt(p []byte, off int64) (int, error) {
	if err := e.inj(Op{Kind: OpReadAt, Path: e.name, Offset: off, Len: len(p)}); err != nil {
		return 0, &fs.PathError{Op: "read", Path: e.name, Err: err}
	}
	return e.f.ReadAt(p, off)
}

func (e *errorFile) Sync() error {
	if err := e.inj(Op{Kind: OpSync, Path: e.name}); err != nil {
		return &fs.PathError{Op: "sync", Path: e.name, Err: err}
	}
	return e.f.Sync()
}

func (e *errorFile) Truncate(size int64) error {
	if err := e.inj(Op{Kind: OpTruncate, Path: e.name, Offset: size}); err != nil {
		return &fs.PathError{Op: "truncate", Path: e.name, Err: err}
	}
	return e.f.Truncate(size)
}

func (e *errorFile) Stat() (fs.FileInfo, error) { return e.f.Stat() }

func (e *errorFile) Close() error {
	if err := e.inj(Op{Kind: OpClose, Path: e.name}); err != nil {
		e.f.Close()
		return &fs.PathError{Op: "close", Path: e.name, Err: err}
	}
	return e.f.Close()
}
