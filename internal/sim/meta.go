package sim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/metagroup"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/partset"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// Workloads: the state machine every replica runs.
const (
	WorkloadKV   = "kv"   // a toy key-value machine, checked for linearizability
	WorkloadMeta = "meta" // the server's metadata path (metagroup.Machine, partset)
)

// MetaBug is a deliberate bug in the simulator's metadata shell (never in
// production code), for checker tests.
type MetaBug uint8

const (
	MetaBugNone MetaBug = iota
	// MetaBugPurgeRepeat purges without the operation's number, so a
	// purge is neither remembered nor skipped when applied again.
	MetaBugPurgeRepeat
	// MetaBugNoEffectsLog keeps no record of the ops whose effects were
	// carried out (metagroup.EffectsLog): replayed ops carry out none,
	// even those whose effects never reached the disk.
	MetaBugNoEffectsLog
	// MetaBugRerunEffects reports an effects record of 0: every op a
	// restart applies again carries out its effects again, on a disk that
	// holds them and later ones.
	MetaBugRerunEffects
)

func (b MetaBug) String() string {
	switch b {
	case MetaBugNone:
		return "none"
	case MetaBugPurgeRepeat:
		return "purge-repeat"
	case MetaBugNoEffectsLog:
		return "no-effects-log"
	case MetaBugRerunEffects:
		return "rerun-effects"
	}
	return fmt.Sprintf("MetaBug(%d)", uint8(b))
}

// ParseMetaBug is MetaBug.String's inverse.
func ParseMetaBug(s string) (MetaBug, bool) {
	for b := MetaBugNone; b <= MetaBugRerunEffects; b++ {
		if b.String() == s {
			return b, true
		}
	}
	return 0, false
}

// dataDir is each simulated replica's data directory on its MemFS.
const dataDir = "data"

// metaRec is what one replica's state machine did at one op.
type metaRec struct {
	body    []byte
	evicted []wire.ClientID
	status  wire.Status
	digest  uint64 // of the state after the op and its evictions
}

// metaNode is one replica's metadata state machine: the server's
// metagroup.Machine over a metadata.Store, whose partition effects
// partset carries out on the replica's MemFS (the disk: it survives a
// crash, minus what was not synced). It records each applied op for the
// oracle checker.
type metaNode struct {
	s     *Sim
	id    int
	mem   *vfs.MemFS
	fs    vfs.FS // mem, through inject
	set   *partset.Set
	store *metadata.Store
	m     *metagroup.Machine
	recs  map[wire.Op]metaRec // applied, not yet checked
	last  wire.Op
	// armed counts the file operations of live effects left before the
	// disk dies (-1: not armed). When it reaches 0, image is what the
	// disk holds at that instant, every later operation fails, and the
	// node crashes with image as its disk as soon as the replica call
	// under way returns (node.doomed).
	armed int
	image *vfs.MemFS
}

func newMetaNode(s *Sim, id int, mem *vfs.MemFS) *metaNode {
	store, err := metadata.NewStore(nil, metadata.Options{})
	if err != nil {
		panic(err) // the default hash parameters are valid
	}
	mn := &metaNode{s: s, id: id, mem: mem, store: store, recs: map[wire.Op]metaRec{}, armed: -1}
	mn.fs = vfs.WithErrors(mem, mn.inject)
	mn.set = partset.New(mn.fs, dataDir)
	if s.o.MetaBug == MetaBugNoEffectsLog {
		mn.m = metagroup.NewMachine(store, metaStorage{mn})
	} else {
		mn.m = metagroup.NewMachine(store, metaLogStorage{metaStorage{mn}})
	}
	return mn
}

// Apply implements vsr.StateMachine through the real machine.
func (mn *metaNode) Apply(op wire.Op, h *wire.PrepareHeader, body []byte) []byte {
	out := mn.m.Apply(op, h, body)
	mn.last = op
	mn.recs[op] = metaRec{body: bytes.Clone(body), status: wire.Status(binary.LittleEndian.Uint32(out)),
		digest: mn.store.Current().Digest()}
	return out
}

// Evicted implements vsr.Evicter, as the server's group does: the machine
// ends the session in the metadata at the same op.
func (mn *metaNode) Evicted(c wire.ClientID) {
	mn.m.Evicted(c)
	r := mn.recs[mn.last]
	r.evicted = append(r.evicted, c)
	r.digest = mn.store.Current().Digest()
	mn.recs[mn.last] = r
}

// metaStorage carries out effects as the server's storage.Apply does
// (partset.Tasks, then Set.Do per partition, then partset.StoreDone), on
// one owner.
type metaStorage struct{ mn *metaNode }

// metaLogStorage is metaStorage with the server's metagroup.EffectsLog.
type metaLogStorage struct{ metaStorage }

func (st metaLogStorage) EffectsDone() (uint64, bool) {
	if st.mn.s.o.MetaBug == MetaBugRerunEffects {
		return 0, true
	}
	return partset.LoadDone(st.mn.fs, dataDir)
}

func (st metaStorage) Apply(op uint64, effects []metadata.Effect) {
	mn, s := st.mn, st.mn.s
	if mn.image == nil {
		s.nodes[mn.id].effectsBegun = max(s.nodes[mn.id].effectsBegun, wire.Op(op))
	}
	if mn.image == nil && s.issuing && s.midOdds > 0 && s.midRand.IntN(s.midOdds) == 0 {
		mn.armed = s.midRand.IntN(24)
	}
	creates, rest := partset.Tasks(effects)
	s.tracef("r%d op %d effects %v (armed %d)", mn.id, op, effects, mn.armed)
	for _, t := range append(creates, rest...) {
		top := op
		if t.Kind == metadata.EffectPurgePartitions && s.o.MetaBug == MetaBugPurgeRepeat {
			top = 0
		}
		if _, err := mn.set.Do(top, t); err != nil && mn.image == nil {
			s.fail("replica %d: op %d: %v of %v: %v", mn.id, op, t.Kind, t.Key, err)
		}
	}
	if err := partset.StoreDone(mn.fs, dataDir, op); err != nil && mn.image == nil {
		s.fail("replica %d: op %d: %v", mn.id, op, err)
	}
	if mn.armed >= 0 && mn.image == nil {
		mn.armed = 0
		mn.inject(vfs.Op{}) // the disk dies right after the effects
	}
}

// inject is the Injector of the partitions' file system.
func (mn *metaNode) inject(op vfs.Op) error {
	switch {
	case mn.image != nil:
		return vfs.ErrInjected
	case mn.armed < 0:
		return nil
	case mn.armed > 0:
		mn.armed--
		return nil
	}
	mn.armed = -1
	mn.s.tracef("r%d disk dies before %v %s", mn.id, op.Kind, op.Path)
	mn.image = crashImage(mn.s, mn.mem)
	return vfs.ErrInjected
}

// crashImage is what mem holds after a crash now: what was synced, and of
// each file's unsynced appends a random prefix (a torn write).
func crashImage(s *Sim, mem *vfs.MemFS) *vfs.MemFS {
	return mem.CrashClone(vfs.CrashOptions{KeepUnsynced: func(_ string, unsynced int) int {
		return s.diskRand.IntN(unsynced + 1)
	}})
}

// bootMeta builds node n's metadata machine and replica, as the server
// boots: a fresh replica gets its effects record (partset.InitDone); a
// restart replays the committed prefix (vsr.Restart; effects only above
// the effects record), then the machine goes live, partset.Boot sweeps
// orphans (partset.SweepAllowed) and opens the state's partitions present
// on disk, and only then may live effects run (Opened).
func (n *node) bootMeta(s *Sim, cfg vsr.Config, restart bool, frames [][]byte) (*vsr.Replica, error) {
	if !restart {
		if err := partset.InitDone(n.mem, dataDir); err != nil {
			return nil, err
		}
	}
	mn := newMetaNode(s, n.id, n.mem)
	n.meta = mn
	cfg.StateMachine = mn
	if !restart {
		mn.m.Live()
		mn.m.Opened()
		return vsr.New(cfg)
	}
	r, err := vsr.RestartFrom(cfg, n.hs, n.cp, frames)
	if err != nil || mn.image != nil {
		return r, err // the disk died in the replay: the caller crashes n again (doomed)
	}
	mn.m.Live()
	swept, err := partset.Boot(mn.fs, dataDir, mn.store.Current(), uint64(r.CommitMin()), uint64(r.Op()), func(ts []partset.Task) {
		for _, t := range ts {
			if mn.image != nil {
				return
			}
			if _, err := mn.set.Do(0, t); err != nil {
				// It stays closed; the directory checker reports it.
				s.tracef("r%d boot: open %v: %v", n.id, t.Key, err)
			}
		}
	})
	if err != nil {
		if mn.image != nil {
			return r, nil
		}
		return nil, fmt.Errorf("boot: %w", err)
	}
	if s.o.Trace != nil {
		done, _ := partset.LoadDone(mn.fs, dataDir)
		dirs := partitionDirs(mn.mem)
		s.tracef("r%d boot: hint %d commit %d op %d swept %v effects-done %d (machine %d) dirs %v", n.id, n.hs.Commit, r.CommitMin(), r.Op(), swept, done, mn.m.EffectsDone(), slices.SortedFunc(maps.Keys(dirs), cmpKey))
	}
	mn.m.Opened()
	return r, nil
}

// oracleRec is the oracle's record of one op.
type oracleRec struct {
	set     bool
	applied bool
	status  wire.Status
	digest  uint64
}

// metaOracle applies the committed ops in order to a store of its own,
// with the evictions the first replica to apply each op saw, and tracks
// the partitions its effects leave and the op of each one's latest purge.
type metaOracle struct {
	store *metadata.Store
	recs  []oracleRec // by op
	// parts holds the partitions of the oracle's state: the ops of the
	// current incarnation's creation and of its latest purge.
	parts map[partset.Key]oraclePart
}

type oraclePart struct{ created, purged uint64 }

// since is the op from which messages appended to k are still there.
func (p oraclePart) since() uint64 { return max(p.created, p.purged) }

func newMetaOracle() *metaOracle {
	store, err := metadata.NewStore(nil, metadata.Options{})
	if err != nil {
		panic(err)
	}
	return &metaOracle{store: store, recs: []oracleRec{{set: true}}, parts: map[partset.Key]oraclePart{}}
}

// checkMeta checks what replica n's machine did at committed op c against
// the oracle, feeding the oracle first if c is new to it.
func (s *Sim) checkMeta(n *node, c vsr.Committed) {
	mn := n.meta
	rec, applied := mn.recs[c.Op]
	delete(mn.recs, c.Op)
	o := s.oracle
	if int(c.Op) == len(o.recs) {
		or := oracleRec{set: true, applied: applied}
		if applied {
			r, _ := o.store.Commit(uint64(c.Op), rec.body)
			for _, ev := range rec.evicted {
				o.store.EndSession(ev)
			}
			or.status = r.Status
			if r.OK() {
				s.res.MetaOK++
			}
			creates, rest := partset.Tasks(r.Effects)
			s.res.MetaTasks += len(creates) + len(rest)
			for _, t := range append(creates, rest...) {
				switch t.Kind {
				case metadata.EffectCreatePartitions:
					o.parts[t.Key] = oraclePart{created: uint64(c.Op)}
				case metadata.EffectDropPartitions:
					delete(o.parts, t.Key)
				case metadata.EffectPurgePartitions:
					p := o.parts[t.Key]
					p.purged = uint64(c.Op)
					o.parts[t.Key] = p
				}
			}
		}
		or.digest = o.store.Current().Digest()
		o.recs = append(o.recs, or)
	}
	if int(c.Op) >= len(o.recs) {
		s.fail("replica %d applied op %d before the oracle saw op %d", n.id, c.Op, len(o.recs))
		return
	}
	or := o.recs[c.Op]
	switch {
	case applied != or.applied:
		s.fail("replica %d: op %d applied=%v, the oracle's %v", n.id, c.Op, applied, or.applied)
	case applied && rec.status != or.status:
		s.fail("replica %d: op %d status %v, the oracle's %v", n.id, c.Op, rec.status, or.status)
	case applied && rec.digest != or.digest:
		s.fail("replica %d: metadata state after op %d (evicted %v) differs from the oracle's", n.id, c.Op, rec.evicted)
	}
}

// checkMetaAck checks an acknowledged result against the oracle's.
func (s *Sim) checkMetaAck(c *client, h *wire.ReplyHeader, body []byte) {
	if len(body) != 4 {
		s.fail("client %d: reply body of %d bytes", c.idx, len(body))
		return
	}
	st := wire.Status(binary.LittleEndian.Uint32(body))
	if int(h.Op) >= len(s.oracle.recs) || !s.oracle.recs[h.Op].applied {
		s.fail("client %d: op %d acknowledged with status %v, not applied by the oracle", c.idx, h.Op, st)
		return
	}
	if want := s.oracle.recs[h.Op].status; st != want {
		s.fail("client %d: op %d acknowledged with status %v, the oracle's %v", c.idx, h.Op, st, want)
	}
}

// produce appends one message to a random partition of n's metadata
// state, as the partition's own replication would, stamped with the op
// the state is at; the convergence check counts those the partition must
// still hold. It appends only while the state has caught up with the
// effects on the disk (a restarted replica's state lags them until it
// applies again the ops whose effects its disk holds, all or in part),
// and syncs, so a crash loses none.
func (s *Sim) produce(n *node) {
	mn := n.meta
	if mn == nil || n.r == nil || mn.image != nil || n.r.CommitMin() < n.effectsBegun {
		return
	}
	parts := partset.Partitions(mn.store.Current())
	if len(parts) == 0 {
		return
	}
	t := parts[s.produceRand.IntN(len(parts))]
	if _, err := mn.mem.Stat(mn.set.Dir(t.Key)); err != nil {
		s.fail("replica %d: partition %v of its state (op %d) has no directory: %v", n.id, t.Key, n.r.CommitMin(), err)
		return
	}
	p, err := mn.set.Open(t.Key, t.Config)
	if err != nil {
		s.fail("replica %d: partition %v does not open: %v", n.id, t.Key, err)
		return
	}
	stamp := uint64(n.r.CommitMin())
	var m wire.MessageIn
	binary.LittleEndian.PutUint64(m.ID[:], stamp)
	m.Payload = binary.LittleEndian.AppendUint64(nil, stamp)
	batch, err := wire.AppendBatch(nil, []wire.MessageIn{m})
	if err == nil {
		_, err = p.Append(batch, uint64(s.now))
	}
	if err == nil {
		err = p.Sync()
	}
	if err != nil {
		s.fail("replica %d: append to partition %v: %v", n.id, t.Key, err)
		return
	}
	if n.appended == nil {
		n.appended = map[partset.Key][]uint64{}
	}
	n.appended[t.Key] = append(n.appended[t.Key], stamp)
	s.res.Appended++
}

// checkMetaConverged compares every replica's metadata with the oracle's
// and its partition directories with its state: none missing, none
// orphaned, each opens, and each was purged at the op of its latest purge.
func (s *Sim) checkMetaConverged() {
	want := s.oracle.store.Current().Digest()
	for _, n := range s.nodes {
		if d := n.meta.store.Current().Digest(); d != want {
			s.fail("replica %d: converged metadata differs from the oracle's at op %d", n.id, n.r.CommitMin())
			return
		}
		have := partitionDirs(n.meta.mem)
		for _, t := range partset.Partitions(n.meta.store.Current()) {
			if !have[t.Key] {
				s.fail("replica %d: partition %v of the metadata has no directory", n.id, t.Key)
				return
			}
			delete(have, t.Key)
			// The server opens a partition on first use (an op at or
			// below the effects record, applied again after a restart,
			// carries out nothing, so nothing opened it).
			p, err := n.meta.set.Open(t.Key, t.Config)
			if err != nil {
				s.fail("replica %d: partition %v does not open: %v", n.id, t.Key, err)
				return
			}
			op := s.oracle.parts[t.Key]
			if got := p.PurgedAt(); got != op.purged {
				s.fail("replica %d: partition %v purged at op %d, the oracle's latest purge is op %d", n.id, t.Key, got, op.purged)
				return
			}
			want := 0
			for _, stamp := range n.appended[t.Key] {
				if stamp >= op.since() {
					want++
				}
			}
			if got := p.Stats().Messages; got != uint64(want) {
				s.fail("replica %d: partition %v holds %d messages, want the %d appended since op %d (created at op %d, purged at op %d)",
					n.id, t.Key, got, want, op.since(), op.created, op.purged)
				return
			}
		}
		if len(have) > 0 {
			keys := slices.SortedFunc(maps.Keys(have), cmpKey)
			s.fail("replica %d: orphan partition directories %v", n.id, keys)
			return
		}
	}
}

func cmpKey(a, b partset.Key) int {
	switch {
	case a.Stream != b.Stream:
		return int(a.Stream) - int(b.Stream)
	case a.Topic != b.Topic:
		return int(a.Topic) - int(b.Topic)
	}
	return int(a.Partition) - int(b.Partition)
}

// partitionDirs lists the partition directories under dataDir.
func partitionDirs(fsys vfs.FS) map[partset.Key]bool {
	out := map[partset.Key]bool{}
	ids := func(dir string) []uint32 {
		names, _ := fsys.List(dir) // missing: none
		var out []uint32
		for _, n := range names {
			if id, err := strconv.ParseUint(n, 10, 32); err == nil {
				out = append(out, uint32(id))
			}
		}
		return out
	}
	for _, sid := range ids(path.Join(dataDir, "streams")) {
		for _, tid := range ids(path.Join(partition.StreamDir(dataDir, sid), "topics")) {
			for _, pid := range ids(path.Join(partition.TopicDir(dataDir, sid, tid), "partitions")) {
				out[partset.Key{Stream: sid, Topic: tid, Partition: pid}] = true
			}
		}
	}
	return out
}
