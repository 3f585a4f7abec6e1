package partition

import (
	"encoding/binary"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/shoal-io/shoal/internal/vfs"
)

// indexEntry is one batch in a segment (the .index entry of the package
// doc, held in memory for every segment).
type indexEntry struct {
	rel uint32 // base_offset - segment base
	pos uint32 // byte position in the .log
	ts  uint64 // base_timestamp
}

func (e indexEntry) append(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, e.rel)
	b = binary.LittleEndian.AppendUint32(b, e.pos)
	return binary.LittleEndian.AppendUint64(b, e.ts)
}

func decodeIndexEntry(b []byte) indexEntry {
	return indexEntry{
		rel: binary.LittleEndian.Uint32(b),
		pos: binary.LittleEndian.Uint32(b[4:]),
		ts:  binary.LittleEndian.Uint64(b[8:]),
	}
}

// segment is one .log file and its index.
//
// Invariants:
//  1. entries[0].rel == 0 and entries[0].pos == 0 when entries is non-empty;
//     rel and pos strictly increase, ts never decreases.
//  2. next == base + messages in the segment; size == log file size.
//  3. log is open (for appends) exactly while the segment is active; a
//     sealed segment's log is reached through sealed and the FileCache.
//  4. The active segment's index lives in entries only; its .index file
//     is written, synced and closed when the segment is sealed.
type segment struct {
	base      uint64
	next      uint64
	size      int64
	synced    int64 // bytes of the active log known durable; <= size
	logName   string
	indexName string
	log       vfs.File   // the active segment's log; nil once sealed
	sealed    cachedFile // a sealed segment's log, opened on demand
	entries   []indexEntry
}

func segmentName(dir string, base uint64, suffix string) string {
	s := strconv.FormatUint(base, 10)
	return path.Join(dir, strings.Repeat("0", nameDigits-len(s))+s+suffix)
}

// parseSegmentName returns the base offset of a .log file name.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, logSuffix)
	if !ok || len(digits) != nameDigits {
		return 0, false
	}
	base, err := strconv.ParseUint(digits, 10, 64)
	return base, err == nil
}

// listSegments returns the base offsets of the .log files in dir, sorted.
func listSegments(fsys vfs.FS, dir string) ([]uint64, []string, error) {
	names, err := fsys.List(dir)
	if err != nil {
		return nil, nil, err
	}
	var bases []uint64
	for _, n := range names {
		if b, ok := parseSegmentName(n); ok {
			bases = append(bases, b)
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	return bases, names, nil
}

func newSegment(fsys vfs.FS, dir string, base uint64) *segment {
	s := &segment{base: base, next: base, logName: segmentName(dir, base, logSuffix), indexName: segmentName(dir, base, indexSuffix)}
	s.sealed = cachedFile{fs: fsys, name: s.logName}
	return s
}

// createSegment creates an empty active segment at base and syncs the
// directory, so it exists before anything is written to it.
func createSegment(fsys vfs.FS, dir string, base uint64) (*segment, error) {
	s := newSegment(fsys, dir, base)
	var err error
	if s.log, err = fsys.Create(s.logName); err != nil {
		return nil, fmt.Errorf("partition: create %s: %w", s.logName, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		s.log.Close()
		return nil, fmt.Errorf("partition: create %s: %w", s.logName, err)
	}
	return s, nil
}

// appendBatch writes a stamped batch to the active segment's log and
// records its index entry in memory.
func (s *segment) appendBatch(batch []byte, base, ts uint64, count uint32) error {
	if _, err := s.log.Write(batch); err != nil {
		return err
	}
	s.entries = append(s.entries, indexEntry{rel: uint32(base - s.base), pos: uint32(s.size), ts: ts})
	s.size += int64(len(batch))
	s.next = base + uint64(count)
	return nil
}

// writeIndex writes s's index file from s.entries and syncs it: when s is
// sealed, and when a sealed index is rebuilt.
func (s *segment) writeIndex(fsys vfs.FS) error {
	f, err := fsys.Create(s.indexName)
	if err != nil {
		return fmt.Errorf("partition: write %s: %w", s.indexName, err)
	}
	b := make([]byte, 0, len(s.entries)*IndexEntrySize)
	for _, e := range s.entries {
		b = e.append(b)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("partition: write %s: %w", s.indexName, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("partition: write %s: %w", s.indexName, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("partition: write %s: %w", s.indexName, err)
	}
	return nil
}

// close closes s's files: the active log, and the log as the cache holds
// it (a sealed segment's, or an active one read while its own file was
// closed by a recovery that could not reopen it).
func (s *segment) close(c *FileCache) error {
	err := c.drop(&s.sealed)
	if s.log != nil {
		if e := s.log.Close(); err == nil {
			err = e
		}
		s.log = nil
	}
	return err
}

// acquire returns s's log for reading, pinned in the cache if s is
// sealed; release it after.
func (s *segment) acquire(c *FileCache) (vfs.File, error) {
	if s.log != nil {
		return s.log, nil
	}
	return c.acquire(&s.sealed)
}

// release undoes acquire.
func (s *segment) release(c *FileCache) {
	if s.log == nil {
		c.release(&s.sealed)
	}
}

// find returns the index of the entry holding offset off, which must be
// in [s.base, s.next).
func (s *segment) find(off uint64) int {
	rel := off - s.base
	// First entry whose rel is above off, minus one.
	i := sort.Search(len(s.entries), func(i int) bool { return uint64(s.entries[i].rel) > rel })
	return i - 1
}

// batch returns entry i's first offset, message count and byte range.
func (s *segment) batch(i int) (first uint64, count uint64, start, end int64) {
	e := s.entries[i]
	first = s.base + uint64(e.rel)
	if i+1 < len(s.entries) {
		n := s.entries[i+1]
		return first, uint64(n.rel - e.rel), int64(e.pos), int64(n.pos)
	}
	return first, s.next - first, int64(e.pos), s.size
}
