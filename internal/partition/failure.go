package partition

import "fmt"

// ready returns nil if the partition can take a mutating call, first
// retrying the recovery from an earlier write failure; otherwise the
// error to return.
func (p *Partition) ready() error {
	if p.err != nil {
		return p.err
	}
	if p.failed != nil {
		return p.recoverFailure()
	}
	return nil
}

// fail records a write failure (afterSync: of a sync) and tries to
// recover at once, so the next call finds the partition usable if the
// disk is. If the recovery fails too, every later call retries it.
func (p *Partition) fail(err error, afterSync bool) {
	p.failed = err
	p.afterSync = p.afterSync || afterSync
	_ = p.recoverFailure() // on failure p.failed stays set; the next call retries
}

// recoverFailure brings the active segment back to a state that is known
// on disk and matches memory (the package doc, "Write failures", gives
// the reasoning; it mirrors internal/journal):
//
//   - A new segment's directory entry whose sync failed is synced again.
//   - After a failed write, every sync so far succeeded: the log is cut
//     back to the end of the last whole batch and synced, which makes the
//     earlier unsynced batches durable too.
//   - After a failed sync (also that one), the log is reopened, cut back
//     to the last synced batch, the cut synced, and the log's size and
//     last synced batch checked again; unsynced batches are dropped and
//     their offsets are given again.
//
// A synced batch found damaged makes the partition fail for good with a
// *CorruptError.
func (p *Partition) recoverFailure() error {
	if p.dirSync {
		if err := p.fs.SyncDir(p.dir); err != nil {
			return p.stillFailed(err)
		}
		p.dirSync = false
	}
	act := p.active()
	if !p.afterSync {
		if err := cutAndSync(act, act.size); err == nil {
			p.markSynced()
			p.failed = nil
			return nil
		}
		p.afterSync = true // the cut or its sync failed: go on as after a failed sync
	}
	if act.log != nil {
		act.log.Close() // its error says nothing more than the failure did
		act.log = nil
	}
	f, err := p.fs.OpenReadWrite(act.logName)
	if err != nil {
		return p.stillFailed(err)
	}
	act.log = f
	fi, err := f.Stat()
	if err != nil {
		return p.stillFailed(err)
	}
	if fi.Size() < act.synced {
		p.err = &CorruptError{Path: act.logName, Offset: fi.Size(),
			Reason: fmt.Sprintf("log is %d bytes after a failed sync, but %d were synced", fi.Size(), act.synced)}
		return p.err
	}
	if err := cutAndSync(act, act.synced); err != nil {
		return p.stillFailed(err)
	}
	keep := len(act.entries)
	for keep > 0 && int64(act.entries[keep-1].pos) >= act.synced {
		keep--
	}
	if err := p.checkLastSynced(act, keep); err != nil {
		return err
	}
	act.entries = act.entries[:keep]
	act.size = act.synced
	act.next = p.durable
	p.next = p.durable
	p.unsyncedMsgs, p.unsyncedBytes = 0, 0
	p.failed, p.afterSync = nil, false
	return nil
}

// stillFailed reports a recovery that did not complete.
func (p *Partition) stillFailed(err error) error {
	return fmt.Errorf("%w (recovery: %v)", p.failed, err)
}

func cutAndSync(s *segment, size int64) error {
	if err := s.log.Truncate(size); err != nil {
		return err
	}
	return s.log.Sync()
}

// checkLastSynced verifies the last batch to keep, entries[n-1] of the
// active segment, through the reopened log. A mismatch is corruption: the
// batch was synced.
func (p *Partition) checkLastSynced(s *segment, n int) error {
	if n == 0 {
		return nil
	}
	e := s.entries[n-1]
	end := s.synced
	b := make([]byte, end-int64(e.pos))
	if k, err := s.log.ReadAt(b, int64(e.pos)); k < len(b) {
		return p.stillFailed(fmt.Errorf("read %s at %d: %w", s.logName, e.pos, err))
	}
	if err := checkStored(b, p.id, s.base+uint64(e.rel)); err != nil {
		p.err = &CorruptError{Path: s.logName, Offset: int64(e.pos), Reason: fmt.Sprintf("synced batch fails its check after a failed sync: %v", err)}
		return p.err
	}
	return nil
}
