package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partition"
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
func (srv *Server) owner(p metadata.Partition) *shard.Shard {
	return srv.rt.Shard(int(p.Shard) % srv.rt.Shards())
}

func partitionConfig(o metadata.TopicOptions) partition.Config {
	return partition.Config{SegmentSize: o.SegmentSize, EnforceFsync: o.EnforceFsync,
		MessagesRequiredToSave: o.MessagesRequiredToSave, SizeRequiredToSave: o.SizeOfMessagesRequiredToSave}
}

// onOwners runs fn on the owning shard of each of t's partitions from
// index from on (S5), counting each in wg, which the caller waits on. The
// partitions go to their owners in tasks of at most ownerBatch, and the
// caller (the metadata writer or group, never a shard) waits for room in
// an owner's lifecycle lane, so a topic with more partitions than a lane
// holds is not refused, and an owner serves its other lanes between
// tasks. A task the owner cannot take because the runtime is stopping is
// logged as what and its partitions counted in the result: their fn does
// not run.
func (srv *Server) onOwners(wg *sync.WaitGroup, t metadata.TopicInfo, from int, what string,
	fn func(st *shardState, k partKey, p metadata.Partition)) (refused int) {
	batches := map[*shard.Shard][]metadata.Partition{}
	post := func(owner *shard.Shard, ps []metadata.Partition) {
		wg.Add(len(ps))
		err := owner.PostWait(func(s *shard.Shard) {
			for _, p := range ps {
				fn(srv.shards[s.ID()], partKey{t.Stream, t.ID, p.ID}, p)
				wg.Done()
			}
		})
		if err != nil {
			wg.Add(-len(ps))
			refused += len(ps)
			srv.log.Error(what+" not delivered", "stream", t.Stream, "topic", t.ID, "partitions", len(ps), "err", err)
		}
	}
	for _, p := range t.Partitions[max(from, 0):] {
		owner := srv.owner(p)
		b := append(batches[owner], p)
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

// closeOpen closes partition k if its owner st holds it open.
func (st *shardState) closeOpen(k partKey) {
	if old := st.parts[k]; old != nil {
		old.Close()
		delete(st.parts, k)
	}
}

// storage is the service's Storage: the partitions on their owners. Its
// methods run on the metadata writer and wait for the owners (S5: only an
// owner touches its partitions), so the writer reports an operation only
// once its partitions are in place.
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
	var undo []metadata.Effect
	refused := 0
	for _, e := range effects {
		cfg := partitionConfig(e.Topic.Options)
		t := e.Topic
		refused += srv.onOwners(&wg, t, e.From, "partition creation", func(sst *shardState, k partKey, p metadata.Partition) {
			sst.closeOpen(k)
			delete(sst.broken, k)
			part, err := partition.Create(srv.fs, srv.partitionDir(k), p.ID, cfg)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, err)
				return
			}
			sst.parts[k] = part
			srv.publish(k, part)
			one := t
			one.Partitions = []metadata.Partition{p}
			undo = append(undo, metadata.Effect{Kind: metadata.EffectDropPartitions, Topic: one})
		})
	}
	wg.Wait()
	if refused > 0 {
		failed = append(failed, fmt.Errorf("%d partitions not created: owner busy", refused))
	}
	if len(failed) == 0 {
		return nil
	}
	st.Carry(undo)
	return failed[0]
}

// Apply carries out the effects of a committed metadata operation on this
// replica (metagroup.Storage), on the partitions' owners: creation opens a
// partition that is already there (the proposing node created it first,
// or the operation is applied again after a crash) and creates it
// otherwise; drops and purges as Carry. It runs on the metadata group's
// goroutine. A partition that cannot be created is logged and marked
// broken: it is refused until a restart finds it.
func (st storage) Apply(op uint64, effects []metadata.Effect) {
	srv := st.srv
	var wg sync.WaitGroup
	var rest []metadata.Effect
	for _, e := range effects {
		if e.Kind != metadata.EffectCreatePartitions {
			rest = append(rest, e)
			continue
		}
		cfg := partitionConfig(e.Topic.Options)
		srv.onOwners(&wg, e.Topic, e.From, "partition creation", func(sst *shardState, k partKey, p metadata.Partition) {
			if sst.parts[k] != nil {
				return
			}
			dir := srv.partitionDir(k)
			var part *partition.Partition
			var err error
			if _, serr := srv.fs.Stat(dir); serr == nil {
				part, err = partition.Open(srv.fs, dir, p.ID, cfg)
			} else {
				part, err = partition.Create(srv.fs, dir, p.ID, cfg)
			}
			if err != nil {
				sst.broken[k] = err
				srv.log.Error("partition of a committed operation not created", "stream", k.stream, "topic", k.topic,
					"partition", k.partition, "err", err)
				return
			}
			delete(sst.broken, k)
			sst.parts[k] = part
			srv.publish(k, part)
		})
	}
	wg.Wait()
	st.carry(op, rest)
}

// Carry does drop and purge effects on the partitions' owners and returns
// once every owner has done its part.
func (st storage) Carry(effects []metadata.Effect) { st.carry(0, effects) }

// carry is Carry for the effects of metadata operation op (0: none).
func (st storage) carry(op uint64, effects []metadata.Effect) {
	srv := st.srv
	var wg sync.WaitGroup
	for _, e := range effects {
		switch e.Kind {
		case metadata.EffectDropPartitions:
			srv.onOwners(&wg, e.Topic, e.From, "partition removal", srv.dropPartition)
		case metadata.EffectPurgePartitions:
			t := e.Topic
			srv.onOwners(&wg, t, 0, "partition purge", func(sst *shardState, k partKey, _ metadata.Partition) {
				srv.purgePartition(sst, k, t, op)
			})
		}
	}
	wg.Wait()
}

// dropPartition closes and removes partition k, after the metadata
// deleted it. It runs on k's owner.
func (srv *Server) dropPartition(st *shardState, k partKey, _ metadata.Partition) {
	st.closeOpen(k)
	srv.pstats.Delete(k)
	delete(st.broken, k)
	if err := partition.RemoveAll(srv.fs, srv.partitionDir(k)); err != nil {
		srv.log.Error("partition removal failed", "dir", srv.partitionDir(k), "err", err)
	}
}

// purgePartition deletes every message of partition k of t, keeping it.
// It runs on k's owner.
func (srv *Server) purgePartition(st *shardState, k partKey, t metadata.TopicInfo, op uint64) {
	part, err := srv.partition(st, k, t)
	if err == nil {
		err = part.Purge(op)
		srv.publish(k, part)
	}
	if err != nil {
		srv.log.Error("partition purge failed", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
	}
}

func (srv *Server) partitionDir(k partKey) string {
	return partition.Dir(srv.opts.DataDir, k.stream, k.topic, k.partition)
}

// partition returns the open partition k on its owner, opening it (after
// a restart) on first use. st must be the owner's state.
//
// A partition found corrupt is remembered and refused from then on (each
// Open would verify the whole active segment again) until it is deleted or
// created anew; nothing in it is truncated (issue 15). A torn tail that
// recovery cut is logged with its size.
func (srv *Server) partition(st *shardState, k partKey, t metadata.TopicInfo) (*partition.Partition, error) {
	if p := st.parts[k]; p != nil {
		return p, nil
	}
	if err := st.broken[k]; err != nil {
		return nil, err
	}
	p, err := partition.Open(srv.fs, srv.partitionDir(k), k.partition, partitionConfig(t.Options))
	if err != nil {
		if partition.IsCorrupt(err) {
			st.broken[k] = err
			srv.log.Error("partition corrupt: refusing to serve it", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
		}
		return nil, err
	}
	if rec := p.Recovery(); rec.TornBytes > 0 || rec.OffsetsTornBytes > 0 || rec.IndexesRebuilt > 0 {
		srv.log.Warn("partition recovered", "stream", k.stream, "topic", k.topic, "partition", k.partition,
			"torn_file", rec.TornFile, "torn_offset", rec.TornOffset, "torn_bytes", rec.TornBytes,
			"offsets_torn_bytes", rec.OffsetsTornBytes, "indexes_rebuilt", rec.IndexesRebuilt)
	}
	st.parts[k] = p
	srv.publish(k, p)
	return p, nil
}

// openPartitions opens every partition on its owner, at start, before any
// listener binds: each recovers (the active segment is verified) and
// publishes its counters, so the first GetStreams after a restart reports
// what is stored. A partition that fails to open is logged and retried
// on first use.
func (srv *Server) openPartitions() {
	var topics []metadata.TopicInfo
	s := srv.state()
	s.Topics(func(t metadata.TopicInfo) { topics = append(topics, t) })
	var wg sync.WaitGroup
	opened := atomic.Int64{}
	for _, t := range topics {
		srv.onOwners(&wg, t, 0, "partition opening at start", func(st *shardState, k partKey, _ metadata.Partition) {
			if _, err := srv.partition(st, k, t); err != nil {
				srv.log.Error("partition unavailable", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
				return
			}
			opened.Add(1)
		})
	}
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
			for k, part := range srv.shards[s.ID()].parts {
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
			for k, p := range st.parts {
				if err := p.Close(); err != nil {
					srv.log.Error("partition close failed", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
				}
			}
			clear(st.parts)
		})
	}
	wg.Wait()
}

// sweepOrphans removes the directories of streams and topics the metadata
// no longer has (a crash between a committed delete and its removal), at
// boot, before any shard touches partitions.
func (srv *Server) sweepOrphans() error {
	root := path.Join(srv.opts.DataDir, "streams")
	streams, err := srv.fs.List(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	live := map[partKey]bool{} // stream, topic (partition unused)
	s := srv.state()
	s.Topics(func(t metadata.TopicInfo) {
		live[partKey{stream: t.Stream, topic: t.ID}] = true
		live[partKey{stream: t.Stream, topic: ^uint32(0)}] = true
	})
	for _, sname := range streams {
		sid, err := strconv.ParseUint(sname, 10, 32)
		if err != nil {
			continue
		}
		if !live[partKey{stream: uint32(sid), topic: ^uint32(0)}] {
			if err := partition.RemoveAll(srv.fs, partition.StreamDir(srv.opts.DataDir, uint32(sid))); err != nil {
				return err
			}
			continue
		}
		topics, err := srv.fs.List(path.Join(partition.StreamDir(srv.opts.DataDir, uint32(sid)), "topics"))
		if err != nil {
			continue
		}
		for _, tname := range topics {
			tid, err := strconv.ParseUint(tname, 10, 32)
			if err != nil || live[partKey{stream: uint32(sid), topic: uint32(tid)}] {
				continue
			}
			if err := partition.RemoveAll(srv.fs, partition.TopicDir(srv.opts.DataDir, uint32(sid), uint32(tid))); err != nil {
				return err
			}
		}
	}
	return nil
}
