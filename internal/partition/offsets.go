package partition

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"

	"github.com/shoal-io/shoal/internal/journal"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// ConsumerKey names whose offset is stored: a consumer by its numeric id,
// or a consumer group by its group id (wire.md §3.5). The server resolves
// a string consumer id to its xxhash32 and a group name to the group id.
type ConsumerKey struct {
	Kind wire.ConsumerKind
	ID   uint32
}

// AckLevel is a consumer-offset store's acknowledgement level (wire.md
// §3.5): AckNone returns after the local write, AckQuorum after the write
// is synced. Both are visible to the next read at once.
type AckLevel uint8

const (
	AckNone   AckLevel = 0
	AckQuorum AckLevel = 1
)

// Consumer offset record layout (see the package doc).
const (
	offsetRecordSize = 14 // 1B op + 1B kind + 4B id + 8B offset
	offsetOpStore    = 1
	offsetOpDelete   = 2

	// compactMinRecords and compactFactor decide when offsets.log is
	// rewritten: past compactMinRecords records and compactFactor times
	// the live offsets.
	compactMinRecords = 4096
	compactFactor     = 4
)

// offsetStore is the partition's consumer offsets, kept in memory and
// logged to offsets.log.
type offsetStore struct {
	fs   vfs.FS
	dir  string
	name string
	// j is nil after a compaction renamed the new log in but could not
	// open it; ready reopens it.
	j *journal.Journal
	// dirSync: a compaction's rename is not known durable; ready syncs
	// the directory before anything is logged to the new file.
	dirSync bool
	m       map[ConsumerKey]uint64
	rec     [offsetRecordSize]byte
}

var offsetsOptions = journal.Options{MaxRecordSize: offsetRecordSize}

func openOffsets(fsys vfs.FS, dir string) (*offsetStore, error) {
	o := &offsetStore{fs: fsys, dir: dir, name: path.Join(dir, offsetsFile), m: map[ConsumerKey]uint64{}}
	// A rewrite that crashed before its rename left a temporary file.
	if err := fsys.Remove(o.name + ".tmp"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("partition: open offsets: %w", err)
	}
	j, err := journal.Open(fsys, o.name, offsetsOptions, o.replay)
	if err != nil {
		return nil, fmt.Errorf("partition: open offsets: %w", err)
	}
	o.j = j
	return o, nil
}

func (o *offsetStore) replay(_ uint64, r []byte) error {
	if len(r) != offsetRecordSize {
		return fmt.Errorf("%w: offset record of %d bytes", ErrCorrupt, len(r))
	}
	k := ConsumerKey{Kind: wire.ConsumerKind(r[1]), ID: binary.LittleEndian.Uint32(r[2:])}
	switch r[0] {
	case offsetOpStore:
		o.m[k] = binary.LittleEndian.Uint64(r[6:])
	case offsetOpDelete:
		delete(o.m, k)
	default:
		return fmt.Errorf("%w: offset record op %d", ErrCorrupt, r[0])
	}
	return nil
}

func (o *offsetStore) encode(op byte, k ConsumerKey, off uint64) []byte {
	r := o.rec[:0]
	r = append(r, op, byte(k.Kind))
	r = binary.LittleEndian.AppendUint32(r, k.ID)
	return binary.LittleEndian.AppendUint64(r, off)
}

// ready finishes what a failed compaction left: the directory sync of
// its rename, and opening the new log.
func (o *offsetStore) ready() error {
	if o.dirSync {
		if err := o.fs.SyncDir(o.dir); err != nil {
			return fmt.Errorf("partition: offsets: %w", err)
		}
		o.dirSync = false
	}
	if o.j == nil {
		j, err := journal.Open(o.fs, o.name, offsetsOptions, nil)
		if err != nil {
			return fmt.Errorf("partition: offsets: %w", err)
		}
		o.j = j
	}
	return nil
}

// write logs one record, syncing it if asked. If it fails, the record is
// not in the log (the journal recovers; see internal/journal), and the
// caller undoes its change to m.
func (o *offsetStore) write(rec []byte, sync bool) error {
	if err := o.ready(); err != nil {
		return err
	}
	if _, err := o.j.Append(rec); err != nil {
		return err
	}
	if sync {
		return o.j.Sync()
	}
	return nil
}

// maybeCompact rewrites the log when it has grown far past its live
// contents. A compaction that fails leaves the current log in use (or
// ready to finish the switch) and is tried again at the next store: the
// store that triggered it is logged already, so it does not fail.
func (o *offsetStore) maybeCompact() {
	if n := o.j.Len(); n >= compactMinRecords && n >= compactFactor*uint64(len(o.m)) {
		_ = o.compact() // see above: retried at the next store
	}
}

// compact rewrites offsets.log with one record per live offset: into
// offsets.log.tmp, synced, renamed over the log, directory synced. Until
// the rename, a failure removes the temporary file and keeps the old log;
// after it, the new file is the log (it holds everything m does, synced)
// and ready finishes the directory sync and the reopen.
func (o *offsetStore) compact() error {
	tmp := o.name + ".tmp"
	if err := o.writeCompacted(tmp); err != nil {
		o.fs.Remove(tmp) // best effort: Open removes a leftover too
		return err
	}
	if err := o.fs.Rename(tmp, o.name); err != nil {
		o.fs.Remove(tmp)
		return err
	}
	o.j.Close() // the old file is unlinked; its records are all in the new one
	o.j = nil
	o.dirSync = true
	return o.ready()
}

// writeCompacted writes every live offset to a fresh journal at name and
// syncs it.
func (o *offsetStore) writeCompacted(name string) error {
	nj, err := journal.Open(o.fs, name, offsetsOptions, nil)
	if err != nil {
		return err
	}
	keys := slices.SortedFunc(maps.Keys(o.m), func(a, b ConsumerKey) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	for _, k := range keys {
		if _, err := nj.Append(o.encode(offsetOpStore, k, o.m[k])); err != nil {
			nj.Close()
			return err
		}
	}
	if err := nj.Sync(); err != nil {
		nj.Close()
		return err
	}
	return nj.Close()
}

// close syncs and closes the log.
func (o *offsetStore) close() error {
	if err := o.ready(); err != nil {
		return err
	}
	if err := o.j.Sync(); err != nil {
		o.j.Close()
		return err
	}
	return o.j.Close()
}

// StoreOffset stores k's offset (StoreConsumerOffset, and auto_commit).
// As Iggy does, an empty partition accepts no offset and an offset past
// the current offset is refused: both with StatusInvalidOffset. An ack
// level other than 0 or 1 is StatusInvalidFormat.
func (p *Partition) StoreOffset(k ConsumerKey, offset uint64, ack AckLevel) error {
	if err := p.ready(); err != nil {
		return err
	}
	if ack > AckQuorum {
		return fmt.Errorf("partition: ack level %d: %w", ack, wire.StatusInvalidFormat.Err())
	}
	if p.next == 0 || offset > p.CurrentOffset() {
		return fmt.Errorf("partition: offset %d past current offset %d (next %d): %w",
			offset, p.CurrentOffset(), p.next, wire.StatusInvalidOffset.Err())
	}
	if err := p.offsets.write(p.offsets.encode(offsetOpStore, k, offset), ack == AckQuorum); err != nil {
		return fmt.Errorf("partition: store offset: %w", err)
	}
	p.offsets.m[k] = offset
	p.offsets.maybeCompact()
	return nil
}

// ConsumerOffset returns k's stored offset.
func (p *Partition) ConsumerOffset(k ConsumerKey) (uint64, bool) {
	off, ok := p.offsets.m[k]
	return off, ok
}

// ConsumerOffsets returns a copy of every stored consumer offset.
func (p *Partition) ConsumerOffsets() map[ConsumerKey]uint64 {
	if p.offsets == nil {
		return nil
	}
	return maps.Clone(p.offsets.m)
}

// DeleteOffset removes k's offset; StatusConsumerOffsetNotFound if there
// is none.
func (p *Partition) DeleteOffset(k ConsumerKey, ack AckLevel) error {
	if err := p.ready(); err != nil {
		return err
	}
	if ack > AckQuorum {
		return fmt.Errorf("partition: ack level %d: %w", ack, wire.StatusInvalidFormat.Err())
	}
	if _, ok := p.offsets.m[k]; !ok {
		return fmt.Errorf("partition: no offset for %v: %w", k, wire.StatusConsumerOffsetNotFound.Err())
	}
	if err := p.offsets.write(p.offsets.encode(offsetOpDelete, k, 0), ack == AckQuorum); err != nil {
		return fmt.Errorf("partition: delete offset: %w", err)
	}
	delete(p.offsets.m, k)
	p.offsets.maybeCompact()
	return nil
}

// AppendConsumerOffset appends a GetConsumerOffset reply body for k (a
// wire.ConsumerOffsetInfo), or nothing when k has no stored offset
// (wire.md §3.2).
func (p *Partition) AppendConsumerOffset(dst []byte, k ConsumerKey) []byte {
	off, ok := p.offsets.m[k]
	if !ok {
		return dst
	}
	return (&wire.ConsumerOffsetInfo{Partition: p.id, CurrentOffset: p.CurrentOffset(), StoredOffset: off}).Append(dst)
}

// StatusOf returns the reply status an error from this package carries,
// StatusOK for nil, StatusCannotReadPartitions for corruption (IsCorrupt:
// the partition must not be served until its files are restored), and
// StatusCannotSaveMessagesToSegment for other storage failures (the
// server must not acknowledge them).
func StatusOf(err error) wire.Status {
	if err == nil {
		return wire.StatusOK
	}
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Status
	}
	if errors.Is(err, ErrBatch) {
		return wire.StatusInvalidFormat
	}
	if IsCorrupt(err) {
		return wire.StatusCannotReadPartitions
	}
	return wire.StatusCannotSaveMessagesToSegment
}
