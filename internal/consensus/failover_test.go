package consensus

import (
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
)

func (c *cluster) primary() *member {
	c.t.Helper()
	for _, m := range c.members {
		if m.node != nil {
			if st := m.node.Status(); st.IsPrimary && st.Status == vsr.StatusNormal {
				return m
			}
		}
	}
	c.t.Fatalf("no primary in normal status; %s", c.describe())
	return nil
}

// TestPrimaryFailoverPlane stops the primary of a three-node cluster on the
// real replica plane (its node, plane and shard runtime: the process is
// gone), checks that the other two elect a new primary in a later view and
// keep committing, then restarts the old primary from its vsrlog directory
// on the OS file system and checks that it catches up: every replica ends
// with the same applied sequence, holding every acknowledged op.
func TestPrimaryFailoverPlane(t *testing.T) {
	c := newCluster(t, 3, tcpPlane, osDisk)
	c.start()
	cl := c.newClient(1)
	ops := commitSome(c, cl, 10)
	c.converged(len(ops))
	old := c.primary()
	view := old.node.Status().View
	c.stopMember(old)

	ops = append(ops, commitSome(c, cl, 10)...)
	np := c.primary()
	if st := np.node.Status(); np == old || st.View <= view {
		t.Fatalf("commits went on without a view change: primary %d in view %d (old primary %d in view %d)", np.id, st.View, old.id, view)
	}

	c.restartMember(old)
	ops = append(ops, commitSome(c, cl, 5)...)
	seq := c.converged(len(ops))
	checkSequence(t, seq, cl, ops, 1)
	if st := old.node.Status(); st.Status != vsr.StatusNormal || st.View < np.node.Status().View {
		t.Fatalf("restarted replica %d is %v in view %d", old.id, st.Status, st.View)
	}
}

// TestCrashRestartMem crashes one replica of three (a backup, then the
// primary) on crashable in-memory disks: the replica is cut off the network,
// its disk becomes what a crash would leave (vfs.MemFS.CrashClone: unsynced
// bytes lost or torn), and its node is thrown away. The others go on
// committing; the replica restarts from what vsrlog kept (vsr.Restart,
// never New) and rejoins with the same applied sequence.
func TestCrashRestartMem(t *testing.T) {
	for _, tc := range []struct {
		name    string
		primary bool
		keep    func(string, int) int
	}{
		{"backup", false, nil},
		{"primary", true, nil},
		{"primary-torn", true, func(_ string, n int) int { return n / 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 3, memPlane, memDisk)
			c.start()
			cl := c.newClient(1)
			ops := commitSome(c, cl, 10)
			victim := c.primary()
			if !tc.primary {
				victim = c.members[(int(victim.id)+1)%3]
			}
			c.crash(victim, vfs.CrashOptions{KeepUnsynced: tc.keep})
			ops = append(ops, commitSome(c, cl, 10)...)
			c.restartMember(victim)
			ops = append(ops, commitSome(c, cl, 5)...)
			seq := c.converged(len(ops))
			checkSequence(t, seq, cl, ops, 1)
		})
	}
}

// crash takes m off the in-memory network (nothing it sends or is sent
// arrives any more), replaces its disk with a crash clone of it, and then
// discards its node: whatever the node does after the cut is lost with the
// old disk, as in a crashed process.
func (c *cluster) crash(m *member, opts vfs.CrashOptions) {
	c.t.Helper()
	c.net.cut(m.id)
	m.mem = m.mem.CrashClone(opts)
	n := m.node
	m.node = nil
	if err := n.Stop(); err != nil {
		c.t.Fatalf("replica %d: %v", m.id, err)
	}
	m.fs = m.mem
	c.net.set(m.id, nil)
	c.net.uncut(m.id)
}

// TestStateTransferPlane checkpoints every 4 ops on a three-node cluster
// over the real replica plane. A backup is stopped while the others
// commit across several checkpoints, so when it restarts they no longer
// hold the ops it lacks: it must install a checkpoint by state transfer
// (commands 22..25 over TCP) and then repair above it. Every replica ends
// with the same applied sequence (the logSM's record travels in the
// snapshot), holding every acknowledged op, with bounded logs.
func TestStateTransferPlane(t *testing.T) {
	c := newCluster(t, 3, tcpPlane, osDisk)
	c.cfg = func(cfg *vsr.Config) { cfg.CheckpointInterval = 4 }
	c.start()
	cl := c.newClient(1)
	ops := commitSome(c, cl, 6)
	c.converged(len(ops))
	lag := c.members[(int(c.primary().id)+1)%3]
	behind := lag.node.Status().CommitMin
	c.stopMember(lag)
	ops = append(ops, commitSome(c, cl, 20)...)
	if cp := c.primary().node.Status().Checkpoint; cp < behind+8 {
		t.Fatalf("primary checkpoint %d, want beyond the stopped replica's commit %d", cp, behind)
	}
	c.restartMember(lag)
	ops = append(ops, commitSome(c, cl, 3)...)
	seq := c.converged(len(ops))
	checkSequence(t, seq, cl, ops, 1)
	// A Node's status is taken at the end of its round, after the state
	// machine the sequence above reads: wait for the round that applied
	// the last op to publish it.
	for _, m := range c.members {
		deadline := time.Now().Add(waitLimit)
		for st := m.node.Status(); st.LogLen > 4+8 || int(st.CommitMin) < len(ops); st = m.node.Status() {
			if time.Now().After(deadline) {
				t.Fatalf("replica %d holds %d ops in memory with a checkpoint every 4: %+v", m.id, st.LogLen, st)
			}
			<-time.After(time.Millisecond)
		}
	}
	if st := lag.node.Status(); st.Checkpoint <= behind {
		t.Fatalf("restarted replica's checkpoint %d is not beyond its old commit %d", st.Checkpoint, behind)
	}
}
