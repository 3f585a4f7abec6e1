package partition

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// purgeMarker is an empty file whose presence means a Purge began and must
// be finished: Open completes it before recovering.
const purgeMarker = "purging"

// Purge deletes every message and consumer offset and leaves one empty
// segment at offset 0 (PurgeTopic and PurgeStream, as Iggy does). It is
// atomic under a crash: a marker file is made durable first, and Open
// finishes an interrupted purge.
func (p *Partition) Purge() error {
	if err := p.ready(); err != nil {
		return err
	}
	marker := path.Join(p.dir, purgeMarker)
	f, err := p.fs.Create(marker)
	if err != nil {
		return fmt.Errorf("partition: purge %s: %w", p.dir, err)
	}
	if err := f.Close(); err != nil {
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

// finishPurge removes every segment and the offsets log, creates segment
// 0 and removes the marker, durably.
func finishPurge(p *Partition) error {
	names, err := p.fs.List(p.dir)
	if err != nil {
		return fmt.Errorf("partition: purge %s: %w", p.dir, err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, logSuffix) || strings.HasSuffix(n, indexSuffix) || strings.HasPrefix(n, offsetsFile) {
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
	if err := p.fs.Remove(path.Join(p.dir, purgeMarker)); err != nil {
		return fmt.Errorf("partition: purge %s: %w", p.dir, err)
	}
	return p.fs.SyncDir(p.dir)
}
