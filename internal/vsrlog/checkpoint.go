package vsrlog

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/shoal-io/shoal/internal/journal"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
	"github.com/zeebo/xxh3"
)

// checkpointPrefix starts a checkpoint file's name; the op follows in
// decimal: checkpoint-<op>.
const checkpointPrefix = "checkpoint-"

// tmpSuffix ends the name of a file being written (vfs.WriteFileSync, the
// journal compaction).
const tmpSuffix = ".tmp"

func (l *Log) checkpointPath(op wire.Op) string {
	return path.Join(l.dir, checkpointPrefix+strconv.FormatUint(uint64(op), 10))
}

// readCheckpoint reads the checkpoint file of op and checks it against the
// superblock's size and checksum.
func (l *Log) readCheckpoint(op wire.Op, m snapMeta) ([]byte, error) {
	p := l.checkpointPath(op)
	b, err := vfs.ReadFile(l.fs, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &CorruptError{Path: p, Reason: fmt.Sprintf("the superblock names checkpoint %d but its file is missing", op)}
	}
	if err != nil {
		return nil, fmt.Errorf("vsrlog: read %s: %w", p, err)
	}
	if uint64(len(b)) != m.size || xxh3.Hash(b) != m.sum {
		return nil, &CorruptError{Path: p, Reason: fmt.Sprintf("checkpoint of %d bytes does not match the superblock (%d bytes)", len(b), m.size)}
	}
	return b, nil
}

// removeLeftovers deletes what a crash can leave behind: checkpoint files
// other than keep's (written before a superblock that never named them,
// or named by one that a newer superblock replaced) and temporary files.
func (l *Log) removeLeftovers(keep wire.Op) (int, error) {
	names, err := l.fs.List(l.dir)
	if err != nil {
		return 0, fmt.Errorf("vsrlog: list %s: %w", l.dir, err)
	}
	want := path.Base(l.checkpointPath(keep))
	n := 0
	for _, name := range names {
		stale := strings.HasSuffix(name, tmpSuffix) ||
			strings.HasPrefix(name, checkpointPrefix) && (keep == 0 || name != want)
		if !stale {
			continue
		}
		if err := removeIfPresent(l.fs, path.Join(l.dir, name)); err != nil {
			return n, fmt.Errorf("vsrlog: remove %s: %w", name, err)
		}
		n++
	}
	return n, nil
}

// compact rewrites the journal to hold only the prepares above the
// checkpoint the durable superblock now names, and removes the previous
// checkpoint's file (old). Every step is crash-safe:
//
//  1. the live prepares above the checkpoint are read back from the open
//     journal (its records are verified again);
//  2. they go to prepares.jnl.tmp after a base record at the checkpoint
//     op, which is synced and closed;
//  3. the temporary file is renamed over prepares.jnl and the directory
//     synced;
//  4. the old checkpoint file is removed.
//
// A crash before 3 leaves the old journal (base below the checkpoint: Open
// ignores its prepares at or below it) and a temporary file Open removes;
// after 3, the new one. The superblock already names the checkpoint, so
// either journal is consistent with it. Memory: the live prepares above
// the checkpoint, once.
func (l *Log) compact(old wire.Op) error {
	cp := l.sb.hs.Checkpoint
	jpath := path.Join(l.dir, JournalName)
	// Only the live prepares above the checkpoint are read (Log.index),
	// not every record the journal holds.
	l.index.truncateBelow(cp)
	live := make([]entry, 0, len(l.index.live))
	for _, e := range l.index.live {
		p, err := l.j.Read(e.rec)
		if err != nil {
			return fmt.Errorf("vsrlog: compact: %w", err)
		}
		r, err := decodeRecord(p)
		if err != nil || r.kind != KindPrepare || r.op != e.op {
			return &CorruptError{Path: jpath, Reason: fmt.Sprintf("record %d is not the prepare of op %d", e.rec, e.op)}
		}
		live = append(live, entry{op: e.op, frame: r.frame})
	}
	if err := l.rewriteJournal(jpath, cp, live); err != nil {
		return fmt.Errorf("vsrlog: compact: %w", err)
	}
	for i := range l.index.live {
		l.index.live[i].rec = uint64(i) + 1 // after the base record
	}
	if old > 0 && old != cp {
		if err := removeIfPresent(l.fs, l.checkpointPath(old)); err != nil {
			return fmt.Errorf("vsrlog: compact: %w", err)
		}
	}
	return nil
}

// rewriteJournal is steps 2 and 3 of compact: a base record at cp and the
// live prepares go to jpath's temporary file, which is synced, closed and
// renamed over jpath; the new journal becomes l.j.
func (l *Log) rewriteJournal(jpath string, cp wire.Op, live []entry) error {
	tmp := jpath + tmpSuffix
	if err := removeIfPresent(l.fs, tmp); err != nil {
		return err
	}
	opts := journal.Options{MaxRecordSize: RecordHead + MaxFrameSize}
	nj, err := journal.Open(l.fs, tmp, opts, nil)
	if err != nil {
		return err
	}
	l.buf = appendRecord(l.buf[:0], KindBase, cp, nil)
	_, err = nj.Append(l.buf)
	for _, e := range live {
		if err != nil {
			break
		}
		l.buf = appendRecord(l.buf[:0], KindPrepare, e.op, e.frame)
		_, err = nj.Append(l.buf)
	}
	if err == nil {
		err = nj.Sync()
	}
	if cerr := nj.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := l.j.Close(); err != nil {
		return err
	}
	if err := l.fs.Rename(tmp, jpath); err != nil {
		return err
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return err
	}
	j, err := journal.Open(l.fs, jpath, opts, nil)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	l.j, l.base = j, cp
	return nil
}

// removeIfPresent removes name; a file already gone is not an error.
func removeIfPresent(fsys vfs.FS, name string) error {
	if err := fsys.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Checkpoint returns the bytes of the durable checkpoint the hard state
// names (HardState.Checkpoint), as Open verified them against the
// superblock's size and checksum or Persist wrote them, for
// vsr.RestartFrom; nil when it names none. The caller must not modify
// them.
func (l *Log) Checkpoint() []byte { return l.cpData }

// Base returns the op the journal starts after (its base record).
func (l *Log) Base() wire.Op { return l.base }

// JournalSize returns the journal file's size in bytes.
func (l *Log) JournalSize() int64 { return l.j.Size() }
