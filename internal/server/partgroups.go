package server

import (
	"bytes"
	"errors"
	"path"

	"github.com/shoal-io/shoal/internal/consensus"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partgroup"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/partset"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// In a cluster every partition is replicated by a consensus group of its
// own (internal/partgroup), started on every replica when the partition
// is opened or created and stopped before it is dropped. Sends and
// consumer-offset writes are proposed to it by the leader and answered
// after their commit; polls and offset reads are served by the leader
// from the applied partition, on its owner, while its replica is the
// group's primary and once the group confirms the read (confirm.go). A standalone node has no groups (see the partgroup
// package doc).

// groupSubdir is where a partition's group keeps its VSR log, inside the
// partition's directory (so it goes with the partition when it is
// dropped or created anew).
const groupSubdir = "vsr"

// packable reports whether k's ids fit wire.PartitionGroup (20/12/20
// bits).
func packable(k partKey) bool {
	return k.stream <= 0xFFFFF && k.topic <= 0xFFF && k.partition <= 0xFFFFF
}

// partGroup returns partition k's group, or nil.
func (srv *Server) partGroup(k partKey) *partgroup.Group {
	srv.pgMu.Lock()
	defer srv.pgMu.Unlock()
	return srv.pgroups[k]
}

// startGroups starts the groups of tasks' partitions that are not
// running. It runs off the shards (a group's start re-applies its log on
// the partition's owner, and waits for it).
func (srv *Server) startGroups(tasks []partset.Task) {
	if !srv.opts.Cluster.Enabled {
		return
	}
	for _, t := range tasks {
		k := keyOf(t.Key)
		if srv.partGroup(k) != nil {
			continue
		}
		if !packable(k) {
			srv.log.Error("partition ids too large for a consensus group; partition not replicated",
				"stream", k.stream, "topic", k.topic, "partition", k.partition)
			continue
		}
		c := &srv.opts.Cluster
		// The group's frames name the partition's incarnation too (its
		// creation time, in the cluster id's high half): a lagging
		// replica still running the group of a deleted partition whose
		// ids were reused is another cluster to the new one's replicas.
		cluster := srv.clusterID()
		cluster.Hi ^= t.Created
		rc := vsr.Config{ID: wire.ReplicaID(c.Self), Replicas: srv.replicas(), Cluster: cluster,
			Seed: wire.PartitionGroup(k.stream, k.topic, k.partition) ^ uint64(c.Self+1), Timeouts: c.Timeouts,
			CheckpointInterval: c.PartitionCheckpointInterval, ProbeAttempts: c.ProbeAttempts}
		g, err := partgroup.Start(partgroup.Config{Replica: rc, Stream: k.stream, Topic: k.topic, Partition: k.partition,
			FS: srv.fs, Dir: path.Join(partition.Dir(srv.opts.DataDir, k.stream, k.topic, k.partition), groupSubdir),
			Transport: consensus.PlaneTransport{Runtime: srv.rt}, Storage: ownerStorage{srv, t},
			Leader: srv.leader, Ticks: c.Ticks, Logger: srv.log})
		if err != nil {
			srv.log.Error("partition group not started; partition unavailable", "stream", k.stream, "topic", k.topic,
				"partition", k.partition, "err", err)
			continue
		}
		srv.pgMu.Lock()
		srv.pgroups[k] = g
		srv.pgMu.Unlock()
		srv.router.Add(g.ID(), g.Node())
	}
}

// stopGroups stops the groups of tasks' partitions (before they are
// dropped), answering their waiting proposals.
func (srv *Server) stopGroups(tasks []partset.Task) {
	for _, t := range tasks {
		k := keyOf(t.Key)
		srv.pgMu.Lock()
		g := srv.pgroups[k]
		delete(srv.pgroups, k)
		srv.pgMu.Unlock()
		if g != nil {
			srv.router.Remove(g.ID())
			if err := g.Stop(); err != nil {
				srv.log.Error("partition group stopped with an error", "stream", k.stream, "topic", k.topic, "partition", k.partition, "err", err)
			}
		}
	}
}

// stopAllGroups stops every group, at shutdown, before the shards stop.
func (srv *Server) stopAllGroups() {
	srv.pgMu.Lock()
	var tasks []partset.Task
	for k := range srv.pgroups {
		tasks = append(tasks, partset.Task{Key: k.key()})
	}
	srv.pgMu.Unlock()
	srv.stopGroups(tasks)
}

// leader is the node clients follow: the metadata group's normal,
// unabdicated primary. For the partition groups it is not known while
// this node has no replica connection to it: a primary killed a moment
// ago is still the metadata group's until its backups time out, and a
// partition group that already left it must not stand down toward it.
func (srv *Server) leader() (wire.ReplicaID, bool) {
	st := srv.groupStatus()
	ok := st.Status == vsr.StatusNormal && !st.Abdicated
	if ok && !st.IsPrimary && srv.plane != nil && !srv.plane.Connected(st.Primary) {
		ok = false
	}
	return st.Primary, ok
}

// ownerStorage is a group's partgroup.Storage: the partition on its
// owning shard, opened there on first use with its topic's configuration.
type ownerStorage struct {
	srv *Server
	t   partset.Task
}

var errOwnerGone = errors.New("server: partition owner stopped")

func (o ownerStorage) On(fn func(p *partition.Partition)) error {
	srv, k := o.srv, keyOf(o.t.Key)
	done := make(chan error, 1)
	err := srv.shardOf(o.t.Shard).PostWait(func(s *shard.Shard) {
		st := srv.shards[s.ID()]
		p := st.set.Get(k.key())
		var err error
		if p == nil {
			p, err = srv.open(st, k, o.t.Config)
		}
		if err == nil {
			fn(p)
			srv.publish(k, p)
		}
		done <- err
	})
	if err != nil {
		return errors.Join(errOwnerGone, err)
	}
	return <-done
}

// replicate serves w through its partition's group, if w is a write of
// a clustered node (a send, an offset store or delete) or a read that
// only the group's primary may answer; it reports whether it took w.
func (srv *Server) replicate(s *shard.Shard, c *session, w *partWork) bool {
	if !srv.opts.Cluster.Enabled {
		return false
	}
	g := srv.partGroup(w.k)
	if g == nil || !g.Serves() {
		// Not (yet) this node's to serve: the client looks for the
		// leader and comes back (58, wire.md §2.6).
		srv.groupAnswer(s, c, w, partgroup.Result{Status: wire.StatusTransientNotAccepted})
		return true
	}
	write := w.kind == partSend || w.kind == partStoreOffset || w.kind == partDeleteOffset
	if !write {
		if w.kind == partGetOffset || (w.kind == partPoll && confirmPolls) {
			// A read the group confirms first; the owner then serves it
			// from the applied partition (confirm.go).
			srv.confirmedPartRead(s, c, g, w)
			return true
		}
		return false // the owner serves it from the applied partition
	}
	if w.kind != partSend && w.ack > partition.AckQuorum {
		// The group applies offsets without an ack level (the journal is
		// their durability), so the level is checked here.
		srv.groupAnswer(s, c, w, partgroup.Result{Status: wire.StatusInvalidFormat})
		return true
	}
	if c != nil {
		c.parked = true
	}
	done := func(r partgroup.Result) { srv.groupAnswer(nil, nil, w, r) }
	switch w.kind {
	case partSend:
		g.Send(uint64(srv.now().UnixMicro()), w.batch, done)
	case partStoreOffset:
		g.StoreOffset(w.consumer, w.offset, done)
	case partDeleteOffset:
		g.DeleteOffset(w.consumer, done)
	}
	return true
}

// groupAnswer answers w with a group's result: on the connection's shard
// s when it is given (w never left it), else through that shard's reply
// lane; w's detached callback for the HTTP API.
func (srv *Server) groupAnswer(s *shard.Shard, c *session, w *partWork, r partgroup.Result) {
	var body []byte
	if r.Status == wire.StatusOK {
		switch w.kind {
		case partSend:
			body = wire.AppendSendConfirmations(nil, wire.SendConfirmation{Stream: w.t.Stream, Topic: w.t.ID,
				Partition: w.k.partition, BaseOffset: r.BaseOffset})
		case partStoreOffset, partDeleteOffset:
			body = wire.AppendResultOK(nil)
		}
	}
	if w.detached != nil {
		answer := w.detached
		w.free()
		srv.metrics.Status(r.Status)
		answer(bytes.Clone(body), r.Status)
		return
	}
	f := replyFrame(&w.req, r.Status, body, wire.Op(w.req.Session), srv.commitOp())
	if s != nil {
		srv.answer(s, c, &w.req, false, f, r.Status)
		w.free()
		return
	}
	a := partAnswers.Get().(*partAnswer)
	*a = partAnswer{srv: srv, conn: w.conn, req: w.req, frame: f, status: r.Status}
	conn := w.conn
	w.free()
	if err := srv.rt.Shard(int(conn.Shard())).PostReply(a); err != nil {
		a.frame.Release()
		a.free()
		srv.undeliverable(conn, err)
	}
}

// groupEffects prepares a clustered node's drops and purges for the
// partitions' groups and returns the tasks left for the owners: a
// dropped partition's group stops first (its directory goes with the
// partition); a purge is the group's to order with the sends around it
// (partgroup.Group.Purge), so its task is not run here. A standalone
// node's tasks are returned as they are.
func (srv *Server) groupEffects(op uint64, tasks []partset.Task) []partset.Task {
	if !srv.opts.Cluster.Enabled {
		return tasks
	}
	var drops, rest []partset.Task
	for _, t := range tasks {
		switch t.Kind {
		case metadata.EffectDropPartitions:
			drops = append(drops, t)
			rest = append(rest, t)
		case metadata.EffectPurgePartitions:
			if g := srv.partGroup(keyOf(t.Key)); g != nil && op != 0 {
				if err := g.Purge(op); err != nil {
					// The group's primary still proposes it while this
					// process runs; only a restart before then loses it.
					srv.log.Error("partition purge not recorded", "op", op, "err", err)
				}
			} else {
				rest = append(rest, t) // no group here, or a purge a state transfer skipped (op 0)
			}
		default:
			rest = append(rest, t)
		}
	}
	srv.stopGroups(drops)
	return rest
}

// autoCommit stores a poll's auto-committed offset through partition k's
// group. The poll is answered without waiting for it: the offset is
// replicated a moment later, and a failover within that moment leaves
// the previous offset, from which the consumer reads those messages
// again (at-least-once). Its outcome is not waited for; a refusal is
// logged at debug.
func (srv *Server) autoCommit(k partKey, consumer partition.ConsumerKey, offset uint64) {
	if g := srv.partGroup(k); g != nil {
		g.StoreOffset(consumer, offset, func(r partgroup.Result) {
			if r.Status != wire.StatusOK {
				srv.log.Debug("auto-commit not stored", "stream", k.stream, "topic", k.topic, "partition", k.partition, "status", r.Status)
			}
		})
	}
}
