package vsrlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
	"github.com/zeebo/xxh3"
)

// Superblock format constants (see the package doc).
const (
	SuperblockMagic   = "SHOALVSB" // bytes 8..16
	SuperblockVersion = 2          // bytes 16..20; Open also reads version 1
	// SuperblockFixed is the size of a version 2 copy without view
	// headers: 8B checksum + 8B magic + 4B version + 4B count + 8B
	// sequence + 4B view + 4B log_view + 8B commit + 8B checkpoint op +
	// 16B checkpoint checksum + 8B snapshot size + 8B snapshot checksum +
	// 8B reserved.
	SuperblockFixed = 96
	// superblockFixedV1 is a version 1 copy's: the checkpoint fields were
	// 16 reserved zero bytes.
	superblockFixedV1 = 64
	// MaxSuperblockSize is the size of a copy with the most view headers.
	MaxSuperblockSize = SuperblockFixed + wire.MaxViewChangeHeaders*wire.HeaderSize
)

// snapMeta locates the checkpoint file a hard state names: its size and
// XXH3-64.
type snapMeta struct {
	size uint64
	sum  uint64
}

// HardState is the durable state of a vsr replica. Its fields are those
// of vsr.HardState, in the same order, so the two convert both ways with
// a conversion: vsr.HardState(hs), vsrlog.HardState(rd.HardState).
//
// Invariant: LogView <= View. View and LogView never decrease from one
// durable write to the next. Headers are at most 128, ascending by op.
type HardState struct {
	View               wire.View
	LogView            wire.View
	Commit             wire.Op
	Headers            []wire.PrepareHeader
	Checkpoint         wire.Op      // op of the durable checkpoint; 0: none
	CheckpointChecksum wire.Uint128 // identity checksum of that op
}

// sbCopy is one decoded superblock copy.
type sbCopy struct {
	seq  uint64
	hs   HardState
	snap snapMeta // zero when hs.Checkpoint is 0
}

// appendSuperblock appends the encoding of hs as copy sequence seq to b.
// hs must satisfy checkHardState.
func appendSuperblock(b []byte, seq uint64, hs *HardState, snap snapMeta) []byte {
	start := len(b)
	b = append(b, make([]byte, 8)...) // checksum, filled in last
	b = append(b, SuperblockMagic...)
	b = binary.LittleEndian.AppendUint32(b, SuperblockVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hs.Headers)))
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(hs.View))
	b = binary.LittleEndian.AppendUint32(b, uint32(hs.LogView))
	b = binary.LittleEndian.AppendUint64(b, uint64(hs.Commit))
	b = binary.LittleEndian.AppendUint64(b, uint64(hs.Checkpoint))
	b = binary.LittleEndian.AppendUint64(b, hs.CheckpointChecksum.Lo)
	b = binary.LittleEndian.AppendUint64(b, hs.CheckpointChecksum.Hi)
	b = binary.LittleEndian.AppendUint64(b, snap.size)
	b = binary.LittleEndian.AppendUint64(b, snap.sum)
	b = append(b, make([]byte, 8)...)
	for i := range hs.Headers {
		off := len(b)
		b = append(b, make([]byte, wire.HeaderSize)...)
		hs.Headers[i].Put(b[off:])
	}
	binary.LittleEndian.PutUint64(b[start:], xxh3.Hash(b[start+8:]))
	return b
}

// decodeSuperblock decodes and checks one copy. The error says why the
// copy is not valid; the caller decides whether that is corruption.
func decodeSuperblock(b []byte) (sbCopy, error) {
	if len(b) < superblockFixedV1 {
		return sbCopy{}, fmt.Errorf("%d bytes, shorter than %d", len(b), superblockFixedV1)
	}
	if xxh3.Hash(b[8:]) != binary.LittleEndian.Uint64(b) {
		return sbCopy{}, errors.New("checksum mismatch")
	}
	if string(b[8:16]) != SuperblockMagic {
		return sbCopy{}, fmt.Errorf("bad magic %q", b[8:16])
	}
	fixed, reserved := SuperblockFixed, 88 // reserved bytes reserved..fixed
	switch v := binary.LittleEndian.Uint32(b[16:]); v {
	case 1:
		fixed, reserved = superblockFixedV1, 48
	case SuperblockVersion:
		if len(b) < SuperblockFixed {
			return sbCopy{}, fmt.Errorf("%d bytes, shorter than %d", len(b), SuperblockFixed)
		}
	default:
		return sbCopy{}, fmt.Errorf("unsupported version %d", v)
	}
	n := binary.LittleEndian.Uint32(b[20:])
	if n > wire.MaxViewChangeHeaders {
		return sbCopy{}, fmt.Errorf("%d view headers, more than %d", n, wire.MaxViewChangeHeaders)
	}
	if want := fixed + int(n)*wire.HeaderSize; len(b) != want {
		return sbCopy{}, fmt.Errorf("%d bytes, want %d for %d view headers", len(b), want, n)
	}
	for _, c := range b[reserved:fixed] {
		if c != 0 {
			return sbCopy{}, errors.New("reserved bytes are not zero")
		}
	}
	c := sbCopy{seq: binary.LittleEndian.Uint64(b[24:])}
	c.hs.View = wire.View(binary.LittleEndian.Uint32(b[32:]))
	c.hs.LogView = wire.View(binary.LittleEndian.Uint32(b[36:]))
	c.hs.Commit = wire.Op(binary.LittleEndian.Uint64(b[40:]))
	if c.hs.LogView > c.hs.View {
		return sbCopy{}, fmt.Errorf("log_view %d > view %d", c.hs.LogView, c.hs.View)
	}
	if fixed == SuperblockFixed {
		c.hs.Checkpoint = wire.Op(binary.LittleEndian.Uint64(b[48:]))
		c.hs.CheckpointChecksum = wire.Uint128{Lo: binary.LittleEndian.Uint64(b[56:]), Hi: binary.LittleEndian.Uint64(b[64:])}
		c.snap = snapMeta{size: binary.LittleEndian.Uint64(b[72:]), sum: binary.LittleEndian.Uint64(b[80:])}
		if (c.hs.Checkpoint == 0) != (c.snap == snapMeta{}) || c.hs.Checkpoint == 0 && !c.hs.CheckpointChecksum.IsZero() {
			return sbCopy{}, fmt.Errorf("checkpoint op %d with snapshot size %d", c.hs.Checkpoint, c.snap.size)
		}
	}
	if n > 0 {
		c.hs.Headers = make([]wire.PrepareHeader, n)
	}
	for i := range c.hs.Headers {
		raw := b[fixed+i*wire.HeaderSize:][:wire.HeaderSize]
		if err := checkViewHeader(&c.hs.Headers, i, raw); err != nil {
			return sbCopy{}, fmt.Errorf("view header %d: %w", i, err)
		}
	}
	return c, nil
}

// checkViewHeader decodes raw into (*hs)[i] and checks it: a prepare
// header with a valid identity, above the previous header's op.
func checkViewHeader(hs *[]wire.PrepareHeader, i int, raw []byte) error {
	h := &(*hs)[i]
	if err := h.Decode(raw); err != nil {
		return err
	}
	if wire.PrepareIdentity(raw) != h.Checksum {
		return errors.New("identity checksum mismatch")
	}
	if h.Op == 0 || i > 0 && h.Op <= (*hs)[i-1].Op {
		return fmt.Errorf("op %d out of order", h.Op)
	}
	return nil
}

// checkHardState panics if writing hs after prev would break the
// superblock's invariants: a caller bug, caught before any write.
func checkHardState(prev, hs *HardState) {
	switch {
	case hs.LogView > hs.View:
		panic(fmt.Sprintf("vsrlog: hard state log_view %d > view %d", hs.LogView, hs.View))
	case hs.View < prev.View || hs.LogView < prev.LogView:
		panic(fmt.Sprintf("vsrlog: hard state view %d/log_view %d after durable %d/%d: a view would be forgotten",
			hs.View, hs.LogView, prev.View, prev.LogView))
	case hs.Checkpoint < prev.Checkpoint:
		panic(fmt.Sprintf("vsrlog: hard state checkpoint %d after durable %d", hs.Checkpoint, prev.Checkpoint))
	case len(hs.Headers) > wire.MaxViewChangeHeaders:
		panic(fmt.Sprintf("vsrlog: %d view headers, more than %d", len(hs.Headers), wire.MaxViewChangeHeaders))
	}
	var raw [wire.HeaderSize]byte
	for i := range hs.Headers {
		h := &hs.Headers[i]
		h.Put(raw[:])
		if wire.PrepareIdentity(raw[:]) != h.Checksum || h.Op == 0 || i > 0 && h.Op <= hs.Headers[i-1].Op {
			panic(fmt.Sprintf("vsrlog: view header %d (op %d) is not a canonical prepare header in op order", i, h.Op))
		}
	}
}

// superblock writes and reads the two copies. It is not safe for
// concurrent use.
type superblock struct {
	fs    vfs.FS
	dir   string
	files [2]vfs.File // open copy files; nil until first needed
	// entryDurable[i]: copy i's directory entry is known durable.
	entryDurable [2]bool
	// seq, hs and snap are the newest durable copy.
	// Invariant: copy seq%2 holds them.
	seq  uint64
	hs   HardState
	snap snapMeta
	buf  []byte
}

func copyName(i int) string { return fmt.Sprintf("superblock.%d", i) }

func (s *superblock) path(i int) string { return path.Join(s.dir, copyName(i)) }

// sbFiles is what load found on disk.
type sbFiles struct {
	exists [2]bool
	valid  [2]bool
	copies [2]sbCopy
	why    [2]string // why an existing copy is not valid
}

// read reads and decodes both copies.
func (s *superblock) read() (sbFiles, error) {
	var r sbFiles
	for i := range 2 {
		b, err := vfs.ReadFile(s.fs, s.path(i))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return r, fmt.Errorf("vsrlog: read %s: %w", s.path(i), err)
		}
		r.exists[i] = true
		if len(b) == 0 {
			r.why[i] = "empty"
			continue
		}
		c, err := decodeSuperblock(b)
		if err != nil {
			r.why[i] = err.Error()
			continue
		}
		if c.seq%2 != uint64(i) {
			r.why[i] = fmt.Sprintf("sequence %d in the wrong copy", c.seq)
			continue
		}
		r.valid[i], r.copies[i] = true, c
	}
	return r, nil
}

// pick chooses the newest valid copy. ok is false when none is valid.
func (r *sbFiles) pick(dir string) (c sbCopy, idx int, ok bool, err error) {
	switch {
	case r.valid[0] && r.valid[1]:
		a, b := r.copies[0], r.copies[1]
		if b.seq > a.seq {
			a, b, idx = b, a, 1
		}
		// Sequence n is written only once n-1 is durable in the other
		// copy, so two valid copies are consecutive, the newer with views
		// no lower than the older's.
		if a.seq != b.seq+1 || a.hs.View < b.hs.View || a.hs.LogView < b.hs.LogView {
			return c, 0, false, &CorruptError{Path: dir, Reason: fmt.Sprintf(
				"superblock copies contradict each other: sequence %d view %d/log_view %d, sequence %d view %d/log_view %d",
				a.seq, a.hs.View, a.hs.LogView, b.seq, b.hs.View, b.hs.LogView)}
		}
		return a, idx, true, nil
	case r.valid[0]:
		return r.copies[0], 0, true, nil
	case r.valid[1]:
		return r.copies[1], 1, true, nil
	}
	return c, 0, false, nil
}

// initialize creates copy 0 with sequence 0 and the zero hard state,
// atomically: a synced temporary file renamed into place.
func (s *superblock) initialize() error {
	s.buf = appendSuperblock(s.buf[:0], 0, &HardState{}, snapMeta{})
	if err := vfs.WriteFileSync(s.fs, s.path(0), s.buf); err != nil {
		return fmt.Errorf("vsrlog: create %s: %w", s.path(0), err)
	}
	s.entryDurable[0] = true
	s.seq, s.hs = 0, HardState{}
	return nil
}

// write makes hs durable as the next sequence, in the copy that does not
// hold the newest durable one. On failure nothing changes in memory and
// the next write retries the same copy and sequence.
func (s *superblock) write(hs *HardState, snap snapMeta) error {
	seq := s.seq + 1
	i := int(seq % 2)
	s.buf = appendSuperblock(s.buf[:0], seq, hs, snap)
	if err := s.writeCopy(i, s.buf); err != nil {
		err = fmt.Errorf("vsrlog: write %s sequence %d: %w", s.path(i), seq, err)
		s.discard(i)
		return err
	}
	s.seq, s.hs, s.snap = seq, *hs, snap
	return nil
}

func (s *superblock) writeCopy(i int, b []byte) error {
	if s.files[i] == nil {
		f, err := s.fs.OpenReadWrite(s.path(i))
		if err != nil {
			return err
		}
		s.files[i] = f
	}
	f := s.files[i]
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if !s.entryDurable[i] {
		if err := s.fs.SyncDir(s.dir); err != nil {
			return err
		}
		s.entryDurable[i] = true
	}
	return nil
}

// discard handles a failed write of copy i. Its contents are unknown, and
// after a failed fsync the page cache may hold bytes the disk does not
// (fsyncgate; see internal/vfs rule 4), which a restarted process would
// read as valid. So the copy is emptied through a freshly opened file and
// the truncation synced: an empty copy is ignored by Open and the other
// copy holds the newest durable state. If that fails too, the next write
// rewrites the copy from scratch anyway.
func (s *superblock) discard(i int) {
	if s.files[i] != nil {
		s.files[i].Close() // the write already failed; its close error adds nothing
		s.files[i] = nil
	}
	f, err := s.fs.OpenReadWrite(s.path(i))
	if err != nil {
		return
	}
	if f.Truncate(0) == nil && f.Sync() == nil {
		s.files[i] = f
		return
	}
	f.Close()
}

func (s *superblock) close() error {
	var errs []error
	for i, f := range s.files {
		if f != nil {
			errs = append(errs, f.Close())
			s.files[i] = nil
		}
	}
	return errors.Join(errs...)
}
