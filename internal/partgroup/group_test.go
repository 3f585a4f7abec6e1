package partgroup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"testing/synctest"

	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestReplicates checks the group's contract: a send is answered after
// its commit with the offsets it got, in proposal order; every replica
// ends with the same partition, byte for byte (the primary's timestamp
// travels in the prepare); a consumer offset stored and deleted through
// the group is the same everywhere.
func TestReplicates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 0)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		for i := range 10 {
			r := m.send(0, uint64(3*i), 3)
			if r.Status != wire.StatusOK || r.BaseOffset != uint64(3*i) || r.Count != 3 {
				t.Fatalf("send %d: %+v", i, r)
			}
		}
		k := partition.ConsumerKey{Kind: wire.ConsumerSingle, ID: 7}
		for _, off := range []uint64{5, 40} { // 40 is past the current offset: refused everywhere
			ch := make(chan Result, 1)
			m.ms[1].block.Store(true) // no quorum: the store stays pending
			m.ms[2].block.Store(true)
			m.ms[0].g.Load().StoreOffset(k, off, func(r Result) { ch <- r })
			if p, ok := m.ms[0].g.Load().PendingOffset(k); !ok || p != off {
				t.Fatalf("pending offset %d %v while the store of %d is in the group", p, ok, off)
			}
			m.ms[1].block.Store(false)
			m.ms[2].block.Store(false)
			r := <-ch
			if p, ok := m.ms[0].g.Load().PendingOffset(k); ok {
				t.Fatalf("pending offset %d after the store was answered", p)
			}
			if want := map[uint64]wire.Status{5: wire.StatusOK, 40: wire.StatusInvalidOffset}[off]; r.Status != want {
				t.Fatalf("store offset %d: %v, want %v", off, r.Status, want)
			}
		}
		m.waitConverged(t, 30)
		for i, mb := range m.ms {
			var off uint64
			var ok bool
			_ = mb.own.On(func(p *partition.Partition) { off, ok = p.ConsumerOffset(k) })
			if !ok || off != 5 {
				t.Fatalf("replica %d: offset %d %v, want 5", i, off, ok)
			}
		}
	})
}

// TestFollowsLeader checks that a group's primary that is not the leader
// stands down until the leader's replica leads, and that a proposal on a
// replica that does not serve the group is answered TransientNotAccepted.
func TestFollowsLeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 0)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		if r := m.send(0, 0, 2); r.Status != wire.StatusOK {
			t.Fatalf("send: %+v", r)
		}
		m.leader.Store(2)
		waitFor(t, "replica 2 serving", func() bool { return m.serving() == 2 })
		if r := m.send(0, 2, 1); r.Status != wire.StatusTransientNotAccepted {
			t.Fatalf("send on a backup: %+v", r)
		}
		if r := m.send(2, 2, 1); r.Status != wire.StatusOK || r.BaseOffset != 2 {
			t.Fatalf("send on the new primary: %+v", r)
		}
	})
}

// TestFailover stops the primary: the others elect a new one (the leader
// moves with it), which holds every acknowledged batch; the old primary,
// restarted, catches up to the same partition.
func TestFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 0)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		for i := range 5 {
			if r := m.send(0, uint64(2*i), 2); r.Status != wire.StatusOK {
				t.Fatalf("send %d: %+v", i, r)
			}
		}
		m.stopMember(m.ms[0])
		m.leader.Store(1)
		waitFor(t, "replica 1 serving", func() bool { return m.serving() == 1 })
		if r := m.send(1, 10, 2); r.Status != wire.StatusOK || r.BaseOffset != 10 {
			t.Fatalf("send after failover: %+v", r)
		}
		m.start(0)
		_, want := m.contents(1)
		waitFor(t, "the restarted replica caught up", func() bool {
			next, data := m.contents(0)
			return next == 12 && bytes.Equal(data, want)
		})
	})
}

// TestRestartFromCheckpoint restarts a replica whose group checkpointed
// several times: it restores its partition to the latest checkpoint
// (truncating what it applied above it) and re-applies the journal above,
// ending byte-identical to the others.
func TestRestartFromCheckpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 4)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		for i := range 10 {
			if r := m.send(0, uint64(2*i), 2); r.Status != wire.StatusOK {
				t.Fatalf("send %d: %+v", i, r)
			}
		}
		_, want := m.contents(0)
		waitFor(t, "replica 2 applied everything", func() bool { next, _ := m.contents(2); return next == 20 })
		if st := m.ms[2].g.Load().Status(); st.Checkpoint < 8 {
			t.Fatalf("replica 2 checkpoint %d, want at least 8", st.Checkpoint)
		}
		m.stopMember(m.ms[2])
		m.start(2)
		waitFor(t, "replica 2 caught up after its restart", func() bool {
			next, data := m.contents(2)
			return next == 20 && bytes.Equal(data, want)
		})
		if r := m.send(0, 20, 2); r.Status != wire.StatusOK || r.BaseOffset != 20 {
			t.Fatalf("send after the restart: %+v", r)
		}
	})
}

// TestBackfill cuts a replica off while its peers checkpoint past it
// (and once purge the partition): state transfer offers it a checkpoint
// whose messages it lacks, so it copies them from a peer, installs the
// checkpoint and follows the log. It ends with the same partition and
// offsets as its peers, and can lead the group.
func TestBackfill(t *testing.T) {
	for _, purge := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "purged"}[purge], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testBackfill(t, purge) })
		})
	}
}

func testBackfill(t *testing.T, purge bool) {
	m := newMesh(t, 3, 4)
	waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
	k := partition.ConsumerKey{Kind: wire.ConsumerSingle, ID: 3}
	sent, next := uint64(0), uint64(0) // messages sent; the partition's next offset
	sendN := func(i, n int) {
		t.Helper()
		for range n {
			r := m.send(i, sent, 3)
			if r.Status != wire.StatusOK {
				t.Fatalf("send %d: %+v", sent, r)
			}
			sent, next = sent+3, r.BaseOffset+uint64(r.Count)
		}
	}
	sendN(0, 2)
	m.ms[2].block.Store(true)
	sendN(0, 10)
	if purge {
		m.purge(17, 0, 1)
		waitFor(t, "the purge applied", func() bool { return m.ms[0].g.Load().PurgedAt() == 17 })
	}
	sendN(0, 12)
	ch := make(chan Result, 1)
	m.ms[0].g.Load().StoreOffset(k, 5, func(r Result) { ch <- r })
	if r := <-ch; r.Status != wire.StatusOK {
		t.Fatalf("store offset: %+v", r)
	}
	sendN(0, 9) // past another checkpoint
	m.ms[2].block.Store(false)

	m.waitConverged(t, next) // replica 2 copied the messages and caught up
	if st := m.ms[2].g.Load().Status(); st.Copied == 0 {
		t.Fatalf("replica 2 caught up without copying messages: %+v", st)
	}
	var off uint64
	var ok bool
	_ = m.ms[2].own.On(func(p *partition.Partition) { off, ok = p.ConsumerOffset(k) })
	if !ok || off != 5 {
		t.Fatalf("replica 2's consumer offset: %d %v, want 5", off, ok)
	}
	if got := m.ms[2].g.Load().PurgedAt(); purge && got != 17 {
		t.Fatalf("replica 2 purged at %d, want 17", got)
	}
	// Replica 2 now counts: with replica 1 cut off, 0 and 2 commit, and
	// then replica 2 leads.
	m.ms[1].block.Store(true)
	sendN(0, 2)
	m.leader.Store(2)
	waitFor(t, "replica 2 serving", func() bool { return m.serving() == 2 })
	sendN(2, 2)
	m.ms[1].block.Store(false)
	m.waitConverged(t, next)
}

// TestPurgeOrdered checks that a purge the metadata asked for is applied
// through the group, in order with the sends: every replica ends with
// the same partition, and the next send starts again at offset 0.
func TestPurgeOrdered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 0)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		for i := range 3 {
			if r := m.send(0, uint64(i), 1); r.Status != wire.StatusOK {
				t.Fatalf("send %d: %+v", i, r)
			}
		}
		m.purge(17) // every replica applies the metadata op
		m.waitPurged(t, 17)
		if r := m.send(0, 3, 1); r.Status != wire.StatusOK || r.BaseOffset != 0 {
			t.Fatalf("send after the purge: %+v", r)
		}
		m.waitConverged(t, 1)
	})
}

// TestBackfillCancelled: a replica copying a checkpoint's messages whose
// log then applies ops again (a peer still held the prepares it lacked)
// drops the copied messages and applies from where its log was; one that
// purged for the checkpoint cannot go back, and stops instead.
func TestBackfillCancelled(t *testing.T) {
	for _, purged := range []bool{false, true} {
		fsys := vfs.NewMem()
		p, err := partition.Open(fsys, "p", 1, partition.Config{})
		if err != nil {
			t.Fatal(err)
		}
		src, err := partition.Open(vfs.NewMem(), "p", 1, partition.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := src.Append(testBatch(t, uint64(2*i), 2), 100); err != nil {
				t.Fatal(err)
			}
		}
		m := &machine{st: &owner{p: p}, log: slog.New(slog.DiscardHandler)}
		s := snapshot{next: 6, offsets: map[partition.ConsumerKey]uint64{}}
		if purged {
			s.purgedAt = 9
		}
		if err := m.restore(s); !errors.Is(err, errGap) || m.bf == nil {
			t.Fatalf("restore of a checkpoint ahead: %v", err)
		}
		copied, _, err := src.ReadStored(nil, 0, 4, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for len(copied) > 0 {
			n := binary.LittleEndian.Uint64(copied[32:]) // batch_length
			if _, err := p.AppendStored(copied[:n]); err != nil {
				t.Fatal(err)
			}
			copied = copied[n:]
		}
		m.bf.next = p.NextOffset()

		body := binary.LittleEndian.AppendUint64(nil, 500)
		body = append(body, testBatch(t, 100, 1)...)
		res := decodeResult(m.Apply(1, &wire.PrepareHeader{Operation: wire.OpSendMessages}, body))
		if purged {
			if m.failure() == nil || res.Status == wire.StatusOK {
				t.Fatalf("purged: applied %+v after the purge", res)
			}
			continue
		}
		if res.Status != wire.StatusOK || res.BaseOffset != 0 || p.NextOffset() != 1 || m.bf != nil || m.gap.Load() {
			t.Fatalf("applied %+v, next %d, backfill %v", res, p.NextOffset(), m.bf)
		}
	}
}

// TestPurgeSurvivesRestart: a purge asked of the backups only (the
// primary never heard of it) and then restarted is proposed by whichever
// of them leads next.
func TestPurgeSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 0)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		if r := m.send(0, 0, 2); r.Status != wire.StatusOK {
			t.Fatalf("send: %+v", r)
		}
		m.purge(17, 1, 2)
		for _, i := range []int{1, 2} {
			m.stopMember(m.ms[i])
			m.start(i)
		}
		m.leader.Store(1)
		m.waitPurged(t, 17)
	})
}

// TestRestartAfterPurge restarts a replica whose partition was purged
// after its latest checkpoint: the purge's op is in its journal above the
// checkpoint, and the partition's messages from before it are gone, so
// the replica cannot be put back at the checkpoint; it applies the ops
// above it again and ends with the same partition as its peers.
func TestRestartAfterPurge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t, 3, 4)
		waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
		for i := range 5 {
			if r := m.send(0, uint64(2*i), 2); r.Status != wire.StatusOK {
				t.Fatalf("send %d: %+v", i, r)
			}
		}
		m.purge(17)
		m.waitPurged(t, 17)
		if r := m.send(0, 10, 3); r.Status != wire.StatusOK || r.BaseOffset != 0 {
			t.Fatalf("send after the purge: %+v", r)
		}
		for i := range m.ms {
			m.stopMember(m.ms[i])
		}
		for i := range m.ms {
			m.start(i)
		}
		waitFor(t, "a replica serving", func() bool { return m.serving() >= 0 })
		if r := m.send(m.serving(), 13, 1); r.Status != wire.StatusOK || r.BaseOffset != 3 {
			t.Fatalf("send after the restart: %+v", r)
		}
		m.waitConverged(t, 4)
	})
}

// TestPowerLoss cuts the power of all three replicas at once while sends
// are acknowledged and checkpoints taken: each comes back with only what
// it synced (the partitions' tails are not synced op by op; torn writes
// keep part of the unsynced bytes), and after the restart every
// acknowledged message is served at its acknowledged offset, and the
// replicas hold the same partition.
func TestPowerLoss(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testPowerLoss(t, seed) })
		})
	}
}

func testPowerLoss(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	mems := make([]*vfs.MemFS, 3)
	m := newMeshOn(t, 3, 4, func(i int) (vfs.FS, string) { mems[i] = vfs.NewMem(); return mems[i], "" })
	waitFor(t, "replica 0 serving", func() bool { return m.serving() == 0 })
	acked := map[uint64]uint64{} // offset → message number
	next := uint64(0)
	for range 10 + rng.IntN(10) {
		n := 1 + rng.IntN(3)
		r := m.send(0, next, n)
		if r.Status != wire.StatusOK {
			t.Fatalf("send: %+v", r)
		}
		for k := range uint64(n) {
			acked[r.BaseOffset+k] = next + k
		}
		next += uint64(n)
	}
	// The power goes: what survives is taken at one moment, then the
	// old processes are stopped (their later writes are lost with them).
	for _, mb := range m.ms {
		mb.block.Store(true) // silent from the moment their disks are taken
	}
	for i, mb := range m.ms {
		mb.fs = mems[i].CrashClone(vfs.CrashOptions{KeepUnsynced: func(string, int) int { return rng.IntN(1 << 12) }})
	}
	for _, mb := range m.ms {
		m.stopMember(mb)
		mb.block.Store(false)
	}
	for i := range m.ms {
		m.start(i)
	}
	waitFor(t, "a replica serving", func() bool { return m.serving() >= 0 })
	lead := m.serving()
	if r := m.send(lead, next, 1); r.Status != wire.StatusOK || r.BaseOffset != uint64(len(acked)) {
		t.Fatalf("send after the restart: %+v, want offset %d", r, len(acked))
	}
	m.waitConverged(t, uint64(len(acked))+1)
	got := m.messages(lead)
	for off, k := range acked {
		if want := fmt.Sprintf("message %d", k); got[off] != want {
			t.Errorf("offset %d holds %q, want %q", off, got[off], want)
		}
	}
}
