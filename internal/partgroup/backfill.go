package partgroup

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/consensus"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/wire"
)

// Message backfill: a replica offered a checkpoint ahead of its partition
// (see the package doc, "Catching up") copies the messages it lacks from
// a peer's partition, then takes the checkpoint when vsr offers it again.
// One request is outstanding at a time (as vsr's state transfer, pitfall
// 18: a push would overrun the bus), on the group's replica plane:
//
//	lagging → peer   RequestStateChunk{artifact 1, nonce: purged_at | end<<64,
//	                 offset: the lagging partition's next offset, len}
//	peer → lagging   StateChunk{artifact 1, nonce, offset}
//	                 body: whole stored batch records from offset on
//
// end is the checkpoint's next offset and purged_at its latest purge: a
// peer answers only from the same purge (the same offsets name the same
// messages) and only with records below end, so the lagging replica
// holds at most one chunk and never appends past the checkpoint.

const (
	// artifactMessages names a backfill chunk (vsr's checkpoint is
	// artifact 0).
	artifactMessages = 1
	// backfillChunk bounds a chunk's records (at least one batch is sent
	// whatever its size; a batch fits a frame, as its prepare did).
	backfillChunk = 1 << 20
	// backfillTicks is how long a request waits for its chunk before it is
	// asked again, of the next peer.
	backfillTicks = 50
)

// backfill is a message backfill in progress. Node goroutine only.
type backfill struct {
	target snapshot // the newest checkpoint refused for its gap
	// base is the partition's next offset when the backfill began: the
	// state the log's applied ops left. next is the partition's next
	// offset now.
	base, next uint64
	// purged: the partition was purged for the target, so it cannot go
	// back to base (an op applied before the checkpoint is installed
	// stops the group).
	purged bool

	peer     wire.ReplicaID
	asked    bool   // a request is outstanding
	deadline uint64 // tick to ask again
	copied   uint64 // messages copied, for the log
}

// startBackfill records a refused checkpoint s as the backfill's target;
// the partition's next offset is next, and purged reports that it was
// purged for s. Node goroutine.
func (m *machine) startBackfill(s snapshot, next uint64, purged bool) {
	bf := m.bf
	if bf == nil {
		bf = &backfill{base: next}
		m.bf = bf
		m.log.Info("partition group: copying the messages of a peer's checkpoint this replica lacks",
			"from_offset", next, "checkpoint_next_offset", s.next)
	}
	bf.next = next
	if purged {
		bf.purged, bf.base = true, 0
	}
	t := bf.target
	if s.purgedAt > t.purgedAt || s.purgedAt == t.purgedAt && s.next > t.next {
		bf.target = s
	}
}

// cancelBackfill undoes a backfill because the log applies ops again (a
// peer still held the prepares this replica lacked): the partition goes
// back to the state those ops start from. Node goroutine.
func (m *machine) cancelBackfill() error {
	bf := m.bf
	m.bf = nil
	m.gap.Store(false)
	if bf.purged {
		return errors.New("partgroup: the log applies ops below a checkpoint whose purge the partition took")
	}
	if bf.next == bf.base {
		return nil
	}
	m.log.Info("partition group: the log caught up by repair; dropping the copied messages", "offset", bf.base)
	return m.onErr(func(p *partition.Partition) error { return p.TruncateTo(bf.base) })
}

// onErr runs fn on the owner and returns its error or the owner's.
func (m *machine) onErr(fn func(p *partition.Partition) error) error {
	var err error
	if oerr := m.st.On(func(p *partition.Partition) { err = fn(p) }); oerr != nil {
		return oerr
	}
	return err
}

// backfillTick asks for the next chunk if none is outstanding or the last
// request timed out (then of the next peer). Node goroutine.
func (g *Group) backfillTick(st consensus.Status) {
	bf := g.m.bf
	if bf == nil || bf.next >= bf.target.next {
		return
	}
	ticks := atomic.LoadUint64(&g.ticks)
	switch {
	case !bf.asked:
		if st.Primary != g.cfg.Replica.ID {
			bf.peer = st.Primary
		} else {
			bf.peer = g.nextPeer(bf.peer)
		}
	case ticks < bf.deadline:
		return
	default:
		bf.peer = g.nextPeer(bf.peer)
	}
	g.askBackfill(st.View)
}

func (g *Group) nextPeer(p wire.ReplicaID) wire.ReplicaID {
	n := wire.ReplicaID(g.cfg.Replica.Replicas)
	if p = (p + 1) % n; p == g.cfg.Replica.ID {
		p = (p + 1) % n
	}
	return p
}

// askBackfill sends the request for the chunk at the backfill's next
// offset to its peer.
func (g *Group) askBackfill(view wire.View) {
	bf := g.m.bf
	bf.asked, bf.deadline = true, atomic.LoadUint64(&g.ticks)+backfillTicks
	h := wire.RequestStateChunkHeader{
		Prefix: wire.Prefix{Cluster: g.cfg.Replica.Cluster, View: view, Replica: g.cfg.Replica.ID},
		Nonce:  wire.Uint128{Lo: bf.target.purgedAt, Hi: bf.target.next}, Offset: bf.next, Group: g.id,
		Len: backfillChunk, Artifact: artifactMessages,
	}
	f := make([]byte, wire.HeaderSize)
	h.Put(f)
	wire.SealFrame(f)
	_ = g.cfg.Transport.SendToReplica(bf.peer, f) // lost: asked again at the deadline
}

// aside takes the group's backfill frames (consensus.Config.Aside); vsr
// gets the rest.
func (g *Group) aside(f []byte) bool {
	switch wire.PeekCommand(f) {
	case wire.CommandRequestStateChunk:
		var h wire.RequestStateChunkHeader
		if h.Decode(f) != nil || h.Artifact != artifactMessages {
			return false
		}
		if g.fromPeer(f, &h.Prefix) {
			g.serveBackfill(&h)
		}
		return true
	case wire.CommandStateChunk:
		var h wire.StateChunkHeader
		if h.Decode(f) != nil || h.Artifact != artifactMessages {
			return false
		}
		if g.fromPeer(f, &h.Prefix) {
			g.takeBackfill(&h, f[wire.HeaderSize:h.Size])
		}
		return true
	}
	return false
}

// fromPeer checks that a backfill frame is sealed by another replica of
// this group's incarnation.
func (g *Group) fromPeer(f []byte, p *wire.Prefix) bool {
	return p.Cluster == g.cfg.Replica.Cluster && int(p.Replica) < g.cfg.Replica.Replicas &&
		p.Replica != g.cfg.Replica.ID && int(p.Size) == len(f) && wire.VerifyFrame(f) == nil
}

// serveBackfill answers a peer's request with the records it asks for,
// if this partition has them in the same purge; otherwise it stays
// silent and the peer asks another.
func (g *Group) serveBackfill(h *wire.RequestStateChunkHeader) {
	if m := g.m; !m.restored || m.redoPurge != 0 || m.failure() != nil {
		// The partition does not hold the log's state yet (restarting,
		// or applying again the ops before a purge), or stopped
		// following it: nothing here may be copied.
		return
	}
	// The records are read straight after the chunk's header: one copy
	// from the file, none into the frame.
	limit := min(int(h.Len), backfillChunk)
	f := make([]byte, wire.HeaderSize, wire.HeaderSize+limit)
	err := g.m.onErr(func(p *partition.Partition) error {
		if p.PurgedAt() != h.Nonce.Lo {
			return fmt.Errorf("purged at %d, asked for %d", p.PurgedAt(), h.Nonce.Lo)
		}
		var err error
		f, _, err = p.ReadStored(f, h.Offset, h.Nonce.Hi, limit)
		return err
	})
	if err != nil || len(f) == wire.HeaderSize {
		g.log.Debug("partition group: backfill request not served", "peer", h.Replica, "offset", h.Offset, "err", err)
		return
	}
	c := wire.StateChunkHeader{Prefix: wire.Prefix{Cluster: g.cfg.Replica.Cluster, View: h.View, Replica: g.cfg.Replica.ID, Size: uint32(len(f))},
		Nonce: h.Nonce, Offset: h.Offset, Group: g.id, Artifact: artifactMessages}
	c.Put(f)
	wire.SealFrame(f)
	_ = g.cfg.Transport.SendToReplica(h.Replica, f)
}

// takeBackfill appends a chunk that answers the outstanding request and
// asks for the next one.
func (g *Group) takeBackfill(h *wire.StateChunkHeader, body []byte) {
	bf := g.m.bf
	if bf == nil || !bf.asked || h.Replica != bf.peer || h.Offset != bf.next ||
		h.Nonce != (wire.Uint128{Lo: bf.target.purgedAt, Hi: bf.target.next}) {
		return
	}
	bf.asked = false
	next := bf.next
	err := g.m.onErr(func(p *partition.Partition) error {
		for len(body) > 0 {
			var bh wire.BatchHeader
			if err := bh.Decode(body); err != nil || bh.BatchLength > uint64(len(body)) ||
				bh.BaseOffset+uint64(bh.MessageCount) > bf.target.next {
				return fmt.Errorf("%w: chunk record at %d", partition.ErrBatch, next)
			}
			if _, err := p.AppendStored(body[:bh.BatchLength]); err != nil {
				return err
			}
			body = body[bh.BatchLength:]
			next = p.NextOffset()
		}
		return nil
	})
	bf.copied += next - bf.next
	g.m.copied.Add(next - bf.next)
	bf.next = next
	switch {
	case errors.Is(err, partition.ErrBatch):
		// A peer sent what this partition cannot take: ask another.
		g.log.Warn("partition group: backfill chunk refused", "peer", h.Replica, "offset", next, "err", err)
		bf.peer = g.nextPeer(bf.peer)
	case err != nil:
		g.m.fail(fmt.Errorf("partgroup: backfill: %w", err))
		return
	}
	if bf.next >= bf.target.next {
		g.log.Info("partition group: copied the messages up to the checkpoint; waiting to install it",
			"next_offset", bf.next, "copied", bf.copied)
		return
	}
	g.askBackfill(h.View)
}
