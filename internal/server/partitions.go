package server

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/partset"
	"github.com/shoal-io/shoal/internal/shard"
)

// Partitions are owned by shards: the metadata places each on a shard
// (round robin at creation), and only that shard's goroutine opens,
// appends to, reads or removes it (S5). Requests reach it from the
// connection's shard through the owner's inbox; the answer goes back to
// the connection's shard, which replies (S10).

// partKey names a partition.
type partKey struct{ stream, topic, partition uint32 }

// partCounters mirror a partition's counters for reads on other shards
// (GetStream, GetTopic, GetStats); the owner updates them.
type partCounters struct {
	segments                atomic.Uint32
	current, size, messages atomic.Uint64
}

// counters returns k's counters, creating them.
func (srv *Server) counters(k partKey) *partCounters {
	if c, ok := srv.pstats.Load(k); ok {
		return c.(*partCounters)
	}
	c, _ := srv.pstats.LoadOrStore(k, &partCounters{})
	return c.(*partCounters)
}

// stats is the metadata.StatsFunc of the reply encoders.
func (srv *Server) stats(stream, topic, part uint32) metadata.PartitionStats {
	c, ok := srv.pstats.Load(partKey{stream, topic, part})
	if !ok {
		return metadata.PartitionStats{}
	}
	pc := c.(*partCounters)
	return metadata.PartitionStats{Segments: pc.segments.Load(), CurrentOffset: pc.current.Load(),
		SizeBytes: pc.size.Load(), Messages: pc.messages.Load()}
}

func (srv *Server) publish(k partKey, p *partition.Partition) {
	st := p.Stats()
	c := srv.counters(k)
	c.segments.Store(st.Segments)
	c.current.Store(st.CurrentOffset)
	c.size.Store(st.SizeBytes)
	c.messages.Store(st.Messages)
}

// owner returns the shard that owns a partition: its placement, folded
// onto the shards this process runs.
func (srv *Server) owner(p metadata.Partition) *shard.Shard { return srv.shardOf(p.Shard) }

// shardOf folds a partition placement onto the shards this process runs.
func (srv *Server) shardOf(placement uint32) *shard.Shard {
	return srv.rt.Shard(int(placement) % srv.rt.Shards())
}

// key names partition k in its owner's partset.Set.
func (k partKey) key() partset.Key {
	return partset.Key{Stream: k.stream, Topic: k.topic, Partition: k.partition}
}

func keyOf(k partset.Key) partKey { return partKey{k.Stream, k.Topic, k.Partition} }

// onOwners runs fn on the owning shard of each task's partition (S5),
// counting each in wg, which the caller waits on. The tasks go to their
// owners in batches of at most ownerBatch, and the caller (the metadata
// writer or group, never a shard) waits for room in an owner's lifecycle
// lane, so a topic with more partitions than a lane holds is not refused,
// and an owner serves its other lanes between batches. A batch the owner
// cannot take because the runtime is stopping is logged as what and its
// tasks counted in the result: their fn does not run.
func (srv *Server) onOwners(wg *sync.WaitGroup, tasks []partset.Task, what string,
	fn func(st *shardState, t partset.Task)) (refused int) {
	batches := map[*shard.Shard][]partset.Task{}
	post := func(owner *shard.Shard, ts []partset.Task) {
		wg.Add(len(ts))
		err := owner.PostWait(func(s *shard.Shard) {
			for _, t := range ts {
				fn(srv.shards[s.ID()], t)
				wg.Done()
			}
		})
		if err != nil {
			wg.Add(-len(ts))
			refused += len(ts)
			srv.log.Error(what+" not delivered", "stream", ts[0].Key.Stream, "topic", ts[0].Key.Topic, "partitions", len(ts), "err", err)
		}
	}
	for _, t := range tasks {
		owner := srv.shardOf(t.Shard)
		b := append(batches[owner], t)
		if len(b) == ownerBatch {
			post(owner, b)
			b = nil
		}
		batches[owner] = b
	}
	for owner, b := range batches {
		if len(b) > 0 {
			post(owner, b)
		}
	}
	return refused
}

// ownerBatch is how many partitions one task on an owner handles.
const ownerBatch = 32

// storage is the service's Storage: the partitions on their owners. Its
// methods run on the metadata writer and wait for the owners (S5: only an
// owner touches its partitions), so the writer reports an operation only
// once its partitions are in place. The work on each partition is
// internal/partset's, which the simulator runs too.
type storage struct{ srv *Server }

// Create creates the partitions of creation effects on their owners. A
// directory left by a deleted partition with the same ids is wiped
// (partition.Create). If any fails, the ones created are removed again
// and an error is returned.
func (st storage) Create(effects []metadata.Effect) error {
	srv := st.srv
	var wg sync.WaitGroup
	var mu sync.Mutex // guards the following, written on the owners
	var failed []error
	var undo []partset.Task
	creates, _ := partset.Tasks(effects)
	refused := srv.onOwners(&wg, creates, "partition creation", func(sst *shardState, t partset.Task) {
		part, err := sst.set.Create(t.Key, t.Config)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed = append(failed, err)
			return
		}
		srv.publish(keyOf(t.Key), part)
		t.Kind = metadata.EffectDropPartitions
		undo = append(undo, t)
	})
	wg.Wait()
	if refused > 0 {
		failed = append(failed, fmt.Errorf("%d partitions not created: owner busy", refused))
	}
	if len(failed) == 0 {
		return nil
	}
	st.run(0, undo)
	return failed[0]
}

// Apply carries out the effects of a committed metadata operation on this
// replica (metagroup.Storage), on the partitions' owners (partset.Task.Do):
// creation opens a partition that is already there (the proposing node
// created it first, or the operation is applied again after a crash) and
// creates it otherwise; drops and purges as Carry. It runs on the metadata
// group's goroutine. A partition that cannot be created is logged and
// marked broken: it is refused until a restart finds it.
func (st storage) Apply(op uint64, effects []metadata.Effect) {
	creates, rest := partset.Tasks(effects)
	st.run(op, creates)
	st.srv.startGroups(creates)
	st.run(op, st.srv.groupEffects(op, rest))
	if err := partset.StoreDone(st.srv.fs, st.srv.opts.DataDir, op); err != nil {
		// A restart carries out these effects again (idempotent).
		st.srv.log.Error("metadata effects done but not recorded", "op", op, "err", err)
	}
}

// EffectsDone implements metagroup.EffectsLog: the latest op whose
// effects Apply carried out (partset.DoneFile).
func (st storage) EffectsDone() (uint64, bool) {
	return partset.LoadDone(st.srv.fs, st.srv.opts.DataDir)
}

// Carry does drop and purge effects on the partitions' owners and returns
// once every owner has done its part.
func (st storage) Carry(effects []metadata.Effect) {
	_, rest := partset.Tasks(effects)
	st.run(0, st.srv.groupEffects(0, rest))
}

// run does tasks of metadata operation op (0: none) on their owners and
// returns once every owner has done its part.
func (st storage) run(op uint64, tasks []partset.Task) {
	srv := st.srv
	var wg sync.WaitGroup
	srv.onOwners(&wg, tasks, "partition "+what(tasks), func(sst *shardState, t partset.Task) {
		k := keyOf(t.Key)
		part, err := sst.set.Do(op, t)
		if part != nil {
			srv.publish(k, part)
		}
		if t.Kind == metadata.EffectDropPartitions {
			srv.pstats.Delete(k)
		}
		if err != nil {
			srv.log.Error("partition "+t.Kind.String()+" of a committed operation failed", "stream", k.stream, "topic", k.topic,
				"partition", k.partition, "op", op, "err", err)
		}
	})
	wg.Wait()
}

// what names tasks' kind for a log line.
func what(tasks []partset.Task) string {
	if len(tasks) == 0 {
		return "work"
	}
	return tasks[0].Kind.String()
}

// partition returns the open partition k on its owner, opening it (after
// a restart) on first use. st must be the owner's state. A partition found
// corrupt is refused until it is deleted or created anew (partset.Set.Open).
func (srv *Server) partition(st *shardState, k partKey, t metadata.TopicInfo) (*partition.Partition, error) {
	if p := st.set.Get(k.key()); p != nil {
		return p, nil
	}
	return srv.open(st, k, partset.Config(t.Options))
}

// open opens partition k on its owner st and publishes its counters.
func (srv *Server) open(st *shardState, k partKey, cfg partition.Config) (*partition.Partition, error) {
	p, err := st.set.Open(k.key(), cfg)
	if err != nil {
		return nil, err
	}
	srv.publish(k, p)
	return p, nil
}

// logOpen is each shard's partset.Set.OnOpen: it logs a partition found
// corrupt, and a torn tail that recovery cut, with its size.
func (srv *Server) logOpen(key partset.Key, p *partition.Partition, err error) {
	k := keyOf(key)
	if err != nil {
		if partition.IsCorrupt(err) {
			srv.log.Error("partition corrupt: refusing to serve it", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
		}
		return
	}
	if rec := p.Recovery(); rec.TornBytes > 0 || rec.OffsetsTornBytes > 0 || rec.IndexesRebuilt > 0 {
		srv.log.Warn("partition recovered", "stream", k.stream, "topic", k.topic, "partition", k.partition,
			"torn_file", rec.TornFile, "torn_offset", rec.TornOffset, "torn_bytes", rec.TornBytes,
			"offsets_torn_bytes", rec.OffsetsTornBytes, "indexes_rebuilt", rec.IndexesRebuilt)
	}
}

// openPartitions opens the partitions of tasks on their owners, at start, before any
// listener binds: each recovers (the active segment is verified) and
// publishes its counters, so the first GetStreams after a restart reports
// what is stored. A partition that fails to open is logged and retried
// on first use.
func (srv *Server) openPartitions(tasks []partset.Task) {
	var wg sync.WaitGroup
	opened := atomic.Int64{}
	srv.onOwners(&wg, tasks, "partition opening at start", func(st *shardState, t partset.Task) {
		k := keyOf(t.Key)
		if _, err := srv.open(st, k, t.Config); err != nil {
			srv.log.Error("partition unavailable", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
			return
		}
		opened.Add(1)
	})
	wg.Wait()
	if n := opened.Load(); n > 0 {
		srv.log.Info("partitions opened", "count", n)
	}
}

// cleanLoop runs the segment cleaner every Options.Cleaner until ctx ends.
func (srv *Server) cleanLoop(ctx context.Context) {
	t := time.NewTicker(srv.opts.Cleaner)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			srv.retain(ctx, now)
		}
	}
}

// retention is a topic's policy as each of its partitions enforces it.
type retention struct{ expiry, maxBytes uint64 }

// retain runs one cleaner pass at now: on every shard, each open partition
// of a topic with a finite message_expiry or max_topic_size drops what
// partition.Retain allows. A partition's share of max_topic_size is the
// topic's divided by its partitions, raised to one segment plus one frame,
// as Iggy does, so a cap too small to divide still keeps the newest sealed
// segment. It returns once every shard has run its part, or ctx ends.
func (srv *Server) retain(ctx context.Context, now time.Time) {
	policies := map[partKey]retention{} // partition unused
	s := srv.state()
	s.Topics(func(t metadata.TopicInfo) {
		o := t.Options
		var r retention
		if o.MessageExpiry != math.MaxUint64 {
			r.expiry = o.MessageExpiry
		}
		if o.MaxTopicSize != math.MaxUint64 && len(t.Partitions) > 0 {
			r.maxBytes = max(o.MaxTopicSize/uint64(len(t.Partitions)), o.SegmentSize+uint64(srv.opts.Bus.MaxMessageSize))
		}
		if r != (retention{}) {
			policies[partKey{stream: t.Stream, topic: t.ID}] = r
		}
	})
	if len(policies) == 0 {
		return
	}
	us := uint64(now.UnixMicro())
	done := make(chan struct{}, srv.rt.Shards())
	posted := 0
	for i := range srv.rt.Shards() {
		err := srv.rt.Shard(i).Post(func(s *shard.Shard) {
			defer func() { done <- struct{}{} }()
			for key, part := range srv.shards[s.ID()].set.All() {
				k := keyOf(key)
				r, ok := policies[partKey{stream: k.stream, topic: k.topic}]
				if !ok {
					continue
				}
				n, err := part.Retain(us, r.expiry, r.maxBytes)
				if err != nil {
					srv.log.Error("segment cleaner", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
					continue
				}
				if n > 0 {
					srv.metrics.SegmentsExpired.Add(float64(n))
					srv.log.Info("segment cleaner removed segments", "stream", k.stream, "topic", k.topic, "partition", k.partition, "segments", n)
					srv.publish(k, part)
				}
			}
		})
		if err == nil {
			posted++
		}
	}
	for range posted {
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
	}
}

// closePartitions closes every partition a shard holds, at shutdown.
func (srv *Server) closePartitions() {
	var wg sync.WaitGroup
	for _, st := range srv.shards {
		wg.Go(func() {
			st.set.CloseAll(func(k partset.Key, err error) {
				srv.log.Error("partition close failed", "stream", k.Stream, "topic", k.Topic, "partition", k.Partition, "err", err)
			})
		})
	}
	wg.Wait()
}
