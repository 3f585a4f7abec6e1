package vsrlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"

	"github.com/shoal-io/shoal/internal/journal"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
	"github.com/zeebo/xxh3"
)

// JournalName is the prepares journal's file name inside a Log's directory.
const JournalName = "prepares.jnl"

// MaxFrameSize bounds a prepare frame Persist accepts: the protocol's
// default frame cap.
const MaxFrameSize = wire.DefaultMaxMessageSize

var (
	// ErrCorrupt marks damaged or contradictory data on disk (see
	// IsCorrupt and CorruptError).
	ErrCorrupt = errors.New("vsrlog: corrupt")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("vsrlog: closed")
)

// CorruptError describes damage Open found. It matches ErrCorrupt with
// errors.Is, and also whatever it wraps (journal.ErrCorrupt for damage
// the journal layer found).
type CorruptError struct {
	Path   string // the file, or the directory for superblock contradictions
	Reason string
	Err    error // the underlying error, if any
}

func (e *CorruptError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("vsrlog: corrupt: %s: %s: %v", e.Path, e.Reason, e.Err)
	}
	return fmt.Sprintf("vsrlog: corrupt: %s: %s", e.Path, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true, and exposes Err.
func (e *CorruptError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrCorrupt, e.Err}
	}
	return []error{ErrCorrupt}
}

// IsCorrupt reports whether err reports damaged data on disk, as opposed
// to an I/O failure: the operator must restore the replica's directory
// (or let it rejoin from scratch); retrying will not help.
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) || journal.IsCorrupt(err) }

// Recovery reports what Open found.
type Recovery struct {
	// Fresh is true when this Open created the Log: no superblock copy
	// existed, so no earlier Open ever returned and no replica ran on
	// this directory. Start the replica with vsr.New only then; a
	// replica that ran must come back with vsr.Restart even if none of
	// its writes became durable, because its messages may have left
	// before its Persist (vsr package doc, step 2): a replica 0 restarted
	// with New would prepare a second op 1 in view 0.
	Fresh bool
	// Prepares is the number of prepare frames returned.
	Prepares int
	// Records is the number of journal records replayed, dead ones
	// included; Truncations the number of truncate records among them.
	Records     uint64
	Truncations int
	// TornBytes is the size of the torn journal tail Open truncated.
	TornBytes int64
	// Base is the journal's base op: the checkpoint it was compacted to
	// (at most the hard state's checkpoint; lower after a crash between
	// the superblock write and the compaction).
	Base wire.Op
	// Removed counts leftover files Open deleted: checkpoints no
	// superblock names and temporary files of an interrupted write.
	Removed int
	// Sequence is the superblock sequence of the returned hard state,
	// and Copy the copy (0 or 1) it came from.
	Sequence uint64
	Copy     int
	// DamagedCopy is the reason the other superblock copy was ignored
	// (empty, torn or damaged), or "" when it is valid or absent.
	DamagedCopy string
}

// Update is the part of a vsr.Ready that Persist makes durable. Its fields
// have the names and meaning of vsr.Ready's:
//
//	vsrlog.Update{Truncate: rd.Truncate, TruncateOp: rd.TruncateOp, Entries: rd.Entries,
//		HardStateChanged: rd.HardStateChanged, HardState: vsrlog.HardState(rd.HardState)}
type Update struct {
	Truncate   bool     // delete every prepare above TruncateOp first
	TruncateOp wire.Op  //
	Entries    [][]byte // whole Prepare frames, each stored at its header's op

	HardStateChanged bool
	HardState        HardState

	// Checkpoint is vsr.Ready.Checkpoint: if not nil, it is written to
	// its own file before the hard state that names it
	// (HardState.Checkpoint, which must then be above the durable one),
	// and after that hard state the journal is compacted to the prepares
	// above it.
	Checkpoint []byte
}

// Log is one replica's durable VSR state in a directory: the prepares
// journal and the superblock. It is not safe for concurrent use.
type Log struct {
	fs     vfs.FS
	dir    string
	j      *journal.Journal
	sb     superblock
	base   wire.Op
	cpData []byte // the durable checkpoint's bytes (shared with the caller)
	// index is the live prepares above base, by op, with the journal
	// record that holds each (frames not kept): compact reads only
	// those, not the whole journal.
	index  replayer
	buf    []byte // Persist's record buffer, reused
	closed bool
}

// Open opens or creates the Log in dir and returns it with the durable
// hard state and the live prepare frames in ascending op order, each
// verified with wire.VerifyPrepare, ready for vsr.Restart(cfg,
// vsr.HardState(hs), prepares), or for vsr.New when rec.Fresh. A torn
// journal tail is truncated and reported in rec.TornBytes; damage is an
// error for which IsCorrupt is true. Memory: each live prepare is held
// once; the journal file is read through a fixed window.
func Open(fsys vfs.FS, dir string) (l *Log, hs HardState, prepares [][]byte, rec Recovery, err error) {
	if err := fsys.MkdirAll(dir, vfs.DirPerm); err != nil {
		return nil, hs, nil, rec, fmt.Errorf("vsrlog: open %s: %w", dir, err)
	}
	l = &Log{dir: dir, fs: fsys, sb: superblock{fs: fsys, dir: dir}}
	files, err := l.sb.read()
	if err != nil {
		return nil, hs, nil, rec, err
	}
	latest, idx, found, err := files.pick(dir)
	if err != nil {
		return nil, hs, nil, rec, err
	}
	jpath := path.Join(dir, JournalName)
	x := &replayer{path: jpath}
	j, err := journal.Open(fsys, jpath, journal.Options{MaxRecordSize: RecordHead + MaxFrameSize}, x.replay)
	if err != nil {
		if journal.IsCorrupt(err) && !errors.Is(err, ErrCorrupt) {
			err = &CorruptError{Path: jpath, Reason: "prepares journal", Err: err}
		}
		return nil, hs, nil, rec, err
	}
	l.j = j
	defer func(opened *Log) {
		if err != nil {
			opened.Close()
		}
	}(l)
	jr := j.Recovery()
	rec = Recovery{Records: x.records, Truncations: x.truncations, TornBytes: jr.TornBytes, Prepares: len(x.live)}
	if err := l.checkState(&files, found, latest.seq, x); err != nil {
		return nil, hs, nil, rec, err
	}
	if found && x.base > latest.hs.Checkpoint {
		return nil, hs, nil, rec, &CorruptError{Path: jpath, Reason: fmt.Sprintf(
			"journal compacted to op %d, above the superblock's checkpoint %d", x.base, latest.hs.Checkpoint)}
	}
	if found && latest.hs.Checkpoint > 0 {
		if l.cpData, err = l.readCheckpoint(latest.hs.Checkpoint, latest.snap); err != nil {
			return nil, hs, nil, rec, err
		}
		x.truncateBelow(latest.hs.Checkpoint)
		rec.Prepares = len(x.live)
	}
	for _, e := range x.live {
		l.index.put(e.op, nil, e.rec)
	}
	if rec.Removed, err = l.removeLeftovers(latest.hs.Checkpoint); err != nil {
		return nil, hs, nil, rec, err
	}
	// A file's directory entry is durable once its directory is synced;
	// one SyncDir covers copies a crashed process created but never
	// synced (the journal syncs its own on creation).
	if err := fsys.SyncDir(dir); err != nil {
		return nil, hs, nil, rec, fmt.Errorf("vsrlog: open %s: %w", dir, err)
	}
	l.sb.entryDurable = files.exists
	if !x.hasBase {
		if _, err := j.Append(appendRecord(nil, KindBase, 0, nil)); err != nil {
			return nil, hs, nil, rec, err
		}
		if err := j.Sync(); err != nil {
			return nil, hs, nil, rec, err
		}
	}
	if !found {
		if err := l.sb.initialize(); err != nil {
			return nil, hs, nil, rec, err
		}
	} else {
		l.sb.seq, l.sb.hs, l.sb.snap = latest.seq, latest.hs, latest.snap
		rec.Copy, rec.DamagedCopy = idx, files.why[1-idx]
	}
	l.base = x.base
	rec.Base, rec.Sequence = x.base, l.sb.seq
	rec.Fresh = !found
	return l, l.sb.hs, x.frames(), rec, nil
}

// checkState refuses combinations of superblock and journal that no crash
// can leave (see the package doc, "Recovery and corruption").
func (l *Log) checkState(files *sbFiles, found bool, seq uint64, x *replayer) error {
	switch {
	case !found && (files.exists[0] || files.exists[1]):
		return &CorruptError{Path: l.dir, Reason: fmt.Sprintf(
			"no valid superblock copy (copy 0: %s; copy 1: %s)", orAbsent(files, 0), orAbsent(files, 1))}
	case !found && x.records > 1:
		return &CorruptError{Path: l.dir, Reason: fmt.Sprintf(
			"the journal holds %d records but the superblock is missing", x.records)}
	case found && seq > 0 && !x.hasBase:
		return &CorruptError{Path: path.Join(l.dir, JournalName), Reason: fmt.Sprintf(
			"superblock sequence %d was written but the journal is empty or missing", seq)}
	}
	return nil
}

func orAbsent(files *sbFiles, i int) string {
	if !files.exists[i] {
		return "absent"
	}
	return files.why[i]
}

// Persist makes u durable in the order the vsr package doc requires
// (step 3), and returns nil only when all of it is durable, so that the
// caller may then call Advance:
//
//  0. if u.Checkpoint is set, the checkpoint file, synced and renamed
//     into place;
//  1. if u.Truncate, a truncate record drops every prepare above
//     u.TruncateOp;
//  2. a prepare record for each of u.Entries;
//  3. one fsync of the journal (if 1 or 2 wrote anything);
//  4. if u.HardStateChanged, the next superblock copy, written and
//     fsynced (after the journal, so a durable log_view never names a
//     log whose prepares are not durable);
//  5. if u.Checkpoint is set, the journal compaction (package doc,
//     "Checkpoints and compaction").
//
// On error nothing of u is acknowledged: do not call Advance. Retry
// Persist with the same u (it is idempotent), or Close and restart the
// replica from Open; either way what is on disk is what a crash during
// Persist would have left. After a failed compaction (5) only the latter
// works. Persist panics, before writing anything, if u breaks the
// caller's contract: an entry that is not a whole, verified Prepare frame
// above the base op, a hard state that lowers View, LogView or
// Checkpoint, has LogView > View, or holds more than 128 view headers (or
// view headers out of op order or with wrong identities), or a checkpoint
// without a hard state that names it.
func (l *Log) Persist(u Update) error {
	if l.closed {
		return ErrClosed
	}
	l.check(&u)
	if u.Checkpoint != nil {
		// Its own file first, synced and renamed into place: the
		// superblock written below names it.
		if err := vfs.WriteFileSync(l.fs, l.checkpointPath(u.HardState.Checkpoint), u.Checkpoint); err != nil {
			return fmt.Errorf("vsrlog: persist checkpoint %d: %w", u.HardState.Checkpoint, err)
		}
	}
	wrote := false
	if u.Truncate {
		l.buf = appendRecord(l.buf[:0], KindTruncate, u.TruncateOp, nil)
		if _, err := l.j.Append(l.buf); err != nil {
			return fmt.Errorf("vsrlog: persist truncate above op %d: %w", u.TruncateOp, err)
		}
		l.index.truncateAbove(u.TruncateOp)
		wrote = true
	}
	for _, f := range u.Entries {
		op := wire.Op(binary.LittleEndian.Uint64(f[176:]))
		l.buf = appendRecord(l.buf[:0], KindPrepare, op, f)
		i, err := l.j.Append(l.buf)
		if err != nil {
			return fmt.Errorf("vsrlog: persist prepare op %d: %w", op, err)
		}
		l.index.put(op, nil, i)
		wrote = true
	}
	if wrote {
		if err := l.j.Sync(); err != nil {
			return fmt.Errorf("vsrlog: persist: %w", err)
		}
	}
	if u.HardStateChanged {
		snap := l.sb.snap
		if u.Checkpoint != nil {
			snap = snapMeta{size: uint64(len(u.Checkpoint)), sum: xxh3.Hash(u.Checkpoint)}
		}
		old := l.sb.hs.Checkpoint
		if err := l.sb.write(&u.HardState, snap); err != nil {
			return err
		}
		if u.Checkpoint != nil {
			l.cpData = u.Checkpoint
			return l.compact(old)
		}
	}
	return nil
}

// check panics if u breaks Persist's contract.
func (l *Log) check(u *Update) {
	if u.Checkpoint != nil && (!u.HardStateChanged || u.HardState.Checkpoint == 0 || u.HardState.Checkpoint < l.sb.hs.Checkpoint) {
		panic(fmt.Sprintf("vsrlog: a checkpoint without a hard state that names it (op %d after %d)",
			u.HardState.Checkpoint, l.sb.hs.Checkpoint))
	}
	if u.Truncate && u.TruncateOp < l.base {
		panic(fmt.Sprintf("vsrlog: truncate above op %d, below the base op %d", u.TruncateOp, l.base))
	}
	for i, f := range u.Entries {
		op, err := checkPrepare(f)
		if err != nil {
			panic(fmt.Sprintf("vsrlog: entry %d is not a valid prepare: %v", i, err))
		}
		if op <= l.base || len(f) > MaxFrameSize {
			panic(fmt.Sprintf("vsrlog: entry %d: op %d at or below base %d, or %d bytes", i, op, l.base, len(f)))
		}
	}
	if u.HardStateChanged {
		checkHardState(&l.sb.hs, &u.HardState)
	}
}

// HardState returns the newest durable hard state.
func (l *Log) HardState() HardState { return l.sb.hs }

// Sequence returns the superblock sequence of the newest durable hard state.
func (l *Log) Sequence() uint64 { return l.sb.seq }

// Close closes the files without syncing anything: what Persist has not
// acknowledged may or may not survive.
func (l *Log) Close() error {
	if l.closed {
		return ErrClosed
	}
	l.closed = true
	return errors.Join(l.j.Close(), l.sb.close())
}
