package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/zeebo/xxh3"
)

// windowSize is how much the scanner reads from the file at a time. A
// variable so tests can make records cross window boundaries cheaply.
var windowSize = 256 << 10

// window is a read-ahead buffer over a file of known size.
type window struct {
	f     vfs.File
	size  int64
	buf   []byte
	start int64 // file offset of buf[0]
	big   []byte
}

// at returns n bytes at off, valid until the next call. The caller ensures
// off+n <= size.
func (w *window) at(off int64, n int) ([]byte, error) {
	if off >= w.start && off+int64(n) <= w.start+int64(len(w.buf)) {
		return w.buf[off-w.start : off-w.start+int64(n)], nil
	}
	if n > windowSize {
		if cap(w.big) < n {
			w.big = make([]byte, n)
		}
		b := w.big[:n]
		if k, err := w.f.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF) && k == n) {
			return nil, err
		}
		return b, nil
	}
	if w.buf == nil {
		w.buf = make([]byte, 0, windowSize)
	}
	m := min(int64(windowSize), w.size-off)
	w.buf = w.buf[:m]
	w.start = off
	k, err := w.f.ReadAt(w.buf, off)
	if err != nil && !(errors.Is(err, io.EOF) && int64(k) == m) {
		return nil, err
	}
	return w.buf[:n], nil
}

// recordAt checks for a whole, verified record at off. It returns the
// payload and ok, or a reason it is not one; err reports I/O failures only.
func (w *window) recordAt(off int64, max int) (payload []byte, reason string, err error) {
	if w.size-off < RecordOverhead {
		return nil, "incomplete record header", nil
	}
	h, err := w.at(off, RecordOverhead)
	if err != nil {
		return nil, "", err
	}
	sum := binary.LittleEndian.Uint64(h[0:8])
	n := binary.LittleEndian.Uint32(h[8:12])
	if int64(n) > int64(max) {
		return nil, fmt.Sprintf("length %d over the maximum %d", n, max), nil
	}
	if off+RecordOverhead+int64(n) > w.size {
		return nil, fmt.Sprintf("length %d runs past the end of the file", n), nil
	}
	b, err := w.at(off+8, 4+int(n))
	if err != nil {
		return nil, "", err
	}
	if xxh3.Hash(b) != sum {
		return nil, "checksum mismatch", nil
	}
	return b[4:], "", nil
}

// scan replays the records of a file of the given size, then truncates a
// torn tail or reports interior corruption.
func (j *Journal) scan(size int64, replay ReplayFunc) error {
	w := &window{f: j.f, size: size}
	off := int64(FileHeaderSize)
	for off < size {
		payload, reason, err := w.recordAt(off, j.max)
		if err != nil {
			return fmt.Errorf("journal: read %s at %d: %w", j.name, off, err)
		}
		if reason != "" {
			return j.badRecord(w, off, reason)
		}
		if replay != nil {
			if err := replay(uint64(len(j.offsets)), payload); err != nil {
				return fmt.Errorf("journal: replay %s record %d: %w", j.name, len(j.offsets), err)
			}
		}
		j.offsets = append(j.offsets, off)
		off += RecordOverhead + int64(len(payload))
	}
	j.size = off
	j.synced = uint64(len(j.offsets))
	j.rec.Records = j.synced
	return nil
}

// badRecord handles the first bad record at off: interior corruption if a
// verifiable record starts later in the file, otherwise a torn tail that is
// truncated away durably.
func (j *Journal) badRecord(w *window, off int64, reason string) error {
	for p := off + 1; p+RecordOverhead <= w.size; p++ {
		_, why, err := w.recordAt(p, j.max)
		if err != nil {
			return fmt.Errorf("journal: read %s at %d: %w", j.name, p, err)
		}
		if why == "" {
			return &CorruptError{Path: j.name, Offset: off,
				Reason: fmt.Sprintf("%s, and a valid record follows at offset %d", reason, p)}
		}
	}
	if err := j.f.Truncate(off); err != nil {
		return fmt.Errorf("journal: truncate torn tail of %s: %w", j.name, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: truncate torn tail of %s: %w", j.name, err)
	}
	j.rec.TornBytes = w.size - off
	j.size = off
	j.synced = uint64(len(j.offsets))
	j.rec.Records = j.synced
	return nil
}
