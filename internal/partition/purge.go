package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/shoal-io/shoal/internal/vfs"
)

// purgeMarker is a file whose presence means a Purge began and must be
// finished: Open completes it before recovering. It holds the purge's
// operation number (u64 LE; empty for a purge without one).
const purgeMarker = "purging"

// purgedFile holds the operation number (u64 LE) of the latest finished
// purge, so a purge applied again (a metadata operation re-applied after
// a crash) is recognised and skipped.
const purgedFile = "purged"

// Purge deletes every message and consumer offset and leaves one empty
// segment at offset 0 (PurgeTopic and PurgeStream, as Iggy does). It is
// atomic under a crash: a marker file is made durable first, and Open
// finishes an interrupted purge.
//
// op is the number of the committed metadata operation that asked for it
// (0: none). A purge whose op is not above the latest finished purge's
// was done already and does nothing: after a crash the metadata group
// applies again the operations its durable commit point did not cover,
// and purging again would delete messages appended since.
func (p *Partition) Purge(op uint64) error {
	if err := p.ready(); err != nil {
		return err
	}
	if op != 0 && op <= p.purgedAt {
		return nil
	}
	marker := path.Join(p.dir, purgeMarker)
	if err := vfs.WriteFileSync(p.fs, marker, binary.LittleEndian.AppendUint64(nil, op)); err != nil {
		return fmt.Errorf("partition: purge %s: %w", p.dir, err)
	}
	if err := p.fs.SyncDir(p.dir); err != nil {
		return fmt.Errorf("partition: purge %s: %w", p.dir, err)
	}
	// From here the purge is decided; a failure poisons the partition and
	// the next Open finishes it.
	if p.offsets.j != nil {
		p.offsets.j.Close()
	}
	p.offsets = nil
	p.closeFiles()
	p.segs = nil
	if err := finishPurge(p); err != nil {
		p.err = err
		return err
	}
	offs, err := openOffsets(p.fs, p.dir)
	if err != nil {
		p.err = err
		return err
	}
	p.offsets = offs
	p.next, p.durable, p.lastTS, p.unsyncedMsgs, p.unsyncedBytes = 0, 0, 0, 0, 0
	return nil
}

// PurgedAt returns the operation number of the latest finished purge (0 if
// none had one).
func (p *Partition) PurgedAt() uint64 { return p.purgedAt }

// readPurged loads the latest finished purge's operation number.
func readPurged(p *Partition) error {
	b, err := vfs.ReadFile(p.fs, path.Join(p.dir, purgedFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("partition: open %s: %w", p.dir, err)
	case len(b) != 8:
		return &CorruptError{Path: path.Join(p.dir, purgedFile), Reason: fmt.Sprintf("%d bytes, want 8", len(b))}
	}
	p.purgedAt = binary.LittleEndian.Uint64(b)
	return nil
}

// finishPurge removes every segment and the offsets log, creates segment
// 0 and removes the marker, durably. A truncation marker goes too: it
// cannot be there (a failed TruncateTo stops the partition, so no Purge
// follows it before Open finishes it), and would name offsets the purge
// removed.
func finishPurge(p *Partition) error {
	names, err := p.fs.List(p.dir)
	if err != nil {
		return fmt.Errorf("partition: purge %s: %w", p.dir, err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, logSuffix) || strings.HasSuffix(n, indexSuffix) || strings.HasPrefix(n, offsetsFile) ||
			n == truncMarker {
			if err := p.fs.Remove(path.Join(p.dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("partition: purge %s: %w", p.dir, err)
			}
		}
	}
	s, err := createSegment(p.fs, p.dir, 0) // syncs the directory
	if err != nil {
		return err
	}
	p.segs = []*segment{s}
	// The purge's op becomes the latest finished one before the marker
	// goes (a marker from an older build is empty: no op).
	if b, err := vfs.ReadFile(p.fs, path.Join(p.dir, purgeMarker)); err == nil && len(b) == 8 {
		if op := binary.LittleEndian.Uint64(b); op > p.purgedAt {
			if err := vfs.WriteFileSync(p.fs, path.Join(p.dir, purgedFile), b); err != nil {
				return fmt.Errorf("partition: purge %s: %w", p.dir, err)
			}
			p.purgedAt = op
		}
	}
	if err := p.fs.Remove(path.Join(p.dir, purgeMarker)); err != nil {
		return fmt.Errorf("partition: purge %s: %w", p.dir, err)
	}
	return p.fs.SyncDir(p.dir)
}
