package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/zeebo/xxh3"
)

// Disk format constants (see the package doc).
const (
	Magic          = "SHOALJNL" // header bytes 0..8
	Version        = 1          // header bytes 8..12
	FileHeaderSize = 16         // 8B magic + 4B version + 4B check
	RecordOverhead = 12         // 8B checksum + 4B length, then the payload

	// DefaultMaxRecordSize bounds a payload unless Options says otherwise:
	// the largest frame the protocol allows (64 MiB).
	DefaultMaxRecordSize = 64 << 20
)

var (
	// ErrCorrupt marks damage in the middle of a journal (see IsCorrupt).
	ErrCorrupt = errors.New("journal: corrupt record")
	// ErrTooLarge is returned by Append for a payload over MaxRecordSize.
	ErrTooLarge = errors.New("journal: record too large")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("journal: closed")
	// ErrIndex is returned by Read and Truncate for an index out of range.
	ErrIndex = errors.New("journal: record index out of range")
)

// CorruptError describes damage found in a journal file. It matches
// ErrCorrupt with errors.Is.
type CorruptError struct {
	Path   string
	Offset int64  // file offset of the damaged header or record
	Reason string // what failed
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("journal: corrupt record: %s at offset %d: %s", e.Path, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// IsCorrupt reports whether err reports damaged data on disk, as opposed to
// an I/O failure: the operator must restore the file, retrying will not
// help.
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }

// Options configures Open. The zero value is valid.
type Options struct {
	// MaxRecordSize bounds a payload; 0 means DefaultMaxRecordSize. A
	// record on disk that claims more is treated as damaged.
	MaxRecordSize int
}

// Recovery reports what Open found.
type Recovery struct {
	Records   uint64 // whole records replayed
	TornBytes int64  // bytes of torn tail truncated away
	Created   bool   // the file was new (or held only part of a header)
}

// Journal is an open journal file. It is not safe for concurrent use.
type Journal struct {
	fs      vfs.FS
	f       vfs.File
	name    string
	max     int
	offsets []int64 // offsets[i] is where record i starts
	size    int64   // end of the last record; Invariant: size == file size
	synced  uint64  // records known durable; Invariant: synced <= len(offsets)
	buf     []byte  // Append's frame buffer, reused
	rec     Recovery
	err     error // sticky: ErrClosed, or corruption found while recovering
	// failed is the write, sync or truncate failure not recovered from
	// yet (see recoverFailure); every call first retries the recovery.
	failed error
	// afterSync: a sync failed since the last recovery, so recovery must
	// reopen the file and drop every record not yet synced.
	afterSync bool
}

// ReplayFunc receives each recovered record in order; index counts from 0.
// payload is only valid during the call. Returning an error aborts Open.
type ReplayFunc func(index uint64, payload []byte) error

// Open opens or creates the journal at name, creating its directory if
// needed, and replays every whole record into replay (which may be nil).
// A torn tail is truncated; interior damage returns an error for which
// IsCorrupt is true. If Open returns an error, records already passed to
// replay must be discarded by the caller.
func Open(fsys vfs.FS, name string, opts Options, replay ReplayFunc) (*Journal, error) {
	j := &Journal{fs: fsys, name: name, max: opts.MaxRecordSize}
	if j.max <= 0 {
		j.max = DefaultMaxRecordSize
	}
	dir := path.Dir(name)
	if err := fsys.MkdirAll(dir, vfs.DirPerm); err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", name, err)
	}
	_, statErr := fsys.Stat(name)
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("journal: open %s: %w", name, statErr)
	}
	f, err := fsys.OpenReadWrite(name)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", name, err)
	}
	j.f = f
	if err := j.recover(replay, statErr != nil); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// recover validates the header (writing a fresh one into a new or
// header-less file), then scans the records.
func (j *Journal) recover(replay ReplayFunc, created bool) error {
	fi, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("journal: open %s: %w", j.name, err)
	}
	if fi.Size() < FileHeaderSize {
		// New, or a crash interrupted creation before the header was
		// synced: no record can have been acknowledged.
		return j.initialize()
	}
	j.rec.Created = created
	var h [FileHeaderSize]byte
	if _, err := j.f.ReadAt(h[:], 0); err != nil {
		return fmt.Errorf("journal: read header of %s: %w", j.name, err)
	}
	if err := checkHeader(h[:]); err != nil {
		return &CorruptError{Path: j.name, Offset: 0, Reason: err.Error()}
	}
	return j.scan(fi.Size(), replay)
}

func (j *Journal) initialize() error {
	j.rec.Created = true
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("journal: initialize %s: %w", j.name, err)
	}
	if _, err := j.f.Write(appendHeader(nil)); err != nil {
		return fmt.Errorf("journal: initialize %s: %w", j.name, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: initialize %s: %w", j.name, err)
	}
	if err := j.fs.SyncDir(path.Dir(j.name)); err != nil {
		return fmt.Errorf("journal: initialize %s: %w", j.name, err)
	}
	j.size = FileHeaderSize
	return nil
}

func appendHeader(b []byte) []byte {
	b = append(b, Magic...)
	b = binary.LittleEndian.AppendUint32(b, Version)
	return binary.LittleEndian.AppendUint32(b, uint32(xxh3.Hash(b[len(b)-12:])))
}

func checkHeader(h []byte) error {
	switch {
	case string(h[:8]) != Magic:
		return fmt.Errorf("bad magic %q", h[:8])
	case uint32(xxh3.Hash(h[:12])) != binary.LittleEndian.Uint32(h[12:16]):
		return errors.New("header checksum mismatch")
	case binary.LittleEndian.Uint32(h[8:12]) != Version:
		return fmt.Errorf("unsupported version %d", binary.LittleEndian.Uint32(h[8:12]))
	}
	return nil
}

// Append writes payload as the next record and returns its index. The
// record is durable only after Sync returns nil. If the write fails (a
// full disk), the record is not appended and the journal recovers (see
// the package doc); the caller may retry once space returns.
func (j *Journal) Append(payload []byte) (uint64, error) {
	if err := j.ready(); err != nil {
		return 0, err
	}
	if len(payload) > j.max {
		return 0, fmt.Errorf("%w: %d bytes, max %d", ErrTooLarge, len(payload), j.max)
	}
	b := append(j.buf[:0], make([]byte, RecordOverhead)...)
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b[8:12], uint32(len(payload)))
	binary.LittleEndian.PutUint64(b[0:8], xxh3.Hash(b[8:]))
	j.buf = b
	if _, err := j.f.Write(b); err != nil {
		// Part of the record may be in the file: cut it off.
		err = fmt.Errorf("journal: append to %s: %w", j.name, err)
		j.fail(err, false)
		return 0, err
	}
	j.offsets = append(j.offsets, j.size)
	j.size += int64(len(b))
	return uint64(len(j.offsets) - 1), nil
}

// Sync makes every appended record durable. Acknowledge nothing before it
// returns nil (S12). If it fails, every record not yet synced is dropped
// (Len falls back to Synced) once the journal recovers.
func (j *Journal) Sync() error {
	if err := j.ready(); err != nil {
		return err
	}
	if j.synced == uint64(len(j.offsets)) {
		return nil
	}
	if err := j.f.Sync(); err != nil {
		err = fmt.Errorf("journal: sync %s: %w", j.name, err)
		j.fail(err, true)
		return err
	}
	j.synced = uint64(len(j.offsets))
	return nil
}

// Len returns the number of records, synced or not.
func (j *Journal) Len() uint64 { return uint64(len(j.offsets)) }

// Synced returns the number of records known to be durable.
func (j *Journal) Synced() uint64 { return j.synced }

// Size returns the file size in bytes.
func (j *Journal) Size() int64 { return j.size }

// Recovery reports what Open found.
func (j *Journal) Recovery() Recovery { return j.rec }

// Err returns the error that stops the journal (ErrClosed, corruption),
// or the I/O failure it has not recovered from yet, or nil.
func (j *Journal) Err() error {
	if j.err != nil {
		return j.err
	}
	return j.failed
}

// Read returns a copy of record index, verifying its checksum again.
func (j *Journal) Read(index uint64) ([]byte, error) {
	if err := j.ready(); err != nil {
		return nil, err
	}
	if index >= uint64(len(j.offsets)) {
		return nil, fmt.Errorf("%w: %d of %d", ErrIndex, index, len(j.offsets))
	}
	start, end := j.offsets[index], j.size
	if index+1 < uint64(len(j.offsets)) {
		end = j.offsets[index+1]
	}
	b := make([]byte, end-start)
	if _, err := j.f.ReadAt(b, start); err != nil {
		return nil, fmt.Errorf("journal: read %s record %d: %w", j.name, index, err)
	}
	if xxh3.Hash(b[8:]) != binary.LittleEndian.Uint64(b[:8]) {
		return nil, &CorruptError{Path: j.name, Offset: start, Reason: "checksum mismatch on read"}
	}
	return b[RecordOverhead:], nil
}

// Truncate keeps the first n records, removes the rest durably, and
// returns once the truncation is synced. VSR uses it to discard an
// uncommitted suffix after a view change.
func (j *Journal) Truncate(n uint64) error {
	if err := j.ready(); err != nil {
		return err
	}
	if n > uint64(len(j.offsets)) {
		return fmt.Errorf("%w: keep %d of %d", ErrIndex, n, len(j.offsets))
	}
	if n == uint64(len(j.offsets)) {
		return nil
	}
	// The records go from memory first: if the file operations fail, the
	// recovery finishes the truncation (it never keeps more than this).
	size := j.offsets[n]
	j.offsets = j.offsets[:n]
	j.size = size
	j.synced = min(j.synced, n)
	if err := j.f.Truncate(size); err != nil {
		err = fmt.Errorf("journal: truncate %s: %w", j.name, err)
		j.fail(err, false)
		return err
	}
	if err := j.f.Sync(); err != nil {
		err = fmt.Errorf("journal: truncate %s: %w", j.name, err)
		j.fail(err, true)
		return err
	}
	return nil
}

// Close closes the file without syncing it. Records not yet synced may or
// may not survive.
func (j *Journal) Close() error {
	if j.err == ErrClosed {
		return ErrClosed
	}
	j.err = ErrClosed
	if j.f == nil { // a recovery could not reopen it
		return nil
	}
	return j.f.Close()
}
