package partgroup

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/wire"
)

// machine is the group's vsr.StateMachine and vsr.Snapshotter: the
// partition on its owner (see the package doc, "Apply").
type machine struct {
	st  Storage
	log *slog.Logger
	buf []byte // the batch being appended (the prepare itself is immutable)

	// restored: the partition was made the state the log starts from
	// (Restore, or emptied before op 1). Node goroutine only.
	restored bool

	bf        *backfill // copying a refused checkpoint's messages; node goroutine
	redoPurge uint64    // a purge to apply again when its op comes (restoreOn); node goroutine
	// askCheckpoint: a purge was applied; the group checkpoints at once
	// (CheckpointNow). Node goroutine.
	askCheckpoint bool
	gap           atomic.Bool   // refused a checkpoint ahead of the partition
	copied        atomic.Uint64 // messages copied by backfills since Start
	purgedAt      atomic.Uint64 // latest purge applied

	mu  sync.Mutex
	err error // a storage failure: the group must stop (failure)
}

// Reply body: status u32, then a send's base offset u64 and count u32.
func encodeResult(r Result) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(r.Status))
	if r.Status == wire.StatusOK && r.Count > 0 {
		b = binary.LittleEndian.AppendUint64(b, r.BaseOffset)
		b = binary.LittleEndian.AppendUint32(b, r.Count)
	}
	return b
}

func decodeResult(b []byte) Result {
	if len(b) < 4 {
		return Result{Status: wire.StatusError}
	}
	r := Result{Status: wire.Status(binary.LittleEndian.Uint32(b))}
	if len(b) == 16 {
		r.BaseOffset, r.Count = binary.LittleEndian.Uint64(b[4:]), binary.LittleEndian.Uint32(b[12:])
	}
	return r
}

// Apply carries out a committed op on the partition's owner. Bodies were
// built by this package's proposers; one that does not decode is answered
// InvalidFormat on every replica alike.
func (m *machine) Apply(op wire.Op, h *wire.PrepareHeader, body []byte) []byte {
	if m.failure() != nil {
		// The partition no longer follows the log: apply nothing more
		// (the group does not serve; a restart restores it).
		return encodeResult(Result{Status: wire.StatusCannotSaveMessagesToSegment})
	}
	if m.bf != nil {
		// A peer still held the prepares this replica lacked: the log
		// goes on, from the state before the backfill.
		if err := m.cancelBackfill(); err != nil {
			m.fail(err)
			return encodeResult(Result{Status: wire.StatusCannotSaveMessagesToSegment})
		}
	}
	if !m.restored {
		// No checkpoint: the log is applied from op 1, onto an empty
		// partition (the purge record stays, as a purge is idempotent).
		if op != 1 {
			panic(fmt.Sprintf("partgroup: op %d applied first without a checkpoint", op))
		}
		if err := m.empty(); err != nil {
			m.fail(err)
			return encodeResult(Result{Status: wire.StatusCannotSaveMessagesToSegment})
		}
	}
	var r Result
	switch h.Operation {
	case wire.OpSendMessages:
		r = m.send(body)
	case wire.OpStoreConsumerOffset:
		if len(body) != 8+5 {
			return encodeResult(Result{Status: wire.StatusInvalidFormat})
		}
		k, _ := decodeKey(body[8:])
		r = m.on(func(p *partition.Partition) error {
			return p.StoreOffset(k, binary.LittleEndian.Uint64(body), partition.AckNone)
		})
	case wire.OpDeleteConsumerOffset:
		k, ok := decodeKey(body)
		if !ok {
			return encodeResult(Result{Status: wire.StatusInvalidFormat})
		}
		r = m.on(func(p *partition.Partition) error { return p.DeleteOffset(k, partition.AckNone) })
	case wire.OpPurgeTopic:
		if len(body) != 8 {
			return encodeResult(Result{Status: wire.StatusInvalidFormat})
		}
		op := binary.LittleEndian.Uint64(body)
		r = m.on(func(p *partition.Partition) error {
			if op == m.redoPurge {
				m.redoPurge = 0
				op = 0 // again, whatever the latest (restoreOn)
			}
			m.askCheckpoint = op == 0 || op > p.PurgedAt()
			err := p.Purge(op) // a purge at or below the latest is a no-op
			m.purgedAt.Store(p.PurgedAt())
			return err
		})
	default:
		r.Status = wire.StatusInvalidFormat
	}
	return encodeResult(r)
}

// send appends a batch with the primary's timestamp.
func (m *machine) send(body []byte) Result {
	if len(body) < 8+wire.BatchHeaderSize {
		return Result{Status: wire.StatusInvalidFormat}
	}
	now := binary.LittleEndian.Uint64(body)
	m.buf = append(m.buf[:0], body[8:]...) // Append stamps the batch in place
	var res partition.AppendResult
	r := m.on(func(p *partition.Partition) error {
		var err error
		res, err = p.Append(m.buf, now)
		return err
	})
	if cap(m.buf) > 4<<20 {
		m.buf = nil
	}
	if r.Status == wire.StatusOK {
		r.BaseOffset, r.Count = res.BaseOffset, res.Count
	}
	return r
}

// on runs fn on the owner. A refusal the partition gives every replica
// alike (a status error, a malformed batch) is the reply's status; any
// other failure is the replica's own and stops the group.
func (m *machine) on(fn func(p *partition.Partition) error) Result {
	var err error
	if oerr := m.st.On(func(p *partition.Partition) { err = fn(p) }); oerr != nil {
		err = oerr
	}
	if err == nil {
		return Result{Status: wire.StatusOK}
	}
	var we *wire.Error
	if errors.As(err, &we) || errors.Is(err, partition.ErrBatch) {
		return Result{Status: partition.StatusOf(err)}
	}
	m.fail(err)
	return Result{Status: wire.StatusCannotSaveMessagesToSegment}
}

func (m *machine) fail(err error) {
	m.log.Error("partition group: applying a committed op failed; the group stops", "err", err)
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.mu.Unlock()
}

// broken reports whether this replica's partition cannot serve the
// group: it has a gap, or applying failed.
func (m *machine) broken() bool { return m.gap.Load() || m.failure() != nil }

func (m *machine) failure() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// snapshot is what a checkpoint records of the partition.
type snapshot struct {
	next     uint64
	purgedAt uint64
	offsets  map[partition.ConsumerKey]uint64
}

// CheckpointNow asks vsr for a checkpoint right after a purge
// (vsr.CheckpointAsker): a replica behind the purge may lack messages no
// peer holds any more, and can only catch up from a checkpoint that
// follows it.
func (m *machine) CheckpointNow() bool { return m.askCheckpoint }

// Snapshot syncs the partition (the checkpoint will let the journal drop
// the ops it holds) and records its state.
func (m *machine) Snapshot() []byte {
	m.askCheckpoint = false
	var s snapshot
	r := m.on(func(p *partition.Partition) error {
		if err := p.Sync(); err != nil {
			return err
		}
		s = snapshot{next: p.NextOffset(), purgedAt: p.PurgedAt(), offsets: p.ConsumerOffsets()}
		return nil
	})
	if r.Status != wire.StatusOK {
		// fail stopped the group; the checkpoint must not claim more
		// than is durable, so it claims nothing.
		panic(fmt.Sprintf("partgroup: checkpoint: partition not synced (status %d)", r.Status))
	}
	return s.append(nil)
}

// snapshotVersion leads the encoding.
const snapshotVersion = 1

// append encodes s: version u8, next u64, purged_at u64, count u32, then
// (kind u8, id u32, offset u64) per consumer in (kind, id) order.
func (s *snapshot) append(b []byte) []byte {
	b = append(b, snapshotVersion)
	b = binary.LittleEndian.AppendUint64(b, s.next)
	b = binary.LittleEndian.AppendUint64(b, s.purgedAt)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.offsets)))
	keys := slices.SortedFunc(maps.Keys(s.offsets), func(a, b partition.ConsumerKey) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	for _, k := range keys {
		b = binary.LittleEndian.AppendUint64(appendKey(b, k), s.offsets[k])
	}
	return b
}

func decodeSnapshot(b []byte) (snapshot, error) {
	if len(b) < 21 || b[0] != snapshotVersion {
		return snapshot{}, errors.New("partgroup: bad snapshot header")
	}
	s := snapshot{next: binary.LittleEndian.Uint64(b[1:]), purgedAt: binary.LittleEndian.Uint64(b[9:]), offsets: map[partition.ConsumerKey]uint64{}}
	n := binary.LittleEndian.Uint32(b[17:])
	b = b[21:]
	if uint64(len(b)) != uint64(n)*13 {
		return snapshot{}, errors.New("partgroup: bad snapshot length")
	}
	for ; len(b) > 0; b = b[13:] {
		k, _ := decodeKey(b[:5])
		s.offsets[k] = binary.LittleEndian.Uint64(b[5:])
	}
	return s, nil
}

// Restore makes the partition what a checkpoint recorded: purged if the
// checkpoint saw a later purge, truncated to its next offset, synced, and
// with its consumer offsets. A checkpoint above the partition's next
// offset is refused (errGap) before the partition goes past what the log
// applied: installing it would leave a hole. The replica copies the
// messages it lacks from a peer (backfill.go) and takes the checkpoint
// when vsr offers it again (see the package doc, "Catching up").
func (m *machine) Restore(b []byte) error {
	s, err := decodeSnapshot(b)
	if err != nil {
		return err
	}
	return m.restore(s)
}

// errGap refuses a checkpoint whose messages this replica lacks.
var errGap = errors.New("partgroup: the checkpoint is ahead of this replica's partition (its messages are being copied)")

func (m *machine) restore(s snapshot) error {
	var (
		gap, purged bool
		next        uint64
	)
	r := m.on(func(p *partition.Partition) error {
		var err error
		gap, purged, next, err = m.restoreOn(p, s)
		m.purgedAt.Store(p.PurgedAt())
		return err
	})
	if r.Status != wire.StatusOK {
		err := m.failure()
		if err == nil {
			err = r.Status.Err()
		}
		return fmt.Errorf("partgroup: restore: %w", err)
	}
	m.gap.Store(gap)
	if gap {
		m.startBackfill(s, next, purged)
		return errGap
	}
	if m.bf != nil {
		m.log.Info("partition group: installed the checkpoint the copied messages lead to", "next_offset", s.next, "copied", m.bf.copied)
		m.bf = nil
	}
	m.restored = true
	return nil
}

// restoreOn is restore on the owner. gap reports a refusal, with the
// partition's next offset; purged, that it was purged for s first.
func (m *machine) restoreOn(p *partition.Partition, s snapshot) (gap, purged bool, next uint64, err error) {
	if s.purgedAt < p.PurgedAt() {
		if m.bf != nil && m.bf.purged {
			// The backfill purged for a newer checkpoint than this one.
			return true, false, p.NextOffset(), nil
		}
		// A restart after a purge above the checkpoint (its op is in the
		// journal, which vsr applies again): the messages the checkpoint
		// names are gone. The partition is emptied (keeping its purge
		// number), the sends before the purge's op land in it again, and
		// that op empties it once more (redoPurge); the state after the
		// purge is the same as the first time.
		if err := p.Purge(0); err != nil {
			return false, false, 0, err
		}
		m.redoPurge = p.PurgedAt()
		return false, false, 0, nil
	}
	if s.purgedAt > p.PurgedAt() {
		// The offsets restart at the checkpoint's purge: the messages
		// here are not its messages, installed or copied.
		if err := p.Purge(s.purgedAt); err != nil {
			return false, false, 0, err
		}
		purged = s.next > 0
	}
	if next = p.NextOffset(); next < s.next {
		return true, purged, next, nil
	}
	if err := p.TruncateTo(s.next); err != nil { // at next == s.next: a sync
		return false, false, 0, err
	}
	for k := range p.ConsumerOffsets() {
		if _, ok := s.offsets[k]; !ok {
			if err := p.DeleteOffset(k, partition.AckQuorum); err != nil {
				return false, false, 0, err
			}
		}
	}
	for k, off := range s.offsets {
		if cur, ok := p.ConsumerOffset(k); ok && cur == off {
			continue
		}
		if err := p.StoreOffset(k, off, partition.AckQuorum); err != nil {
			return false, false, 0, err
		}
	}
	return false, false, s.next, nil
}

// empty truncates the partition to nothing and deletes its offsets.
func (m *machine) empty() error {
	var purged uint64
	if r := m.on(func(p *partition.Partition) error { purged = p.PurgedAt(); return nil }); r.Status != wire.StatusOK {
		return fmt.Errorf("partgroup: partition unavailable: %w", m.failure())
	}
	return m.restore(snapshot{purgedAt: purged, offsets: map[partition.ConsumerKey]uint64{}})
}
