package partition

import (
	"errors"
	"fmt"
	"io/fs"
)

// DeleteSegments removes up to count of the oldest sealed segments and
// returns how many went (Iggy's DeleteSegments). The active segment always
// stays, and so does any segment holding a message some consumer or group
// has not consumed yet: with consumer offsets stored, a segment goes only
// if its last offset is at or below the lowest of them (the barrier Iggy
// keeps). Later reads of removed offsets start at the first one kept.
//
// Each segment goes oldest first, log then index, and the directory is
// synced at the end: a crash leaves the oldest ones removed, and Open
// drops an index whose log is gone. A failure stops the partition until
// it is reopened.
func (p *Partition) DeleteSegments(count uint32) (int, error) {
	return p.removeLeading(func(i int, _ *segment) bool { return i < int(count) })
}

// Retain enforces a topic's retention at now (µs since the Unix epoch):
// it removes the oldest sealed segments whose newest batch is older than
// expiry µs (0 keeps every segment), and then the oldest sealed segments
// while the sealed ones hold more than maxBytes (0: no bound; the active
// segment's bytes are not counted, since they cannot be reclaimed). The
// consumer barrier of DeleteSegments applies. It returns how many
// segments went.
func (p *Partition) Retain(now, expiry, maxBytes uint64) (int, error) {
	var sealed uint64
	for _, s := range p.segs[:len(p.segs)-1] {
		sealed += uint64(s.size)
	}
	cutoff := now - min(now, expiry) // batches stamped at or before it have expired
	return p.removeLeading(func(_ int, s *segment) bool {
		expired := expiry != 0 && len(s.entries) > 0 && s.entries[len(s.entries)-1].ts <= cutoff
		oversized := maxBytes != 0 && sealed > maxBytes
		sealed -= uint64(s.size)
		return expired || oversized
	})
}

// removeLeading removes the leading sealed segments for which remove
// holds, stopping at the first it refuses, at the active segment and at
// the consumer barrier (see DeleteSegments).
func (p *Partition) removeLeading(remove func(i int, s *segment) bool) (int, error) {
	if err := p.ready(); err != nil {
		return 0, err
	}
	barrier, hasBarrier := p.offsets.min()
	n := 0
	for n < len(p.segs)-1 {
		s := p.segs[n]
		if hasBarrier && s.next-1 > barrier || !remove(n, s) {
			break
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	for _, s := range p.segs[:n] {
		if err := s.close(p.files); err != nil {
			p.err = fmt.Errorf("partition: delete segment %s: %w", s.logName, err)
			return 0, p.err
		}
		for _, name := range []string{s.logName, s.indexName} {
			if err := p.fs.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				p.err = fmt.Errorf("partition: delete segment %s: %w", name, err)
				return 0, p.err
			}
		}
	}
	clear(p.segs[:n])
	p.segs = p.segs[n:]
	if err := p.fs.SyncDir(p.dir); err != nil {
		p.err = fmt.Errorf("partition: delete segments in %s: %w", p.dir, err)
		return 0, p.err
	}
	return n, nil
}

// min returns the lowest stored consumer or group offset.
func (o *offsetStore) min() (uint64, bool) {
	low, ok := uint64(0), false
	for _, off := range o.m {
		if !ok || off < low {
			low, ok = off, true
		}
	}
	return low, ok
}
