package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// maxBatchSize bounds a batch record on disk: nothing larger can have been
// admitted (the frame cap).
const maxBatchSize = 64 << 20

// scanWindow is how much of a segment recovery reads at a time. A
// variable so tests can shrink it.
var scanWindow = 1 << 20

// recover loads every segment: sealed ones from their index, checked
// against their log (rebuilt from batch headers when they disagree), the
// active one by verifying every batch and truncating at the first bad one.
func (p *Partition) recover() error {
	bases, names, err := listSegments(p.fs, p.dir)
	if err != nil {
		return fmt.Errorf("partition: open %s: %w", p.dir, err)
	}
	if err := readPurged(p); err != nil {
		return err
	}
	if slices.Contains(names, purgeMarker) {
		p.rec.Segments = 1
		return finishPurge(p)
	}
	// An index whose log is gone (a crash between the two creates) is
	// stale; remove it so a later segment at that base starts clean.
	logs := map[string]bool{}
	for _, b := range bases {
		logs[segmentName(p.dir, b, indexSuffix)] = true
	}
	for _, n := range names {
		full := path.Join(p.dir, n)
		if path.Ext(n) == indexSuffix && !logs[full] {
			if err := p.fs.Remove(full); err != nil {
				return fmt.Errorf("partition: open %s: %w", p.dir, err)
			}
		}
	}
	// A truncation in progress (truncate.go): the segments above its
	// offset go before anything is loaded, so whichever of them it had
	// removed, the rest load as a contiguous log.
	truncTo, truncating, err := readTruncMarker(p.fs, p.dir, names)
	if err != nil {
		return err
	}
	if truncating {
		if bases, err = dropAbove(p.fs, p.dir, bases, truncTo); err != nil {
			return err
		}
	}
	if len(bases) == 0 {
		s, err := createSegment(p.fs, p.dir, 0)
		if err != nil {
			return err
		}
		p.segs = []*segment{s}
		p.rec.Segments = 1
		return nil
	}
	p.rec.Segments = len(bases)
	for i, b := range bases {
		s := newSegment(p.fs, p.dir, b)
		p.segs = append(p.segs, s)
		if i+1 < len(bases) {
			if err := p.loadSealed(s, bases[i+1]); err != nil {
				return err
			}
		} else if err := p.loadActive(s); err != nil {
			return err
		}
	}
	p.next = p.active().next
	p.lastTS = p.lastTimestamp()
	if truncating {
		p.rec.TruncatedTo, p.rec.Truncated = truncTo, true
		return p.finishTruncate(truncTo) // syncs the directory
	}
	if err := p.fs.SyncDir(p.dir); err != nil {
		return fmt.Errorf("partition: open %s: %w", p.dir, err)
	}
	return nil
}

// loadSealed loads a sealed segment whose successor starts at nextBase:
// its index, checked against its log, or rebuilt from the batch headers.
// The log is reached through the FileCache and stays open only as long
// as the cache keeps it.
func (p *Partition) loadSealed(s *segment, nextBase uint64) error {
	f, err := s.acquire(p.files)
	if err != nil {
		return err
	}
	defer s.release(p.files)
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("partition: open %s: %w", s.logName, err)
	}
	s.size = fi.Size()
	if ok, err := p.indexMatches(s, f, nextBase); ok || err != nil {
		return err
	}
	// Rebuild from the batch headers (checksums are not verified here:
	// the segment was synced whole before it was sealed, and Read verifies
	// every batch it serves).
	s.entries, s.next = s.entries[:0], s.base
	for pos := int64(0); pos < s.size; {
		var h wire.BatchHeader
		ok, err := readHeader(f, pos, &h)
		if err != nil {
			return fmt.Errorf("partition: read %s at %d: %w", s.logName, pos, err)
		}
		if !ok || h.BaseOffset != s.next || h.PartitionID != uint64(p.id) || h.MessageCount == 0 ||
			h.BatchLength < wire.BatchHeaderSize || h.BatchLength > uint64(s.size-pos) {
			return &CorruptError{Path: s.logName, Offset: pos, Reason: "bad batch header in a sealed segment"}
		}
		s.entries = append(s.entries, indexEntry{rel: uint32(h.BaseOffset - s.base), pos: uint32(pos), ts: h.BaseTimestamp})
		s.next += uint64(h.MessageCount)
		pos += int64(h.BatchLength)
	}
	if s.next != nextBase {
		return &CorruptError{Path: s.logName, Offset: s.size,
			Reason: fmt.Sprintf("sealed segment ends at message offset %d, the next one starts at %d", s.next, nextBase)}
	}
	p.rec.IndexesRebuilt++
	return s.writeIndex(p.fs)
}

// readHeader reads and decodes the batch header at pos. ok is false if
// the file ends first or the header does not decode; err is an I/O error.
func readHeader(f vfs.File, pos int64, h *wire.BatchHeader) (ok bool, err error) {
	var hb [wire.BatchHeaderSize]byte
	if n, err := f.ReadAt(hb[:], pos); n < len(hb) {
		if err == nil || errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, err
	}
	return h.Decode(hb[:]) == nil, nil
}

// indexMatches loads s's index file and checks it against the log f: well
// formed entries covering the file, the last one naming a batch that ends
// the file and the segment. A missing or damaged index does not match;
// err reports I/O failures only.
func (p *Partition) indexMatches(s *segment, f vfs.File, nextBase uint64) (bool, error) {
	b, err := vfs.ReadFile(p.fs, s.indexName)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("partition: read %s: %w", s.indexName, err)
	}
	if len(b) == 0 || len(b)%IndexEntrySize != 0 {
		return false, nil
	}
	s.entries = make([]indexEntry, 0, len(b)/IndexEntrySize)
	for i := 0; i < len(b); i += IndexEntrySize {
		e := decodeIndexEntry(b[i:])
		if n := len(s.entries); n == 0 && (e.rel != 0 || e.pos != 0) ||
			n > 0 && (e.rel <= s.entries[n-1].rel || e.pos <= s.entries[n-1].pos || e.ts < s.entries[n-1].ts) {
			return false, nil
		}
		s.entries = append(s.entries, e)
	}
	last := s.entries[len(s.entries)-1]
	var h wire.BatchHeader
	if ok, err := readHeader(f, int64(last.pos), &h); !ok || err != nil {
		return false, err
	}
	s.next = s.base + uint64(last.rel) + uint64(h.MessageCount)
	return h.BatchLength == uint64(s.size-int64(last.pos)) && h.BaseOffset == s.base+uint64(last.rel) &&
		h.BaseTimestamp == last.ts && h.PartitionID == uint64(p.id) && s.next == nextBase, nil
}

// loadActive opens the active segment and verifies every batch. At the
// first batch that fails it tells a torn tail from interior corruption
// (see the package doc): a torn tail is truncated away durably and
// reported in Recovery; corruption fails Open with a *CorruptError and
// changes nothing.
func (p *Partition) loadActive(s *segment) error {
	f, err := p.fs.OpenReadWrite(s.logName)
	if err != nil {
		return fmt.Errorf("partition: open %s: %w", s.logName, err)
	}
	s.log = f
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("partition: open %s: %w", s.logName, err)
	}
	size := fi.Size()
	w := window{f: f, size: size}
	lastTS := uint64(0)
	if n := len(p.segs); n > 1 {
		if e := p.segs[n-2].entries; len(e) > 0 {
			lastTS = e[len(e)-1].ts
		}
	}
	for pos := int64(0); pos < size; {
		h, reason, err := p.checkBatch(&w, pos, lastTS)
		if err != nil {
			return fmt.Errorf("partition: open %s: %w", s.logName, err)
		}
		if reason == "" && h.BaseOffset != s.next {
			reason = fmt.Sprintf("base offset %d, want %d", h.BaseOffset, s.next)
		}
		if reason != "" {
			if err := p.tornOrCorrupt(&w, s, pos, reason, lastTS); err != nil {
				return err
			}
			break
		}
		s.entries = append(s.entries, indexEntry{rel: uint32(s.next - s.base), pos: uint32(pos), ts: h.BaseTimestamp})
		s.next += uint64(h.MessageCount)
		lastTS = h.BaseTimestamp
		pos += int64(h.BatchLength)
		s.size = pos
	}
	p.rec.Batches = len(s.entries)
	s.synced = s.size
	if s.size < size {
		p.rec.TornBytes, p.rec.TornFile, p.rec.TornOffset = size-s.size, s.logName, s.size
		if err := f.Truncate(s.size); err != nil {
			return fmt.Errorf("partition: truncate %s: %w", s.logName, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("partition: truncate %s: %w", s.logName, err)
		}
	}
	return nil
}

// tornOrCorrupt decides about the first bad batch, at pos: interior
// corruption if a verifiable batch of this partition, later in the log
// than the bad one, starts anywhere after it; otherwise a torn tail.
func (p *Partition) tornOrCorrupt(w *window, s *segment, pos int64, reason string, lastTS uint64) error {
	for q := pos + 1; q+minBatchSize <= w.size; q++ {
		b, err := w.at(q, 8)
		if err != nil {
			return fmt.Errorf("partition: open %s: %w", s.logName, err)
		}
		if binary.LittleEndian.Uint64(b) != uint64(p.id) {
			continue // cheap filter: every batch starts with its partition id
		}
		if b, err = w.at(q, wire.BatchHeaderSize); err != nil {
			return fmt.Errorf("partition: open %s: %w", s.logName, err)
		}
		if !plausibleHeader(b, s.next, lastTS, w.size-q) {
			continue
		}
		h, why, err := p.checkBatch(w, q, lastTS)
		if err != nil {
			return fmt.Errorf("partition: open %s: %w", s.logName, err)
		}
		if why == "" && h.BaseOffset > s.next {
			return &CorruptError{Path: s.logName, Offset: pos,
				Reason: fmt.Sprintf("%s, and a valid batch at offset %d follows at byte %d", reason, h.BaseOffset, q)}
		}
	}
	return nil
}

// plausibleHeader is tornOrCorrupt's second filter, on the raw header b
// of a batch that would fit in room bytes: a base offset above after, a
// timestamp not below lastTS, a length in range and at least one
// message. It allocates nothing, so a long torn tail is scanned fast.
func plausibleHeader(b []byte, after, lastTS uint64, room int64) bool {
	n := binary.LittleEndian.Uint64(b[32:])
	return binary.LittleEndian.Uint64(b[8:]) > after && binary.LittleEndian.Uint64(b[16:]) >= lastTS &&
		n >= minBatchSize && n <= maxBatchSize && n <= uint64(room) && binary.LittleEndian.Uint32(b[48:]) > 0
}

// minBatchSize is the smallest batch record: a header and one message
// header.
const minBatchSize = wire.BatchHeaderSize + wire.MessageHeaderSize

// checkBatch verifies the batch at pos: layout, partition id, every
// checksum and a timestamp not below lastTS; the caller checks its base
// offset. reason is empty for a good batch and says what failed
// otherwise; err is an I/O error.
func (p *Partition) checkBatch(w *window, pos int64, lastTS uint64) (h wire.BatchHeader, reason string, err error) {
	if w.size-pos < minBatchSize {
		return h, "incomplete batch", nil
	}
	hb, err := w.at(pos, wire.BatchHeaderSize)
	if err != nil {
		return h, "", err
	}
	if err := h.Decode(hb); err != nil {
		return h, fmt.Sprintf("bad batch header: %v", err), nil
	}
	switch {
	case h.BatchLength < minBatchSize || h.BatchLength > maxBatchSize:
		return h, fmt.Sprintf("batch length %d out of range", h.BatchLength), nil
	case int64(h.BatchLength) > w.size-pos:
		return h, fmt.Sprintf("batch length %d runs past the end of the file", h.BatchLength), nil
	case h.PartitionID != uint64(p.id):
		return h, fmt.Sprintf("partition id %d, want %d", h.PartitionID, p.id), nil
	case h.BaseTimestamp < lastTS:
		return h, fmt.Sprintf("timestamp %d before the previous batch's %d", h.BaseTimestamp, lastTS), nil
	}
	rec, err := w.at(pos, int(h.BatchLength))
	if err != nil {
		return h, "", err
	}
	if err := wire.VerifyBatch(rec); err != nil {
		return h, fmt.Sprintf("checksum: %v", err), nil
	}
	return h, "", nil
}

// window reads a file through a buffer of scanWindow bytes.
type window struct {
	f     vfs.File
	size  int64
	start int64
	buf   []byte
}

// at returns n bytes at off, valid until the next call.
func (w *window) at(off int64, n int) ([]byte, error) {
	if off >= w.start && off+int64(n) <= w.start+int64(len(w.buf)) {
		return w.buf[off-w.start : off-w.start+int64(n)], nil
	}
	size := max(n, scanWindow)
	if rest := w.size - off; int64(size) > rest {
		size = int(rest)
	}
	if cap(w.buf) < size {
		w.buf = make([]byte, size)
	}
	w.buf = w.buf[:size]
	w.start = off
	if m, err := w.f.ReadAt(w.buf, off); m < size {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		w.buf = w.buf[:0]
		return nil, fmt.Errorf("read at %d: %w", off, err)
	}
	return w.buf[:n], nil
}
