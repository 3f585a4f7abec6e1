package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"

	"github.com/shoal-io/shoal/internal/vfs"
)

// truncMarker is a file whose presence means a TruncateTo began and must
// be finished: Open completes it once the segments are loaded. It holds
// the offset to truncate to (u64 LE), and is written whole or not at all
// (vfs.WriteFileSync).
const truncMarker = "truncating"

var (
	// ErrTruncateAhead is returned by TruncateTo for an offset above
	// NextOffset: truncation cannot fill a gap.
	ErrTruncateAhead = errors.New("partition: truncation above the next offset")
	// ErrTruncateCompacted is returned by TruncateTo for an offset below
	// the first retained segment's base: retention already deleted
	// messages the caller says the partition holds, and truncating to an
	// empty partition there would give their offsets to other messages.
	ErrTruncateCompacted = errors.New("partition: truncation below the first retained offset")
	// ErrNotBoundary is returned by TruncateTo for an offset inside a
	// stored batch: a partition is only ever cut between whole batches.
	ErrNotBoundary = errors.New("partition: truncation offset is not a batch boundary")
)

// TruncateTo drops every message at offset next and above, so that
// NextOffset and DurableOffset are next when it returns: the truncation,
// and every message below next, is durable. The cluster calls it when it
// rebuilds a partition from a VSR checkpoint that covers exactly the
// offsets below next, before it applies the journal's later operations
// again; a tail applied before a crash but not covered by the checkpoint
// goes.
//
// next must be a batch boundary (ErrNotBoundary), at most NextOffset
// (ErrTruncateAhead) and at least the first retained segment's base
// (ErrTruncateCompacted); at that base the partition is left empty with
// NextOffset next, so no offset below it is given again. An error for
// these leaves the partition unchanged. next == NextOffset does nothing
// but Sync (no I/O if every message is durable already).
//
// Segments above the one holding next are removed whole; that segment's
// log is cut at next's batch and becomes the active segment (a sealed
// segment's index file is removed: an active segment's index lives in
// memory). The durable steps, in order:
//
//  1. The truncating marker, holding next, is written and synced, and
//     the directory synced (vfs.WriteFileSync). A crash before this
//     leaves the old state; from here the truncation is decided.
//  2. Each segment above the cut is removed, log then index, highest
//     first.
//  3. The cut segment's index file is removed and its log truncated at
//     next's batch and synced.
//  4. The directory is synced: the removals are durable.
//  5. The marker is removed and the directory synced.
//
// A crash between 1 and 5 leaves the marker: Open removes every segment
// whose base is above next (whichever of them step 2 left), loads the
// rest, cuts the last one at next and finishes with 4 and 5, so a crash
// leaves the old state or the truncated one. If the marker cannot be
// written, TruncateTo removes what it may have left and returns the
// error with the partition unchanged; if that cleanup, or any step after
// 1, fails, the partition stops (Err) until it is reopened, and Open
// finishes the truncation if its marker is durable.
//
// Consumer offsets are not touched. The timestamp floor for later
// appends is recomputed from the new last batch, as Open computes it, so
// the partition is exactly as it was when next was its next offset: an
// operation applied again stamps what it stamped the first time.
// Timestamps stay monotonic, since the dropped batches are not served.
func (p *Partition) TruncateTo(next uint64) error {
	if err := p.ready(); err != nil {
		return err
	}
	if next == p.next {
		return p.Sync()
	}
	if _, _, err := p.cutPoint(next); err != nil {
		return err
	}
	marker := path.Join(p.dir, truncMarker)
	if err := vfs.WriteFileSync(p.fs, marker, binary.LittleEndian.AppendUint64(nil, next)); err != nil {
		return p.undoMarker(fmt.Errorf("partition: truncate %s to %d: %w", p.dir, next, err))
	}
	if err := p.finishTruncate(next); err != nil {
		p.err = err
		return err
	}
	return nil
}

// cutPoint locates next in the loaded segments: the segment that holds
// it (the last one whose base is at or below it) and the index of the
// batch that starts at it (len(entries) if next ends the segment).
func (p *Partition) cutPoint(next uint64) (seg, batch int, err error) {
	switch {
	case next > p.next:
		return 0, 0, fmt.Errorf("%w: %d, next offset %d", ErrTruncateAhead, next, p.next)
	case next < p.segs[0].base:
		return 0, 0, fmt.Errorf("%w: %d, first retained %d", ErrTruncateCompacted, next, p.segs[0].base)
	}
	seg = sort.Search(len(p.segs), func(i int) bool { return p.segs[i].base > next }) - 1
	s := p.segs[seg]
	if next == s.next {
		return seg, len(s.entries), nil
	}
	rel := next - s.base
	batch = sort.Search(len(s.entries), func(i int) bool { return uint64(s.entries[i].rel) >= rel })
	if batch == len(s.entries) || uint64(s.entries[batch].rel) != rel {
		first, count, _, _ := s.batch(max(batch-1, 0))
		return 0, 0, fmt.Errorf("%w: %d is inside the batch of offsets %d..%d", ErrNotBoundary, next, first, first+count-1)
	}
	return seg, batch, nil
}

// finishTruncate carries out steps 2 to 5 of TruncateTo on the loaded
// segments, for TruncateTo and for Open. Open may find the cut made
// already, or fewer messages than next (a torn tail the truncation would
// have dropped anyway); then there is nothing to cut, but the active
// segment may still have the index file it had when it was sealed.
func (p *Partition) finishTruncate(next uint64) error {
	if next < p.next {
		seg, batch, err := p.cutPoint(next)
		if err != nil {
			return fmt.Errorf("partition: truncate %s to %d: %w", p.dir, next, err)
		}
		if err := p.cutTail(seg, batch, next); err != nil {
			return err
		}
	} else if err := removeIfPresent(p.fs, p.active().indexName); err != nil {
		return fmt.Errorf("partition: truncate %s: %w", p.active().indexName, err)
	}
	if err := p.fs.Remove(path.Join(p.dir, truncMarker)); err != nil {
		return fmt.Errorf("partition: truncate %s: %w", p.dir, err)
	}
	if err := p.fs.SyncDir(p.dir); err != nil {
		return fmt.Errorf("partition: truncate %s: %w", p.dir, err)
	}
	return nil
}

// cutTail removes the segments above segs[seg] and cuts segs[seg] before
// its batch-th batch, making it the active segment (steps 2 to 4 of
// TruncateTo). Memory is updated first, so that a failure, which stops
// the partition, never lets Read serve a message at or above next.
func (p *Partition) cutTail(seg, batch int, next uint64) error {
	above := append([]*segment(nil), p.segs[seg+1:]...)
	clear(p.segs[seg+1:])
	p.segs = p.segs[:seg+1]
	s := p.segs[seg]
	pos := s.size
	if batch < len(s.entries) {
		pos = int64(s.entries[batch].pos)
	}
	s.entries = s.entries[:batch]
	s.size, s.synced, s.next = pos, pos, next
	p.next, p.durable = next, next
	p.unsyncedMsgs, p.unsyncedBytes = 0, 0
	p.lastTS = p.lastTimestamp()

	for i := len(above) - 1; i >= 0; i-- {
		// Their bytes are being removed: a close error says nothing that
		// matters.
		above[i].close(p.files)
		if err := removeSegmentFiles(p.fs, above[i].base, p.dir); err != nil {
			return err
		}
	}
	if s.log == nil {
		// A sealed segment becomes the active one: its log is opened for
		// appends; the read-only copy the cache may hold goes.
		p.files.drop(&s.sealed)
		f, err := p.fs.OpenReadWrite(s.logName)
		if err != nil {
			return fmt.Errorf("partition: truncate %s: %w", s.logName, err)
		}
		s.log = f
	}
	if err := removeIfPresent(p.fs, s.indexName); err != nil {
		return fmt.Errorf("partition: truncate %s: %w", s.indexName, err)
	}
	if err := cutAndSync(s, pos); err != nil {
		return fmt.Errorf("partition: truncate %s: %w", s.logName, err)
	}
	if err := p.fs.SyncDir(p.dir); err != nil {
		return fmt.Errorf("partition: truncate %s: %w", p.dir, err)
	}
	return nil
}

// undoMarker handles a marker that could not be written: the marker may
// exist, synced or not, so it is removed and the directory synced, and
// err is returned with the partition unchanged. If that fails too, a
// later directory sync could make the marker durable and the next Open
// would truncate: the partition stops (p.err), so nothing is appended
// that such a truncation would drop.
func (p *Partition) undoMarker(err error) error {
	marker := path.Join(p.dir, truncMarker)
	_ = removeIfPresent(p.fs, marker+".tmp") // never read; only tidied
	if e := removeIfPresent(p.fs, marker); e != nil {
		p.err = fmt.Errorf("%w (removing the marker: %v)", err, e)
		return p.err
	}
	if e := p.fs.SyncDir(p.dir); e != nil {
		p.err = fmt.Errorf("%w (removing the marker: %v)", err, e)
		return p.err
	}
	return err
}

// readTruncMarker returns the offset an interrupted TruncateTo was
// truncating to, if its marker is among names.
func readTruncMarker(fsys vfs.FS, dir string, names []string) (next uint64, ok bool, err error) {
	if !slices.Contains(names, truncMarker) {
		return 0, false, nil
	}
	name := path.Join(dir, truncMarker)
	b, err := vfs.ReadFile(fsys, name)
	if err != nil {
		return 0, false, fmt.Errorf("partition: open %s: %w", dir, err)
	}
	if len(b) != 8 {
		return 0, false, &CorruptError{Path: name, Reason: fmt.Sprintf("%d bytes, want 8", len(b))}
	}
	return binary.LittleEndian.Uint64(b), true, nil
}

// dropAbove removes, for Open finishing a truncation to next, the files
// of every segment whose base is above next, and returns the bases kept.
// At least the segment holding next must remain.
func dropAbove(fsys vfs.FS, dir string, bases []uint64, next uint64) ([]uint64, error) {
	keep := sort.Search(len(bases), func(i int) bool { return bases[i] > next })
	if keep == 0 {
		return nil, &CorruptError{Path: path.Join(dir, truncMarker),
			Reason: fmt.Sprintf("truncation to %d is below every segment", next)}
	}
	for i := len(bases) - 1; i >= keep; i-- {
		if err := removeSegmentFiles(fsys, bases[i], dir); err != nil {
			return nil, err
		}
	}
	return bases[:keep], nil
}

// removeSegmentFiles removes the log, then the index, of the segment at
// base; either may be gone already.
func removeSegmentFiles(fsys vfs.FS, base uint64, dir string) error {
	for _, suffix := range []string{logSuffix, indexSuffix} {
		name := segmentName(dir, base, suffix)
		if err := removeIfPresent(fsys, name); err != nil {
			return fmt.Errorf("partition: truncate %s: %w", name, err)
		}
	}
	return nil
}

func removeIfPresent(fsys vfs.FS, name string) error {
	if err := fsys.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// lastTimestamp returns the last stored batch's base_timestamp, the floor
// for the next Append's (0 if no batch is stored).
func (p *Partition) lastTimestamp() uint64 {
	for i := len(p.segs) - 1; i >= 0; i-- {
		if e := p.segs[i].entries; len(e) > 0 {
			return e[len(e)-1].ts
		}
	}
	return 0
}
