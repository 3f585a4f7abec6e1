package partition

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Copying a partition between replicas. A cluster replica that fell
// behind its peers' checkpoints fetches the messages it lacks from a
// peer's partition: ReadStored on the peer, AppendStored here. A batch
// travels as the peer stored it — offsets, timestamps, checksums — so the
// copy is the same partition, batch for batch, as if this replica had
// applied the operations itself.

// ErrCompacted is returned by ReadStored for an offset below the first
// retained segment: retention deleted it.
var ErrCompacted = errors.New("partition: offset below the first retained segment")

// ReadStored appends to dst the stored batch records from offset from
// on, whole and unchanged, and returns how many messages they hold. It
// stops before a record that would take dst past maxBytes (at least one
// record is read) and before a record whose messages reach end. from
// must be where a record starts (ErrNotBoundary), or NextOffset (nothing
// is read), and at or above the first retained segment's base
// (ErrCompacted). Every record is verified as Read verifies it.
func (p *Partition) ReadStored(dst []byte, from, end uint64, maxBytes int) ([]byte, uint32, error) {
	if p.err == ErrClosed {
		return dst, 0, ErrClosed
	}
	if from < p.segs[0].base {
		return dst, 0, ErrCompacted
	}
	end = min(end, p.next)
	if from >= end {
		if from > p.next {
			return dst, 0, ErrTruncateAhead
		}
		return dst, 0, nil
	}
	var got uint32
	read := 0
	si := sort.Search(len(p.segs), func(i int) bool { return p.segs[i].next > from })
	for ; si < len(p.segs); si++ {
		s := p.segs[si]
		if s.next <= from {
			continue
		}
		full, err := p.readWhole(s, &dst, &from, end, &got, &read, maxBytes)
		if err != nil || full || from >= end {
			return dst, got, err
		}
	}
	return dst, got, nil
}

// readWhole appends s's records from *from on (see ReadStored) and
// advances *from past them; full reports that a limit stopped it.
func (p *Partition) readWhole(s *segment, dst *[]byte, from *uint64, end uint64, got *uint32, read *int, maxBytes int) (full bool, err error) {
	f, err := s.acquire(p.files)
	if err != nil {
		return false, err
	}
	defer s.release(p.files)
	bi := s.find(*from)
	if first, _, _, _ := s.batch(bi); first != *from {
		return false, fmt.Errorf("%w: offset %d inside the batch at %d", ErrNotBoundary, *from, first)
	}
	for ; bi < len(s.entries); bi++ {
		first, n, start, stop := s.batch(bi)
		size := int(stop - start)
		if first+n > end || (*read > 0 && *read+size > maxBytes) {
			return true, nil
		}
		*dst = slices.Grow(*dst, size)
		buf := (*dst)[len(*dst) : len(*dst)+size]
		if m, err := f.ReadAt(buf, start); m < size {
			return false, fmt.Errorf("partition: read %s at %d: %w", s.logName, start, err)
		}
		if err := checkStored(buf, p.id, first); err != nil {
			return false, &CorruptError{Path: s.logName, Offset: start, Reason: err.Error()}
		}
		*dst = (*dst)[:len(*dst)+size]
		*got += uint32(n)
		*read += size
		*from = first + n
	}
	return false, nil
}

// AppendStored appends a batch record another replica of this partition
// stored (ReadStored on its side) as it is: it must be well formed and
// intact (every checksum), carry this partition's id, start at
// NextOffset and not go back in time; otherwise ErrBatch and nothing
// changes. Syncing follows the policy, as Append's.
func (p *Partition) AppendStored(batch []byte) (AppendResult, error) {
	if err := p.ready(); err != nil {
		return AppendResult{}, err
	}
	h, err := decodeBatch(batch)
	if err != nil {
		return AppendResult{}, err
	}
	if err := checkStored(batch, p.id, p.next); err != nil {
		return AppendResult{}, fmt.Errorf("%w: %v", ErrBatch, err)
	}
	if h.BaseTimestamp < p.lastTS {
		return AppendResult{}, fmt.Errorf("%w: timestamp %d before the last batch's %d", ErrBatch, h.BaseTimestamp, p.lastTS)
	}
	return p.write(batch, h.MessageCount, h.BaseTimestamp)
}
