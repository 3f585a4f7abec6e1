package partset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"maps"
	"path"
	"strconv"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/zeebo/xxh3"
)

// Key names a partition.
type Key struct{ Stream, Topic, Partition uint32 }

// Task is one partition's share of a metadata effect.
type Task struct {
	// Kind is the effect; zero means open the partition (boot).
	Kind  metadata.EffectKind
	Key   Key
	Shard uint32 // the partition's placement (metadata.Partition.Shard)
	// Created is the partition's creation time (metadata.Partition.CreatedAt,
	// the same on every replica): a partition created anew with the ids
	// of a deleted one is another incarnation.
	Created uint64
	Config  partition.Config
}

// Config is the partition configuration of a topic's options.
func Config(o metadata.TopicOptions) partition.Config {
	return partition.Config{SegmentSize: o.SegmentSize, EnforceFsync: o.EnforceFsync,
		MessagesRequiredToSave: o.MessagesRequiredToSave, SizeRequiredToSave: o.SizeOfMessagesRequiredToSave}
}

// Tasks splits an operation's effects into per-partition tasks: the
// creations, which run first (and are waited for), then the drops and
// purges, each in effect order. A creation or drop concerns the topic's
// partitions from Effect.From on, a purge all of them.
func Tasks(effects []metadata.Effect) (create, rest []Task) {
	for _, e := range effects {
		from := e.From
		if e.Kind == metadata.EffectPurgePartitions {
			from = 0
		}
		ts := topicTasks(e.Kind, e.Topic, from)
		if e.Kind == metadata.EffectCreatePartitions {
			create = append(create, ts...)
		} else {
			rest = append(rest, ts...)
		}
	}
	return create, rest
}

// Partitions returns an open task (Kind zero) for every partition of st,
// by stream, topic and partition: the partitions a replica opens at boot.
func Partitions(st *metadata.State) []Task {
	var out []Task
	st.Topics(func(t metadata.TopicInfo) { out = append(out, topicTasks(0, t, 0)...) })
	return out
}

func topicTasks(kind metadata.EffectKind, t metadata.TopicInfo, from int) []Task {
	cfg := Config(t.Options)
	var out []Task
	for _, p := range t.Partitions[max(from, 0):] {
		out = append(out, Task{Kind: kind, Key: Key{t.Stream, t.ID, p.ID}, Shard: p.Shard, Created: p.CreatedAt, Config: cfg})
	}
	return out
}

// Set is the partitions one owner holds under a data directory, opened on
// use. It is not safe for concurrent use.
type Set struct {
	fs      vfs.FS
	dataDir string
	parts   map[Key]*partition.Partition
	// broken holds partitions found corrupt, or whose creation by a
	// committed operation failed: refused until dropped or created anew
	// (or a restart finds them).
	broken map[Key]error
	// OnOpen, if set, is told of each partition Open opens (its Recovery
	// says what it repaired) and of each it fails to open.
	OnOpen func(k Key, p *partition.Partition, err error)
}

// New returns an empty Set over the partitions under dataDir on fsys.
func New(fsys vfs.FS, dataDir string) *Set {
	return &Set{fs: fsys, dataDir: dataDir, parts: map[Key]*partition.Partition{}, broken: map[Key]error{}}
}

// Dir returns partition k's directory.
func (s *Set) Dir(k Key) string { return partition.Dir(s.dataDir, k.Stream, k.Topic, k.Partition) }

// Get returns partition k if it is open.
func (s *Set) Get(k Key) *partition.Partition { return s.parts[k] }

// All yields every open partition, in no particular order.
func (s *Set) All() iter.Seq2[Key, *partition.Partition] { return maps.All(s.parts) }

// Open returns partition k, opening it (after a restart) on first use.
// A partition found corrupt is remembered and refused from then on (each
// Open would verify the whole active segment again) until it is dropped
// or created anew; nothing in it is truncated (issue 15).
func (s *Set) Open(k Key, cfg partition.Config) (*partition.Partition, error) {
	if p := s.parts[k]; p != nil {
		return p, nil
	}
	if err := s.broken[k]; err != nil {
		return nil, err
	}
	p, err := partition.Open(s.fs, s.Dir(k), k.Partition, cfg)
	if err != nil && partition.IsCorrupt(err) {
		s.broken[k] = err
	}
	if s.OnOpen != nil {
		s.OnOpen(k, p, err)
	}
	if err != nil {
		return nil, err
	}
	s.parts[k] = p
	return p, nil
}

// Ensure is the creation a committed operation asks for: a partition that
// is open or on disk already is opened, not wiped (the proposing node
// created it first, or the operation is applied again after a crash);
// otherwise it is created. On failure the partition is marked broken.
func (s *Set) Ensure(k Key, cfg partition.Config) (*partition.Partition, error) {
	if p := s.parts[k]; p != nil {
		return p, nil
	}
	dir := s.Dir(k)
	var p *partition.Partition
	var err error
	if _, serr := s.fs.Stat(dir); serr == nil {
		p, err = partition.Open(s.fs, dir, k.Partition, cfg)
	} else {
		p, err = partition.Create(s.fs, dir, k.Partition, cfg)
	}
	if err != nil {
		s.broken[k] = err
		return nil, err
	}
	delete(s.broken, k)
	s.parts[k] = p
	return p, nil
}

// Create creates partition k empty, wiping whatever a deleted partition
// with the same ids left (partition.Create): the proposer's creation
// before it proposes.
func (s *Set) Create(k Key, cfg partition.Config) (*partition.Partition, error) {
	s.closeOpen(k)
	delete(s.broken, k)
	p, err := partition.Create(s.fs, s.Dir(k), k.Partition, cfg)
	if err != nil {
		return nil, err
	}
	s.parts[k] = p
	return p, nil
}

// Drop closes and removes partition k, durably; a missing one is no error.
func (s *Set) Drop(k Key) error {
	s.closeOpen(k)
	delete(s.broken, k)
	return partition.RemoveAll(s.fs, s.Dir(k))
}

// Purge deletes every message of partition k, keeping it. op is the
// metadata operation that asked for it: a purge applied again after a
// crash is not repeated (partition.Purge).
func (s *Set) Purge(k Key, cfg partition.Config, op uint64) (*partition.Partition, error) {
	p, err := s.Open(k, cfg)
	if err != nil {
		return nil, err
	}
	return p, p.Purge(op)
}

// Do carries out task t of metadata operation op: Ensure, Drop, Purge, or
// (Kind zero) Open. It returns the partition, when it is open after t.
func (s *Set) Do(op uint64, t Task) (*partition.Partition, error) {
	switch t.Kind {
	case metadata.EffectCreatePartitions:
		return s.Ensure(t.Key, t.Config)
	case metadata.EffectDropPartitions:
		return nil, s.Drop(t.Key)
	case metadata.EffectPurgePartitions:
		return s.Purge(t.Key, t.Config, op)
	case 0:
		return s.Open(t.Key, t.Config)
	}
	return nil, fmt.Errorf("partset: unknown effect %v", t.Kind)
}

// CloseAll closes every open partition, telling report of each failure.
func (s *Set) CloseAll(report func(k Key, err error)) {
	for k, p := range s.parts {
		if err := p.Close(); err != nil && report != nil {
			report(k, err)
		}
	}
	clear(s.parts)
}

func (s *Set) closeOpen(k Key) {
	if p := s.parts[k]; p != nil {
		p.Close()
		delete(s.parts, k)
	}
}

// SweepAllowed reports whether a restarted replica may Sweep: only when
// its replay reached the head of its log (commit == head) and its disk
// holds no effects of ops above that (done, the DoneFile record, is not
// above commit). Ops above the replayed state are applied again once the
// replica runs, and a topic one of them created must not be swept as an
// orphan first: a crash can lose the journal's last ops after their
// effects were carried out.
func SweepAllowed(commit, head, done uint64) bool { return commit == head && done <= commit }

// Sweep removes the directories of streams and topics st no longer has
// (a crash between a committed delete and its removal), at boot, before
// any partition is opened.
func Sweep(fsys vfs.FS, dataDir string, st *metadata.State) error {
	streams, err := fsys.List(path.Join(dataDir, "streams"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	const wholeStream = ^uint32(0)
	live := map[[2]uint32]bool{} // stream, topic
	st.Topics(func(t metadata.TopicInfo) {
		live[[2]uint32{t.Stream, t.ID}] = true
		live[[2]uint32{t.Stream, wholeStream}] = true
	})
	for _, sname := range streams {
		sid, err := strconv.ParseUint(sname, 10, 32)
		if err != nil {
			continue
		}
		if !live[[2]uint32{uint32(sid), wholeStream}] {
			if err := partition.RemoveAll(fsys, partition.StreamDir(dataDir, uint32(sid))); err != nil {
				return err
			}
			continue
		}
		topics, err := fsys.List(path.Join(partition.StreamDir(dataDir, uint32(sid)), "topics"))
		if err != nil {
			continue
		}
		for _, tname := range topics {
			tid, err := strconv.ParseUint(tname, 10, 32)
			if err != nil || live[[2]uint32{uint32(sid), uint32(tid)}] {
				continue
			}
			if err := partition.RemoveAll(fsys, partition.TopicDir(dataDir, uint32(sid), uint32(tid))); err != nil {
				return err
			}
		}
	}
	return nil
}

// Boot readies a restarted replica's partitions once its metadata replay
// is over, before any live effect runs (metagroup.Machine.Opened comes
// after it): commit and head are the replica's commit point and log head
// then. A data directory without a DoneFile (one written before there was
// one, whose replay carried out no effects: InitDone gave a fresh one its
// record) gets one at commit. Boot then sweeps orphans when SweepAllowed, and hands every
// partition of st whose directory exists to open (the server opens each
// on its owner; a single owner calls Set.Do). One without a directory is
// left alone: st may lag the disk, whose effects go up to DoneFile's op,
// and an op above st may have dropped it (partition.Open would create it
// again, an orphan once that op is applied again without its effects).
// It reports whether it swept.
func Boot(fsys vfs.FS, dataDir string, st *metadata.State, commit, head uint64, open func([]Task)) (swept bool, err error) {
	done, ok := LoadDone(fsys, dataDir)
	if !ok {
		if err := StoreDone(fsys, dataDir, commit); err != nil {
			return false, err
		}
		done = commit
	}
	if SweepAllowed(commit, head, done) {
		if err := Sweep(fsys, dataDir, st); err != nil {
			return false, err
		}
		swept = true
	}
	var present []Task
	for _, t := range Partitions(st) {
		if _, err := fsys.Stat(partition.Dir(dataDir, t.Key.Stream, t.Key.Topic, t.Key.Partition)); err == nil {
			present = append(present, t)
		}
	}
	open(present)
	return swept, nil
}

// DoneFile records, under a replica's data directory, the latest metadata
// operation whose effects this replica carried out. It is a log of 16-byte
// records, op u64 LE and its XXH3 u64 LE, appended and synced after each
// operation's effects (one fsync); the last whole, valid record counts, so
// a torn append leaves the previous one, and the op it lost carries out its
// (idempotent) effects again. It is rewritten with one record once it
// reaches doneCompact bytes.
//
// A restart must not take the commit point it replays to as the point
// up to which effects were done: vsr.Restart re-applies every op it knows
// committed, including ops this replica never applied before the crash
// (its durable commit hint is the highest op known committed, raised to
// its view's headers), and ops whose effects the crash cut short. The
// replayed ops above DoneFile's op carry out their effects again
// (metagroup.EffectsLog): idempotently, in op order, on a disk that holds
// the effects of every op up to it.
const DoneFile = "metadata/effects-done"

const (
	doneRecord  = 16
	doneCompact = 4096
)

func doneBytes(op uint64) []byte {
	b := binary.LittleEndian.AppendUint64(make([]byte, 0, doneRecord), op)
	return binary.LittleEndian.AppendUint64(b, xxh3.Hash(b))
}

// LoadDone returns the op DoneFile records and whether there is one. An
// unreadable record counts as none.
func LoadDone(fsys vfs.FS, dataDir string) (uint64, bool) {
	b, err := vfs.ReadFile(fsys, path.Join(dataDir, DoneFile))
	if err != nil {
		return 0, false
	}
	for end := len(b) - len(b)%doneRecord; end >= doneRecord; end -= doneRecord {
		r := b[end-doneRecord : end]
		if xxh3.Hash(r[:8]) == binary.LittleEndian.Uint64(r[8:]) {
			return binary.LittleEndian.Uint64(r), true
		}
	}
	return 0, false
}

// InitDone gives a fresh replica (one whose metadata log was empty before
// it started) its DoneFile, 0, before anything is applied: without a
// record, Boot takes the replayed commit point as done, which is right
// only for a data directory from before DoneFile existed.
func InitDone(fsys vfs.FS, dataDir string) error {
	if _, ok := LoadDone(fsys, dataDir); ok {
		return nil
	}
	return StoreDone(fsys, dataDir, 0)
}

// StoreDone records op in DoneFile, durably: an appended record and one
// fsync, or, for a new or full file, a file of that one record replaced
// durably (vfs.WriteFileSync).
func StoreDone(fsys vfs.FS, dataDir string, op uint64) error {
	name := path.Join(dataDir, DoneFile)
	if fi, err := fsys.Stat(name); err == nil && fi.Size()%doneRecord == 0 && fi.Size() < doneCompact {
		f, err := fsys.OpenReadWrite(name)
		if err != nil {
			return fmt.Errorf("partset: %w", err)
		}
		_, err = f.Write(doneBytes(op))
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("partset: %w", err)
		}
		return nil
	}
	if err := fsys.MkdirAll(path.Dir(name), 0o700); err != nil {
		return fmt.Errorf("partset: %w", err)
	}
	if err := vfs.WriteFileSync(fsys, name, doneBytes(op)); err != nil {
		return fmt.Errorf("partset: %w", err)
	}
	return nil
}
