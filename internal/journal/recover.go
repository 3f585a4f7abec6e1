package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/zeebo/xxh3"
)

// ready returns nil if the journal can serve a call, first retrying the
// recovery from an earlier I/O failure; otherwise the error to return.
func (j *Journal) ready() error {
	if j.err != nil {
		return j.err
	}
	if j.failed != nil {
		return j.recoverFailure()
	}
	return nil
}

// fail records an I/O failure (afterSync: of a sync) and tries to recover
// from it at once, so the next call finds the journal usable if the disk
// is. If the recovery fails too, every later call retries it.
func (j *Journal) fail(err error, afterSync bool) {
	j.failed = err
	j.afterSync = j.afterSync || afterSync
	_ = j.recoverFailure() // on failure j.failed stays set; the next call retries
}

// recoverFailure brings the file back to a state that is known on disk
// and matches memory, after a failed write, sync or truncate (see the
// package doc, "Errors and durability"):
//
//   - After a failed write or truncate, every sync so far succeeded: the
//     file is cut back to the end of the last whole record (a failed
//     write may have stored a prefix) and synced, which also makes the
//     earlier unsynced records durable.
//   - After a failed sync (also that one), the bytes written since the
//     last successful sync are of unknown state and a second fsync would
//     not tell (fsyncgate). The file is reopened, cut back to the last
//     synced record, the truncation synced and the file's size and last
//     synced record checked again; the unsynced records are dropped.
//
// It returns nil once recovered; then Len() == Synced() == the records
// kept. A durable record found damaged makes the journal fail for good
// with a *CorruptError.
func (j *Journal) recoverFailure() error {
	if !j.afterSync {
		if err := j.cutAndSync(j.size); err == nil {
			j.synced = uint64(len(j.offsets))
			j.failed = nil
			return nil
		}
		j.afterSync = true // the cut or its sync failed: go on as after a failed sync
	}
	if j.f != nil {
		j.f.Close() // its error says nothing more than the failure did
		j.f = nil
	}
	f, err := j.fs.OpenReadWrite(j.name)
	if err != nil {
		return j.stillFailed(err)
	}
	j.f = f
	keep := j.size
	if j.synced < uint64(len(j.offsets)) {
		keep = j.offsets[j.synced]
	}
	fi, err := f.Stat()
	if err != nil {
		return j.stillFailed(err)
	}
	if fi.Size() < keep {
		j.err = &CorruptError{Path: j.name, Offset: fi.Size(),
			Reason: fmt.Sprintf("file is %d bytes after a failed sync, but %d were synced", fi.Size(), keep)}
		return j.err
	}
	if err := j.cutAndSync(keep); err != nil {
		return j.stillFailed(err)
	}
	if err := j.checkLast(j.synced); err != nil {
		return err
	}
	j.offsets = j.offsets[:j.synced]
	j.size = keep
	j.failed, j.afterSync = nil, false
	return nil
}

// stillFailed reports a recovery that did not complete.
func (j *Journal) stillFailed(err error) error {
	return fmt.Errorf("%w (recovery: %v)", j.failed, err)
}

func (j *Journal) cutAndSync(size int64) error {
	if err := j.f.Truncate(size); err != nil {
		return err
	}
	return j.f.Sync()
}

// checkLast verifies record n-1 again, the last one to keep, through the
// reopened file. A mismatch is corruption: the record was synced.
func (j *Journal) checkLast(n uint64) error {
	if n == 0 {
		return nil
	}
	start, end := j.offsets[n-1], j.size
	if n < uint64(len(j.offsets)) {
		end = j.offsets[n]
	}
	b := make([]byte, end-start)
	if k, err := j.f.ReadAt(b, start); err != nil && !(errors.Is(err, io.EOF) && k == len(b)) {
		return j.stillFailed(err)
	}
	if len(b) < RecordOverhead || xxh3.Hash(b[8:]) != binary.LittleEndian.Uint64(b[:8]) {
		j.err = &CorruptError{Path: j.name, Offset: start, Reason: "synced record fails its checksum after a failed sync"}
		return j.err
	}
	return nil
}
