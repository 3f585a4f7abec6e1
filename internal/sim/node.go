package sim

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/shoal-io/shoal/internal/partset"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// node hosts one replica: its durable disk survives crashes; the replica,
// its state machine and any write in flight do not.
type node struct {
	id   int
	cfg  vsr.Config
	r    *vsr.Replica // nil while crashed
	sm   *kv          // WorkloadKV: the replica's state machine; replaced on restart
	meta *metaNode    // WorkloadMeta: the replica's metadata machine; replaced on restart
	mem  *vfs.MemFS   // WorkloadMeta: the replica's data directory's disk
	// appended holds, per partition, the stamp of each message produced
	// on this replica (WorkloadMeta; synced, so it survives crashes).
	appended map[partset.Key][]uint64
	// effectsBegun is the highest op whose effects began on the disk.
	effectsBegun wire.Op
	hs           vsr.HardState
	cp           []byte // the durable checkpoint hs names
	journal      map[wire.Op][]byte
	pending      *vsr.Ready // handed out, being written
	doneAt       int        // tick the pending write completes
	upAt         int        // restart tick while crashed
}

// persist carries out rd on the disk in the order the vsr package requires.
// With torn set it stops after a random prefix of the entries and never
// writes the hard state, as a crash in the middle of the write would.
func (n *node) persist(s *Sim, rd *vsr.Ready, torn bool) {
	if rd.Truncate {
		for op := range n.journal {
			if op > rd.TruncateOp {
				delete(n.journal, op)
			}
		}
	}
	entries := rd.Entries
	if torn {
		entries = entries[:s.diskRand.IntN(len(entries)+1)]
	}
	for _, f := range entries {
		var h wire.PrepareHeader
		if err := h.Decode(f); err != nil {
			s.fail("replica %d persisted an undecodable prepare: %v", n.id, err)
			return
		}
		n.journal[h.Op] = f
	}
	if torn || !rd.HardStateChanged {
		return
	}
	if rd.HardState.View < n.hs.View || rd.HardState.LogView < n.hs.LogView {
		s.fail("replica %d persisted view %d/log_view %d after %d/%d: a view was forgotten",
			n.id, rd.HardState.View, rd.HardState.LogView, n.hs.View, n.hs.LogView)
	}
	hs := rd.HardState
	if s.hintOdds > 0 && s.hintRand.IntN(s.hintOdds) == 0 {
		if s.hintMode == HintDefer {
			// The view headers are compared by identity, as
			// internal/consensus does: the core never modifies a slice it
			// handed out.
			if hs.View == n.hs.View && hs.LogView == n.hs.LogView && hs.Checkpoint == n.hs.Checkpoint && rd.Checkpoint == nil &&
				len(hs.Headers) == len(n.hs.Headers) &&
				(len(hs.Headers) == 0 || &hs.Headers[0] == &n.hs.Headers[0]) {
				return
			}
		} else {
			hs.Commit = wire.Op(s.hintRand.Uint64N(uint64(hs.Commit) + 1))
		}
	}
	if rd.Checkpoint != nil {
		n.cp = rd.Checkpoint // written before the hard state that names it
		s.res.Checkpoints++
		s.checkCheckpoint(n.id, rd.Checkpoint)
	}
	n.hs = hs
	// Compaction: prepares at or below the durable checkpoint leave the
	// journal (vsrlog rewrites it after the superblock names the
	// checkpoint).
	for op := range n.journal {
		if op <= hs.Checkpoint {
			delete(n.journal, op)
		}
	}
}

func (n *node) crash(s *Sim) {
	if n.pending != nil && s.diskRand.IntN(2) == 0 {
		n.persist(s, n.pending, true)
	}
	s.tracef("crash %v", n)
	s.res.Transfers += n.r.StateTransfers()
	if n.mem != nil {
		if n.meta != nil && n.meta.image != nil {
			n.mem = n.meta.image // the disk died in the middle of effects
		} else {
			n.mem = crashImage(s, n.mem)
		}
		n.meta = nil
	}
	n.r, n.pending = nil, nil
	n.upAt = s.now + 20 + s.faultRand.IntN(300)
	s.res.Crashes++
}

func (n *node) restart(s *Sim) {
	frames := make([][]byte, 0, len(n.journal))
	for _, f := range n.journal {
		frames = append(frames, f)
	}
	slices.SortFunc(frames, func(a, b []byte) int {
		return cmp.Compare(binary.LittleEndian.Uint64(a[176:]), binary.LittleEndian.Uint64(b[176:]))
	})
	cfg := n.cfg
	cfg.Seed = s.faultRand.Uint64()
	var r *vsr.Replica
	var err error
	if n.mem != nil {
		r, err = n.bootMeta(s, cfg, true, frames)
	} else {
		n.sm = &kv{}
		cfg.StateMachine = n.sm
		r, err = vsr.RestartFrom(cfg, n.hs, n.cp, frames)
	}
	if err != nil {
		s.fail("replica %d restart: %v", n.id, err)
		return
	}
	n.r = r
	s.res.Restarts++
	s.tracef("restart %v (journal %d ops)", n, len(frames))
	n.doomed(s)
}

// drive hands out Ready work, dispatches its messages and replies, and
// completes disk writes that are due.
func (n *node) drive(s *Sim) {
	for range 8 {
		if n.r == nil {
			return
		}
		if n.pending != nil {
			if n.doneAt > s.now {
				return
			}
			rd := n.pending
			n.pending = nil
			n.persist(s, rd, false)
			n.r.Advance(*rd)
			if n.doomed(s) {
				return
			}
			continue
		}
		if !n.r.HasReady() {
			return
		}
		rd := n.r.Ready()
		for _, rr := range rd.Reads {
			s.readDone(n, rr)
		}
		for _, c := range rd.Committed {
			s.checkCommit(n.id, c)
			if s.oracle != nil {
				s.checkMeta(n, c)
			}
		}
		for _, m := range rd.Messages {
			s.net.send(endpoint(n.id), endpoint(m.To), m.Frame)
		}
		for _, cf := range rd.Replies {
			if ci, ok := s.clientByID[cf.Client]; ok {
				s.net.send(endpoint(n.id), clientEP(ci), cf.Frame)
			}
		}
		n.pending = &rd
		n.doneAt = s.now + s.diskLatency()
	}
}

// doomed crashes n if its disk died during the replica call that just
// returned (metaNode.inject): nothing that call produced gets out.
func (n *node) doomed(s *Sim) bool {
	if n.meta == nil || n.meta.image == nil {
		return false
	}
	s.tracef("disk of r%d died during effects", n.id)
	n.crash(s)
	return true
}

func (n *node) String() string {
	if n.r == nil {
		return fmt.Sprintf("r%d down", n.id)
	}
	r := n.r
	return fmt.Sprintf("r%d %v v%d lv%d op%d cmin%d cmax%d", n.id, r.Status(), r.View(), r.LogView(), r.Op(), r.CommitMin(), r.CommitMax())
}
