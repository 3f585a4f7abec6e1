package partgroup

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// owner is a test Storage: the partition behind a mutex stands in for
// its owning shard.
type owner struct {
	mu sync.Mutex
	p  *partition.Partition
}

func (o *owner) On(fn func(p *partition.Partition)) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	fn(o.p)
	return nil
}

// member is one replica: its disk, partition and group.
type member struct {
	fs    vfs.FS
	root  string // the member's directory on fs
	own   *owner
	g     atomic.Pointer[Group]
	block atomic.Bool // drop every frame to and from it
}

// mesh is an in-memory replica plane between n members.
type mesh struct {
	t        testing.TB
	ms       []*member
	leader   atomic.Int32
	interval uint64
}

type meshTransport struct {
	m    *mesh
	from int
}

func (tr meshTransport) SendToReplica(to wire.ReplicaID, f []byte) error {
	dst := tr.m.ms[to]
	if tr.m.ms[tr.from].block.Load() || dst.block.Load() {
		return fmt.Errorf("blocked")
	}
	g := dst.g.Load()
	if g == nil {
		return fmt.Errorf("down")
	}
	return g.Node().Deliver(bytes.Clone(f))
}

func newMesh(t testing.TB, n int, interval uint64) *mesh {
	return newMeshOn(t, n, interval, func(int) (vfs.FS, string) { return vfs.NewMem(), "" })
}

// newMeshOn is newMesh with each member's file system and directory
// given by disk.
func newMeshOn(t testing.TB, n int, interval uint64, disk func(i int) (vfs.FS, string)) *mesh {
	m := &mesh{t: t, interval: interval}
	for i := range n {
		fsys, root := disk(i)
		m.ms = append(m.ms, &member{fs: fsys, root: root})
	}
	for i := range n {
		m.start(i)
	}
	t.Cleanup(func() {
		for _, mb := range m.ms {
			m.stopMember(mb)
		}
	})
	return m
}

const partDir = "p"

// start opens member i's partition and starts its group.
func (m *mesh) start(i int) {
	mb := m.ms[i]
	p, err := partition.Open(mb.fs, path.Join(mb.root, partDir), 1, partition.Config{})
	if err != nil {
		m.t.Fatal(err)
	}
	mb.own = &owner{p: p}
	g, err := Start(Config{
		Replica: vsr.Config{ID: wire.ReplicaID(i), Replicas: len(m.ms), Cluster: wire.Uint128{Lo: 9}, Seed: uint64(i) + 1,
			CheckpointInterval: m.interval},
		Stream: 0, Topic: 0, Partition: 0, FS: mb.fs, Dir: path.Join(mb.root, partDir, "vsr"), Transport: meshTransport{m, i}, Storage: mb.own,
		Leader: func() (wire.ReplicaID, bool) { return wire.ReplicaID(m.leader.Load()), true },
		Logger: testLogger(i),
	})
	if err != nil {
		m.t.Fatal(err)
	}
	mb.g.Store(g)
}

func (m *mesh) stopMember(mb *member) {
	if g := mb.g.Swap(nil); g != nil {
		if err := g.Stop(); err != nil {
			m.t.Error(err)
		}
		mb.own.p.Close()
	}
}

// waitFor advances the bubble's virtual time until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 6000 { // 60 s of virtual time
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

// serving is the member serving the group, or -1.
func (m *mesh) serving() int {
	for i, mb := range m.ms {
		if g := mb.g.Load(); g != nil && g.Serves() {
			return i
		}
	}
	return -1
}

// send proposes a batch of n messages numbered first.. on member i and
// waits for its answer.
func (m *mesh) send(i int, first uint64, n int) Result {
	b := testBatch(m.t, first, n)
	ch := make(chan Result, 1)
	m.ms[i].g.Load().Send(uint64(time.Now().UnixMicro()), b, func(r Result) { ch <- r })
	return <-ch
}

// contents reads member i's whole partition (on its owner).
func (m *mesh) contents(i int) (next uint64, data []byte) {
	o := m.ms[i].own
	_ = o.On(func(p *partition.Partition) {
		next = p.NextOffset()
		data, _, _ = p.Read(nil, 0, 1<<30)
	})
	return next, data
}

func testLogger(i int) *slog.Logger {
	if os.Getenv("PARTGROUP_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("member", i)
}

// testBatch is a producer batch of n messages numbered first...
func testBatch(t testing.TB, first uint64, n int) []byte {
	var msgs []wire.MessageIn
	for k := first; k < first+uint64(n); k++ {
		var id [16]byte
		binary.LittleEndian.PutUint64(id[:], k+1)
		msgs = append(msgs, wire.MessageIn{ID: id, OriginTimestamp: 1_700_000_000_000_000 + k, Payload: fmt.Appendf(nil, "message %d", k)})
	}
	b, err := wire.AppendBatch(nil, msgs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// purge asks members (every one when none is named) for the purge of
// metadata op, as the metadata apply does on each node.
func (m *mesh) purge(op uint64, members ...int) {
	if len(members) == 0 {
		for i := range m.ms {
			members = append(members, i)
		}
	}
	for _, i := range members {
		if err := m.ms[i].g.Load().Purge(op); err != nil {
			m.t.Fatal(err)
		}
	}
}

// waitPurged waits until every member applied the purge of op.
func (m *mesh) waitPurged(t *testing.T, op uint64) {
	t.Helper()
	waitFor(t, "the purge applied everywhere", func() bool {
		for _, mb := range m.ms {
			if mb.g.Load().PurgedAt() != op {
				return false
			}
		}
		return true
	})
}

// waitConverged waits until every member applied the same ops (no gap,
// one commit point) and holds the same partition, whose next offset is
// next.
func (m *mesh) waitConverged(t *testing.T, next uint64) {
	t.Helper()
	waitFor(t, "every replica applied everything and holds the same messages", func() bool {
		_, want := m.contents(0)
		top := m.ms[0].g.Load().Status().CommitMin
		for i, mb := range m.ms {
			st := mb.g.Load().Status()
			if n, data := m.contents(i); n != next || !bytes.Equal(data, want) || st.Gap || st.CommitMin != top {
				return false
			}
		}
		return true
	})
}

// messages reads member i's whole partition: each message's payload by
// its offset.
func (m *mesh) messages(i int) map[uint64]string {
	got := map[uint64]string{}
	_ = m.ms[i].own.On(func(p *partition.Partition) {
		pr := wire.PollReply{}
		b, n, err := p.Read(pr.Append(nil), 0, 1<<20)
		if err != nil {
			m.t.Fatal(err)
		}
		pr.MessagesCount = n
		pr.Append(b[:0])
		if _, err := wire.DecodePollReply(b, func(h *wire.BatchHeader, msg *wire.Message) error {
			got[h.BaseOffset+uint64(msg.OffsetDelta)] = string(msg.Payload)
			return nil
		}); err != nil {
			m.t.Fatal(err)
		}
	})
	return got
}
