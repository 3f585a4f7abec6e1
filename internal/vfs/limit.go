package vfs

import (
	"io/fs"
	"sync"
)

// LimitFS wraps an FS and allows at most a fixed number of its files open
// at once, as a process's RLIMIT_NOFILE does: Create, Open or
// OpenReadWrite past the limit fails with ErrTooManyFiles (which matches
// syscall.EMFILE). Directory operations are not counted. It is safe for
// concurrent use.
type LimitFS struct {
	FS    // the wrapped file system; its methods not redefined here pass through
	limit int

	mu   sync.Mutex // guards the following fields
	open int        // files open now
	peak int        // the most files open at once
}

// WithOpenLimit returns fsys limited to limit open files.
func WithOpenLimit(fsys FS, limit int) *LimitFS { return &LimitFS{FS: fsys, limit: limit} }

// InUse returns how many files are open now.
func (l *LimitFS) InUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Peak returns the most files that were open at once.
func (l *LimitFS) Peak() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}

// Create implements FS.
func (l *LimitFS) Create(name string) (File, error) { return l.counted("create", name, l.FS.Create) }

// Open implements FS.
func (l *LimitFS) Open(name string) (File, error) { return l.counted("open", name, l.FS.Open) }

// OpenReadWrite implements FS.
func (l *LimitFS) OpenReadWrite(name string) (File, error) {
	return l.counted("open", name, l.FS.OpenReadWrite)
}

func (l *LimitFS) counted(op, name string, open func(string) (File, error)) (File, error) {
	l.mu.Lock()
	if l.open >= l.limit {
		l.mu.Unlock()
		return nil, &fs.PathError{Op: op, Path: name, Err: ErrTooManyFiles}
	}
	l.open++
	l.peak = max(l.peak, l.open)
	l.mu.Unlock()
	f, err := open(name)
	if err != nil {
		l.release()
		return nil, err
	}
	return &limitFile{File: f, l: l}, nil
}

func (l *LimitFS) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
}

// limitFile gives its slot back on its first Close.
type limitFile struct {
	File
	l      *LimitFS
	closed bool
}

func (f *limitFile) Close() error {
	if !f.closed {
		f.closed = true
		f.l.release()
	}
	return f.File.Close()
}
