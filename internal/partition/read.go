package partition

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"github.com/shoal-io/shoal/internal/wire"
)

// Read appends to dst the batch records holding up to count messages from
// offset from on, in order, and returns how many messages they hold. A
// stored batch that straddles from or the count is cut: its record keeps
// base_offset and the frames' offset deltas, and gets a new message_count,
// batch_length and batch_checksum, so base_offset + offset_delta is still
// each message's offset. Reads stop early once MaxReadBytes is reached
// (never before the first batch). Offsets below the first stored one start
// at the first one; offsets at or past NextOffset return nothing.
func (p *Partition) Read(dst []byte, from uint64, count uint32) ([]byte, uint32, error) {
	if p.err == ErrClosed {
		return dst, 0, ErrClosed
	}
	from = max(from, p.segs[0].base)
	if count == 0 || from >= p.next {
		return dst, 0, nil
	}
	r := readState{dst: dst, from: from, count: count}
	si := sort.Search(len(p.segs), func(i int) bool { return p.segs[i].next > from })
	for ; si < len(p.segs) && r.got < r.count; si++ {
		s := p.segs[si]
		if s.next <= r.from {
			continue // empty (a new active segment)
		}
		if full, err := p.readSegment(s, &r); err != nil || full {
			return r.dst, r.got, err
		}
	}
	return r.dst, r.got, nil
}

// readState is a Read in progress.
type readState struct {
	dst   []byte
	from  uint64 // the next offset to read
	got   uint32 // messages appended to dst
	count uint32 // messages asked for
	read  int    // bytes appended to dst
}

// readSegment appends the batches of s from r.from on while r wants more
// and the byte limit allows; full reports the limit was reached. A sealed
// segment's log is pinned in the FileCache meanwhile.
func (p *Partition) readSegment(s *segment, r *readState) (full bool, err error) {
	f, err := s.acquire(p.files)
	if err != nil {
		return false, err
	}
	defer s.release(p.files)
	for bi := s.find(r.from); bi < len(s.entries) && r.got < r.count; bi++ {
		first, n, start, end := s.batch(bi)
		size := int(end - start)
		if r.got > 0 && r.read+size > p.cfg.MaxReadBytes {
			return true, nil
		}
		skip := r.from - first
		take := min(n-skip, uint64(r.count-r.got))
		r.dst = slices.Grow(r.dst, size)
		buf := r.dst[len(r.dst) : len(r.dst)+size]
		if m, err := f.ReadAt(buf, start); m < size {
			return false, fmt.Errorf("partition: read %s at %d: %w", s.logName, start, err)
		}
		// Sealed segments are not verified at Open; nothing damaged is
		// ever served.
		if err := checkStored(buf, p.id, first); err != nil {
			return false, &CorruptError{Path: s.logName, Offset: start, Reason: err.Error()}
		}
		if skip > 0 || take < n {
			if size, err = cutBatch(buf, skip, take); err != nil {
				return false, &CorruptError{Path: s.logName, Offset: start, Reason: err.Error()}
			}
		}
		r.dst = r.dst[:len(r.dst)+size]
		r.got += uint32(take)
		r.read += size
		r.from = first + skip + take
	}
	return false, nil
}

// checkStored verifies a batch record read back from a segment: every
// checksum, and the stamped partition id and base offset.
func checkStored(b []byte, id uint32, first uint64) error {
	if err := wire.VerifyBatch(b); err != nil {
		return err
	}
	if pid, base := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]); pid != uint64(id) || base != first {
		return fmt.Errorf("batch of partition %d at offset %d, want %d at %d", pid, base, id, first)
	}
	return nil
}

// cutBatch rewrites the batch record in b in place to hold only take
// frames after the first skip, and returns its new length.
func cutBatch(b []byte, skip, take uint64) (int, error) {
	var h wire.BatchHeader
	if err := h.Decode(b); err != nil {
		return 0, err
	}
	frames := b[wire.BatchHeaderSize:]
	from, to := -1, 0
	off := 0
	for i := uint64(0); i < skip+take; i++ {
		if i == skip {
			from = off
		}
		_, next, err := wire.ParseMessage(frames, off)
		if err != nil {
			return 0, err
		}
		off = next
	}
	to = off
	n := copy(frames, frames[from:to])
	h.MessageCount = uint32(take)
	h.BatchLength = uint64(wire.BatchHeaderSize + n)
	sum, err := wire.BatchChecksum(&h, frames[:n])
	if err != nil {
		return 0, err
	}
	h.BatchChecksum = sum
	h.Put(b)
	return int(h.BatchLength), nil
}

// OffsetAt returns the first offset whose timestamp (its batch's
// base_timestamp) is at or after ts, or NextOffset if there is none.
func (p *Partition) OffsetAt(ts uint64) uint64 {
	// Timestamps never decrease, across segments too.
	si := sort.Search(len(p.segs), func(i int) bool {
		e := p.segs[i].entries
		return len(e) > 0 && e[len(e)-1].ts >= ts
	})
	if si == len(p.segs) {
		return p.next
	}
	s := p.segs[si]
	bi := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].ts >= ts })
	return s.base + uint64(s.entries[bi].rel)
}

// StartOffset resolves a polling strategy to the offset a poll of count
// messages starts at (wire.md §3.4): Offset from its value, Timestamp from
// the first message at or after it, First from the first message, Last
// from count messages before the end, and Next one past the consumer's
// stored offset (from the first message if it has none).
func (p *Partition) StartOffset(s wire.PollingStrategy, count uint32, stored uint64, hasStored bool) uint64 {
	first := p.segs[0].base
	switch s.Kind {
	case wire.PollOffset:
		return s.Value
	case wire.PollTimestamp:
		return p.OffsetAt(s.Value)
	case wire.PollLast:
		if p.next-first <= uint64(count) {
			return first
		}
		return p.next - uint64(count)
	case wire.PollNext:
		if hasStored {
			return stored + 1
		}
		return first
	default: // PollFirst
		return first
	}
}

// PollRequest is what a PollMessages request asks of one partition.
type PollRequest struct {
	Strategy wire.PollingStrategy
	Count    uint32
	// Consumer keys the stored offset Next continues from and AutoCommit
	// stores.
	Consumer   ConsumerKey
	AutoCommit bool
	// Pending, with HasPending, is an offset stored for Consumer that is
	// not here yet (a cluster's store still being replicated): Next
	// continues from it instead of the stored one.
	Pending    uint64
	HasPending bool
}

// PollResult describes a poll reply.
type PollResult struct {
	Messages uint32
	First    uint64 // offset of the first message, when Messages > 0
}

// Poll appends a whole PollMessages reply body for this partition:
// [partition_id u32][current_offset u64][messages_count u32][records...]
// (wire.md §3.4). With AutoCommit it stores the last returned offset at
// AckNone (visible at once, synced with the next sync).
func (p *Partition) Poll(dst []byte, r PollRequest) ([]byte, PollResult, error) {
	stored, has := p.ConsumerOffset(r.Consumer)
	if r.HasPending {
		stored, has = r.Pending, true
	}
	from := max(p.StartOffset(r.Strategy, r.Count, stored, has), p.segs[0].base)
	start := len(dst)
	reply := wire.PollReply{PartitionID: p.id, CurrentOffset: p.CurrentOffset()}
	dst = reply.Append(dst)
	dst, n, err := p.Read(dst, from, r.Count)
	if err != nil {
		return dst[:start], PollResult{}, err
	}
	binary.LittleEndian.PutUint32(dst[start+12:], n)
	res := PollResult{Messages: n, First: from}
	if r.AutoCommit && n > 0 {
		if err := p.StoreOffset(r.Consumer, from+uint64(n)-1, AckNone); err != nil {
			return dst[:start], PollResult{}, err
		}
	}
	return dst, res, nil
}
