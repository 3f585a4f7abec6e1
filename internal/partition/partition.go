package partition

import (
	"errors"
	"fmt"
	"math"
	"path"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// Disk format constants (see the package doc).
const (
	IndexEntrySize = 16 // 4B relative offset + 4B position + 8B timestamp
	logSuffix      = ".log"
	indexSuffix    = ".index"
	offsetsFile    = "offsets.log"
	nameDigits     = 20
)

// Limits and defaults, matching the topic options catalog (wire.md §3.7).
const (
	MinSegmentSize                = 1 << 20
	MaxSegmentSize                = 1 << 30
	DefaultSegmentSize            = 1 << 30
	DefaultMessagesRequiredToSave = 1024
	DefaultSizeRequiredToSave     = 1 << 20
	DefaultMaxReadBytes           = 32 << 20
)

var (
	// ErrCorrupt marks damage to data that may have been acknowledged; the
	// operator must restore the files. It is never returned for a torn tail.
	ErrCorrupt = errors.New("partition: corrupt segment")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("partition: closed")
	// ErrBatch is returned by Append for a record that is not a well-formed
	// batch (Append expects what wire.SendMessages.Decode admitted).
	ErrBatch = errors.New("partition: malformed batch")
)

// Config is a partition's storage policy, from the topic's options and
// the system configuration. The zero value means the defaults.
type Config struct {
	// SegmentSize is the size at which the active segment is sealed and a
	// new one started; 0 means DefaultSegmentSize. A batch larger than it
	// gets a segment of its own.
	SegmentSize uint64
	// EnforceFsync syncs after every batch.
	EnforceFsync bool
	// MessagesRequiredToSave and SizeRequiredToSave trigger a sync without
	// EnforceFsync; 0 means the default.
	MessagesRequiredToSave uint32
	SizeRequiredToSave     uint64
	// MaxReadBytes bounds the records one Read returns (at least one batch
	// is returned whatever its size); 0 means DefaultMaxReadBytes.
	MaxReadBytes int
	// FileCache holds the sealed segment files open for reads, shared by
	// the partitions that name it; its limit bounds their descriptors.
	// nil means a process-wide cache of DefaultOpenSealedFiles.
	FileCache *FileCache
}

func (c Config) withDefaults() (Config, error) {
	if c.SegmentSize == 0 {
		c.SegmentSize = DefaultSegmentSize
	}
	if c.MessagesRequiredToSave == 0 {
		c.MessagesRequiredToSave = DefaultMessagesRequiredToSave
	}
	if c.SizeRequiredToSave == 0 {
		c.SizeRequiredToSave = DefaultSizeRequiredToSave
	}
	if c.MaxReadBytes <= 0 {
		c.MaxReadBytes = DefaultMaxReadBytes
	}
	if c.FileCache == nil {
		c.FileCache = defaultFileCache()
	}
	if c.SegmentSize > MaxSegmentSize {
		return c, fmt.Errorf("partition: segment size %d above %d", c.SegmentSize, MaxSegmentSize)
	}
	return c, nil
}

// Partition is one partition's log. It is not safe for concurrent use: the
// owning shard calls it (S5).
//
// Invariants:
//  1. segs is non-empty and ordered by base; segs[i].next == segs[i+1].base.
//  2. Only segs[len(segs)-1] (the active segment) is open for writing.
//  3. durable <= next; every message below durable is synced.
//  4. Only the active segment holds its own file open; sealed ones are
//     opened on demand through files.
type Partition struct {
	fs       vfs.FS
	dir      string
	id       uint32
	purgedAt uint64 // op of the latest finished purge (purge.go)
	cfg      Config
	files    *FileCache // cfg.FileCache
	segs     []*segment
	next     uint64 // offset the next message gets; Invariant: == active.next

	lastTS  uint64 // base_timestamp of the last batch
	durable uint64 // messages below this offset are synced

	unsyncedMsgs  uint64 // since the last sync
	unsyncedBytes uint64

	offsets *offsetStore
	rec     Recovery
	err     error // sticky: ErrClosed, corruption, or a failed purge or segment removal
	// failed is the write, sync or roll-over failure not recovered from
	// yet (see recoverFailure in failure.go); every mutating call first
	// retries the recovery.
	failed error
	// afterSync: a sync failed since the last recovery, so recovery must
	// reopen the active log and drop every batch not yet synced.
	afterSync bool
	// dirSync: a new segment's directory entry is not known durable.
	dirSync bool
}

// Recovery reports what Open found. The server logs a non-zero TornBytes
// (at warn: "truncated TornBytes bytes of torn tail from TornFile at
// TornOffset") and a non-zero IndexesRebuilt or OffsetsTornBytes (at info).
type Recovery struct {
	Segments int // segment files
	Batches  int // batches verified in the active segment
	// TornBytes were truncated from TornFile (the active segment's log)
	// at byte TornOffset: an unacknowledged tail left by a crash.
	TornBytes      int64
	TornFile       string
	TornOffset     int64
	IndexesRebuilt int // sealed segments whose index did not match
	OffsetRecords  uint64
	// OffsetsTornBytes were truncated from the consumer offsets log.
	OffsetsTornBytes int64
	// Truncated reports that a TruncateTo interrupted by a crash was
	// finished: the partition ends at TruncatedTo (or below, if a torn
	// tail already ended it there).
	Truncated   bool
	TruncatedTo uint64
}

// Open opens or creates the partition id stored in dir, recovering from a
// crash (see the package doc).
func Open(fsys vfs.FS, dir string, id uint32, cfg Config) (*Partition, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := fsys.MkdirAll(dir, vfs.DirPerm); err != nil {
		return nil, fmt.Errorf("partition: open %s: %w", dir, err)
	}
	p := &Partition{fs: fsys, dir: dir, id: id, cfg: cfg, files: cfg.FileCache}
	if err := p.recover(); err != nil {
		p.closeFiles()
		return nil, err
	}
	p.durable = p.next
	offs, err := openOffsets(fsys, dir)
	if err != nil {
		p.closeFiles()
		return nil, err
	}
	p.offsets = offs
	p.rec.OffsetRecords = offs.j.Len()
	p.rec.OffsetsTornBytes = offs.j.Recovery().TornBytes
	return p, nil
}

// ID returns the partition id stamped into every batch.
func (p *Partition) ID() uint32 { return p.id }

// Recovery reports what Open found.
func (p *Partition) Recovery() Recovery { return p.rec }

// Err returns the error that stops the partition (ErrClosed, corruption,
// a failed purge or segment removal), or the write failure it has not
// recovered from yet, or nil.
func (p *Partition) Err() error {
	if p.err != nil {
		return p.err
	}
	return p.failed
}

// NextOffset returns the offset the next message will get, which is also
// the number of messages ever appended.
func (p *Partition) NextOffset() uint64 { return p.next }

// CurrentOffset is Iggy's current_offset: the offset of the last message,
// or 0 when the partition is empty.
func (p *Partition) CurrentOffset() uint64 {
	if p.next == 0 {
		return 0
	}
	return p.next - 1
}

// DurableOffset returns how many messages are synced: every offset below
// it survives a crash.
func (p *Partition) DurableOffset() uint64 { return p.durable }

// Stats describes the partition for GetTopic's PartitionResponse.
type Stats struct {
	CurrentOffset uint64
	Segments      uint32
	SizeBytes     uint64
	Messages      uint64
}

// Stats returns the partition's counters.
func (p *Partition) Stats() Stats {
	s := Stats{CurrentOffset: p.CurrentOffset(), Segments: uint32(len(p.segs)), Messages: p.next - p.segs[0].base}
	for _, sg := range p.segs {
		s.SizeBytes += uint64(sg.size)
	}
	return s
}

// AppendResult is the outcome of one Append.
type AppendResult struct {
	BaseOffset uint64 // offset of the batch's first message
	Count      uint32 // messages appended
	Timestamp  uint64 // base_timestamp stamped into the batch
	// Durable reports that the batch is synced (so is every earlier one).
	Durable bool
}

// Append stores one batch record (256-byte header + frames, as
// wire.SendMessages.Decode admitted it in SendMessages.Batch). It stamps
// partition_id, base_offset and base_timestamp into batch itself (now, in
// µs, raised to the previous batch's timestamp if the clock went back),
// recomputes the batch checksum, writes the record, and syncs per the
// policy. If it fails (a full disk, a failed fsync) the batch is not
// appended and must not be acknowledged; the partition recovers (see the
// package doc, "Write failures") and the next Append retries.
func (p *Partition) Append(batch []byte, now uint64) (AppendResult, error) {
	return p.AppendSummed(batch, nil, now)
}

// AppendSummed is Append for a batch whose messages' stored checksums the
// caller collected while verifying it (wire.SendMessages.Sums): the batch
// checksum is recomputed from them, without a second walk over the frames.
// sums that do not hold one checksum per message are ignored.
func (p *Partition) AppendSummed(batch, sums []byte, now uint64) (AppendResult, error) {
	if err := p.ready(); err != nil {
		return AppendResult{}, err
	}
	h, err := decodeBatch(batch)
	if err != nil {
		return AppendResult{}, err
	}
	ts := max(now, p.lastTS)
	h.PartitionID = uint64(p.id)
	h.BaseOffset = p.next
	h.BaseTimestamp = ts
	if len(sums) == 8*int(h.MessageCount) {
		h.BatchChecksum = wire.BatchChecksumOf(&h, sums)
	} else {
		sum, err := wire.BatchChecksum(&h, batch[wire.BatchHeaderSize:])
		if err != nil {
			return AppendResult{}, fmt.Errorf("%w: %v", ErrBatch, err)
		}
		h.BatchChecksum = sum
	}
	h.Put(batch)
	return p.write(batch, h.MessageCount, ts)
}

// decodeBatch decodes batch's header and checks that it frames the whole
// record and holds messages (ErrBatch otherwise).
func decodeBatch(batch []byte) (wire.BatchHeader, error) {
	var h wire.BatchHeader
	if err := h.Decode(batch); err != nil {
		return h, fmt.Errorf("%w: %v", ErrBatch, err)
	}
	if h.BatchLength != uint64(len(batch)) || h.MessageCount == 0 || len(batch) > maxBatchSize {
		return h, fmt.Errorf("%w: batch_length %d of %d bytes, %d messages", ErrBatch, h.BatchLength, len(batch), h.MessageCount)
	}
	return h, nil
}

// write appends a stamped batch record of count messages at p.next with
// timestamp ts, rolling the segment first if it would overflow, and syncs
// per the policy.
func (p *Partition) write(batch []byte, count uint32, ts uint64) (AppendResult, error) {
	act := p.active()
	if act.size > 0 && uint64(act.size)+uint64(len(batch)) > p.cfg.SegmentSize {
		if err := p.roll(); err != nil {
			return AppendResult{}, err
		}
		act = p.active()
	}
	if uint64(act.size)+uint64(len(batch)) > math.MaxUint32 {
		panic(fmt.Sprintf("partition: segment position %d past u32", uint64(act.size)+uint64(len(batch))))
	}
	if err := act.appendBatch(batch, p.next, ts, count); err != nil {
		err = fmt.Errorf("partition: append to %s: %w", act.logName, err)
		p.fail(err, false)
		return AppendResult{}, err
	}
	res := AppendResult{BaseOffset: p.next, Count: count, Timestamp: ts}
	p.next += uint64(count)
	p.lastTS = ts
	p.unsyncedMsgs += uint64(count)
	p.unsyncedBytes += uint64(len(batch))
	if p.cfg.EnforceFsync || p.unsyncedMsgs >= uint64(p.cfg.MessagesRequiredToSave) || p.unsyncedBytes >= p.cfg.SizeRequiredToSave {
		if err := p.Sync(); err != nil {
			return AppendResult{}, err
		}
	}
	res.Durable = p.durable == p.next
	return res, nil
}

// Sync makes every appended batch durable. If it fails, every batch not
// yet synced is dropped once the partition recovers: NextOffset falls
// back to DurableOffset.
func (p *Partition) Sync() error {
	if err := p.ready(); err != nil {
		return err
	}
	if p.durable == p.next {
		return nil
	}
	act := p.active()
	if err := act.log.Sync(); err != nil {
		err = fmt.Errorf("partition: sync %s: %w", act.logName, err)
		p.fail(err, true)
		return err
	}
	p.markSynced()
	return nil
}

// markSynced records that everything appended is durable.
func (p *Partition) markSynced() {
	act := p.active()
	act.synced = act.size
	p.durable = p.next
	p.unsyncedMsgs, p.unsyncedBytes = 0, 0
}

// roll seals the active segment (log and index synced) and starts a new
// one at p.next, whose directory entry is synced before anything is
// written to it. A failure before the new log exists leaves the active
// segment as it was; after it exists, the partition recovers by syncing
// the directory again.
func (p *Partition) roll() error {
	act := p.active()
	if err := p.Sync(); err != nil {
		return err
	}
	if err := act.writeIndex(p.fs); err != nil {
		// The segment stays active; an index file beside an active log is
		// ignored (and rewritten at the next roll).
		return err
	}
	s := newSegment(p.fs, p.dir, p.next)
	f, err := p.fs.Create(s.logName)
	if err != nil {
		return fmt.Errorf("partition: create %s: %w", s.logName, err)
	}
	s.log = f
	// The old log is synced: its Close reports nothing about its data.
	act.log.Close()
	act.log = nil
	p.segs = append(p.segs, s)
	if err := p.fs.SyncDir(p.dir); err != nil {
		err = fmt.Errorf("partition: create %s: %w", s.logName, err)
		p.dirSync = true
		p.fail(err, false)
		return err
	}
	return nil
}

func (p *Partition) active() *segment { return p.segs[len(p.segs)-1] }

// Close syncs and closes the partition's files.
func (p *Partition) Close() error {
	if p.err == ErrClosed {
		return ErrClosed
	}
	err := p.Sync()
	if p.offsets != nil {
		if e := p.offsets.close(); err == nil {
			err = e
		}
	}
	if e := p.closeFiles(); err == nil {
		err = e
	}
	p.err = ErrClosed
	return err
}

func (p *Partition) closeFiles() error {
	var err error
	for _, s := range p.segs {
		if e := s.close(p.files); err == nil {
			err = e
		}
	}
	return err
}

// Remove deletes a closed partition's directory and everything in it, for
// DeletePartitions, DeleteTopic and DeleteStream. The removal is durable
// on return.
func Remove(fsys vfs.FS, dir string) error {
	names, err := fsys.List(dir)
	if err != nil {
		return fmt.Errorf("partition: remove %s: %w", dir, err)
	}
	for _, n := range names {
		if err := fsys.Remove(path.Join(dir, n)); err != nil {
			return fmt.Errorf("partition: remove %s: %w", dir, err)
		}
	}
	if err := fsys.Remove(dir); err != nil {
		return fmt.Errorf("partition: remove %s: %w", dir, err)
	}
	return fsys.SyncDir(path.Dir(dir))
}
