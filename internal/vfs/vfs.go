package vfs

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"strconv"
)

// FS is a file system. Names use forward slashes on every platform for
// MemFS; Default passes them to the operating system unchanged.
type FS interface {
	// Create creates name, truncating it if it exists, and opens it for
	// reading and appending. The new entry is durable after SyncDir.
	Create(name string) (File, error)
	// Open opens an existing file read-only.
	Open(name string) (File, error)
	// OpenReadWrite opens name for reading and appending, creating it empty
	// if it does not exist. Its size is unchanged.
	OpenReadWrite(name string) (File, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// Rename renames oldname to newname, replacing newname if it is a file.
	Rename(oldname, newname string) error
	// MkdirAll creates dir and any missing parents, durably (rule 3).
	MkdirAll(dir string, perm fs.FileMode) error
	// List returns the names of the entries of dir, sorted.
	List(dir string) ([]string, error)
	// Stat describes name.
	Stat(name string) (fs.FileInfo, error)
	// SyncDir makes the entries of dir durable (rule 2).
	SyncDir(dir string) error
}

// File is an open file. It is not safe for concurrent use.
type File interface {
	io.Writer   // appends at the end of the file (rule 1)
	io.ReaderAt // reads never see bytes past the current end
	io.Closer
	// Sync makes every byte written so far durable.
	Sync() error
	// Truncate changes the size of the file; later writes append at the
	// new end.
	Truncate(size int64) error
	// Stat describes the file; Size is the current size, synced or not.
	Stat() (fs.FileInfo, error)
}

// Permissions of what Default creates. Shoal's data directory holds the
// metadata journal (password and token hashes) next to the message logs,
// so nothing is readable by group or others: files are FilePerm, and
// directories DirPerm whatever mode the caller passes to MkdirAll.
const (
	FilePerm fs.FileMode = 0o600
	DirPerm  fs.FileMode = 0o700
)

// ErrInjected is the error WithErrors returns for an injected failure.
var ErrInjected = errors.New("vfs: injected error")

// ErrCrashed is returned by every operation on a File opened before
// MemFS.Crash.
var ErrCrashed = errors.New("vfs: file system crashed")

// OpKind names a file system operation for error injection.
type OpKind uint8

// The operations WithErrors can fail.
const (
	OpCreate OpKind = iota + 1
	OpOpen
	OpOpenReadWrite
	OpRemove
	OpRename
	OpMkdirAll
	OpList
	OpStat
	OpSyncDir
	OpWrite
	OpReadAt
	OpSync
	OpTruncate
	OpClose
)

var opNames = [...]string{
	OpCreate: "create", OpOpen: "open", OpOpenReadWrite: "open-read-write",
	OpRemove: "remove", OpRename: "rename", OpMkdirAll: "mkdir-all", OpList: "list",
	OpStat: "stat", OpSyncDir: "sync-dir", OpWrite: "write", OpReadAt: "read-at",
	OpSync: "sync", OpTruncate: "truncate", OpClose: "close",
}

func (k OpKind) String() string {
	if int(k) < len(opNames) && opNames[k] != "" {
		return opNames[k]
	}
	return "OpKind(" + strconv.Itoa(int(k)) + ")"
}

// ReadFile reads the whole of name.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, fi.Size())
	n, err := f.ReadAt(b, 0)
	if err == io.EOF && n == len(b) {
		err = nil
	}
	return b[:n], err
}

// WriteFileSync writes data to a fresh file at name through a temporary
// file, syncs it, renames it over name and syncs the directory, so name
// holds either the old or the new contents after a crash.
func WriteFileSync(fsys FS, name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := fsys.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return err
	}
	return fsys.SyncDir(parentDir(name))
}

// parentDir is path.Dir for slash-separated names.
func parentDir(name string) string { return path.Dir(path.Clean(name)) }
