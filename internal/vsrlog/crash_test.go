package vsrlog

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// workload generates a replica-like sequence of Updates: prepares
// appended at the head (sometimes leaving a gap that a later update
// repairs, so the journal is not in op order), view changes that truncate
// an uncommitted suffix and install new prepares and view headers, and
// hard-state-only updates.
type workload struct {
	rng    *rand.Rand
	g      *gen
	mem    map[wire.Op][]byte // the "replica's" log
	head   wire.Op
	commit wire.Op
	hs     HardState
	gaps   []wire.Op
}

func newWorkload(seed uint64) *workload {
	return &workload{rng: rand.New(rand.NewPCG(seed, 0x757a)), g: newGen(), mem: map[wire.Op][]byte{}}
}

func (w *workload) size() int {
	if w.rng.IntN(20) == 0 {
		return 20 << 10
	}
	return w.rng.IntN(600)
}

func (w *workload) next(t testing.TB) Update {
	var u Update
	switch k := w.rng.IntN(20); {
	case k < 10: // append at the head
		for range 1 + w.rng.IntN(4) {
			w.head++
			if w.rng.IntN(6) == 0 {
				w.gaps = append(w.gaps, w.head)
				continue
			}
			f := w.g.frame(w.head, w.size())
			w.mem[w.head] = f
			u.Entries = append(u.Entries, f)
		}
	case k < 13: // repair the gaps, in random order
		w.rng.Shuffle(len(w.gaps), func(i, j int) { w.gaps[i], w.gaps[j] = w.gaps[j], w.gaps[i] })
		for _, op := range w.gaps {
			f := w.g.frame(op, w.size())
			w.mem[op] = f
			u.Entries = append(u.Entries, f)
		}
		w.gaps = nil
	case k < 16: // a view change truncates the uncommitted suffix
		w.hs.View++
		w.hs.LogView = w.hs.View
		w.g.view = w.hs.View
		cut := w.commit + wire.Op(w.rng.IntN(int(w.head-w.commit)+1))
		u.Truncate, u.TruncateOp = true, cut
		for op := range w.mem {
			if op > cut {
				delete(w.mem, op)
			}
		}
		w.gaps = slices.DeleteFunc(w.gaps, func(op wire.Op) bool { return op > cut })
		w.head = cut
		for range w.rng.IntN(4) {
			w.head++
			f := w.g.frame(w.head, w.size())
			w.mem[w.head] = f
			u.Entries = append(u.Entries, f)
		}
		ops := slices.Sorted(maps.Keys(w.mem))
		var fs [][]byte
		for _, op := range ops[max(0, len(ops)-4):] {
			fs = append(fs, w.mem[op])
		}
		w.hs.Headers = headers(t, fs)
		u.HardStateChanged = true
	default: // commit advances; sometimes a view is joined
		if w.rng.IntN(3) == 0 {
			w.hs.View++
		}
		u.HardStateChanged = true
	}
	if w.head > w.commit && (u.HardStateChanged || w.rng.IntN(2) == 0) {
		w.commit += wire.Op(w.rng.IntN(int(w.head-w.commit) + 1))
		w.hs.Commit = w.commit
		u.HardStateChanged = true
	}
	u.HardState = w.hs
	return u
}

// crashPoint is the disk as a crash before one file system operation
// would leave it, with what the writer had been told by then.
type crashPoint struct {
	fs    *vfs.MemFS
	at    string
	acked model   // state after the last Persist that returned nil
	seq   uint64  // its superblock sequence
	cur   *Update // the Persist in progress, or nil
	// journalSynced and sbSynced: the in-progress Persist's journal fsync
	// (superblock fsync) has returned; sbStarted: it has begun rewriting a
	// superblock copy; lose: unsynced bytes were dropped.
	journalSynced, sbSynced, sbStarted, lose bool
}

// crashPoints appends to points the states a crash before op would leave
// in m, one per crash mode, each with cur's other fields.
func crashPoints(points []crashPoint, rng *rand.Rand, m *vfs.MemFS, op vfs.Op, cur crashPoint) []crashPoint {
	for _, mode := range crashModes {
		p := cur
		p.fs = m.CrashClone(mode.opts(rng))
		p.at = fmt.Sprintf("crash #%d before %v %s (%s)", len(points), op.Kind, op.Path, mode.name)
		p.lose = mode.name == "none"
		points = append(points, p)
	}
	return points
}

var crashModes = []struct {
	name string
	opts func(rng *rand.Rand) vfs.CrashOptions
}{
	{"none", func(*rand.Rand) vfs.CrashOptions { return vfs.CrashOptions{} }},
	{"all", func(*rand.Rand) vfs.CrashOptions {
		return vfs.CrashOptions{KeepUnsynced: func(_ string, n int) int { return n },
			TearRewrite: func(_ string, n int) int { return n }}
	}},
	{"torn", func(rng *rand.Rand) vfs.CrashOptions {
		return vfs.CrashOptions{KeepUnsynced: func(_ string, n int) int { return rng.IntN(n + 1) },
			TearRewrite: func(_ string, n int) int { return rng.IntN(n+2) - 1 }}
	}},
}

// TestCrashAtEveryPoint runs a seeded workload of Persist calls and
// crashes before every file system operation (Open's included), with
// unsynced bytes lost, kept, or torn at a random point, superblock
// rewrites included. After every crash, Open must return: everything
// the completed Persists wrote; of the Persist in progress, a prefix of
// its records in order (so a completed truncation never lets truncated
// prepares come back, and a pending one applies before the prepares that
// follow it); the hard state of the last completed Persist or of the one
// in progress, never an older one (the superblock never goes back). The
// recovered Log must then take a new Persist that survives a reopen.
func TestCrashAtEveryPoint(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { crashAtEveryPoint(t, seed) })
	}
}

func crashAtEveryPoint(t *testing.T, seed uint64) {
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0xc4a5))
	m := vfs.NewMem()
	var (
		points []crashPoint
		cur    crashPoint // the fields of the next point
	)
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		points = crashPoints(points, rng, m, op, cur)
		if cur.cur != nil {
			sync, sb := op.Kind == vfs.OpSync, strings.Contains(op.Path, "superblock")
			cur.journalSynced = cur.journalSynced || sync && strings.HasSuffix(op.Path, JournalName)
			cur.sbSynced = cur.sbSynced || sync && sb
			cur.sbStarted = cur.sbStarted || sb
		}
		return nil
	})
	cur.acked = newModel()
	l, _, _, _ := mustOpen(t, fsys)
	w := newWorkload(seed)
	for range 40 {
		u := w.next(t)
		cur.cur = &u
		mustPersist(t, l, u)
		cur.acked = cur.acked.apply(&u, records(&u))
		if u.HardStateChanged {
			cur.acked.hs = u.HardState
		}
		cur.seq = l.Sequence()
		cur.cur, cur.journalSynced, cur.sbSynced, cur.sbStarted = nil, false, false, false
	}
	l.Close()
	points = append(points, crashPoint{fs: m.CrashClone(vfs.CrashOptions{}), at: "after the last Persist", acked: cur.acked, seq: cur.seq})

	torn := 0
	for i, p := range points {
		if checkCrash(t, p, i%4 == 0) > 0 {
			torn++
		}
	}
	if torn == 0 {
		t.Fatal("no crash left a torn journal tail")
	}
	t.Logf("%d crash points, %d with a torn journal tail, %d prepares at the end", len(points), torn, len(cur.acked.ops))
}

// checkCrash checks one crash point (see TestCrashAtEveryPoint) and
// returns the torn bytes Open truncated. With more set it also persists
// on the recovered Log and reopens.
func checkCrash(t *testing.T, p crashPoint, more bool) int64 {
	t.Helper()
	l, hs, frames, rec, err := Open(p.fs, testDir)
	if err != nil {
		t.Fatalf("%s: Open: %v", p.at, err)
	}
	defer l.Close()
	// The prepares: the acknowledged state plus a prefix of the records
	// of the Persist in progress.
	n := 0
	if p.cur != nil {
		n = records(p.cur)
	}
	lo, hi := 0, n
	if p.journalSynced {
		lo = n
	} else if p.lose {
		hi = 0
	}
	match := -1
	for k := lo; k <= hi; k++ {
		if sameFrames(frames, p.acked.apply(p.cur, k).frames()) {
			match = k
			break
		}
	}
	if match < 0 {
		t.Fatalf("%s: prepares %s, want the acknowledged %s plus %d..%d records of %+v", p.at,
			describe(frames), describe(p.acked.frames()), lo, hi, p.cur)
	}
	// The hard state never goes back. The one in progress may be there
	// once its copy was synced, or, if unsynced bytes survived, written.
	switch {
	case sameHardState(hs, p.acked.hs) && rec.Sequence == p.seq:
	case (p.sbSynced || p.sbStarted && !p.lose) && p.cur.HardStateChanged &&
		sameHardState(hs, p.cur.HardState) && rec.Sequence == p.seq+1:
		// Persist order: the superblock follows the journal's fsync.
		if match != n {
			t.Fatalf("%s: the new hard state is durable but only %d of %d journal records", p.at, match, n)
		}
	default:
		t.Fatalf("%s: hard state %s (sequence %d), want %s (sequence %d) or the one in progress",
			p.at, brief(hs), rec.Sequence, brief(p.acked.hs), p.seq)
	}
	if !more {
		return rec.TornBytes
	}
	// The recovered Log goes on.
	next := HardState{View: hs.View + 1, LogView: hs.LogView, Commit: hs.Commit}
	f := newGen().frame(wire.Op(len(frames)+1000), 10)
	mustPersist(t, l, Update{Entries: [][]byte{f}, HardStateChanged: true, HardState: next})
	l2, hs2, frames2, _ := mustOpen(t, p.fs.CrashClone(vfs.CrashOptions{}))
	defer l2.Close()
	if !sameHardState(hs2, next) || !sameFrames(frames2, append(frames, f)) {
		t.Fatalf("%s: after recovery and a new Persist: %+v, %s", p.at, hs2, describe(frames2))
	}
	return rec.TornBytes
}

// TestCrashDuringOpen crashes before every operation of an Open that
// truncates a torn journal tail and of one that creates the Log: every
// crash state opens to the same prepares and hard state.
func TestCrashDuringOpen(t *testing.T) {
	m := vfs.NewMem()
	l, _, _, _ := mustOpen(t, m)
	g := newGen()
	acked := [][]byte{g.frame(1, 40), g.frame(2, 40)}
	hs := HardState{View: 2, LogView: 1, Commit: 2, Headers: headers(t, acked)}
	mustPersist(t, l, Update{Entries: acked, HardStateChanged: true, HardState: hs})
	// Persist's fsync is what makes records durable, so write the torn
	// record through the journal file directly: half of one more record.
	l.Close()
	b, _ := vfs.ReadFile(m, testDir+"/"+JournalName)
	torn := m.CrashClone(vfs.CrashOptions{})
	f, _ := torn.OpenReadWrite(testDir + "/" + JournalName)
	f.Write(b[len(b)-30:]) // the tail of the last record: not a valid record
	f.Sync()
	f.Close()

	for name, start := range map[string]*vfs.MemFS{"torn tail": torn, "new": vfs.NewMem()} {
		var snaps []*vfs.MemFS
		fsys := vfs.WithErrors(start, func(vfs.Op) error {
			snaps = append(snaps, start.CrashClone(vfs.CrashOptions{}))
			return nil
		})
		l, hs0, frames0, rec0 := mustOpen(t, fsys)
		during := len(snaps) // crash points inside Open
		l.Close()
		if name == "torn tail" && (rec0.TornBytes != 30 || len(frames0) != 2 || !sameHardState(hs0, hs)) {
			t.Fatalf("%s: %+v, %d prepares, %+v", name, rec0, len(frames0), hs0)
		}
		for i, s := range snaps[:during] {
			l, hs1, frames1, rec1 := mustOpen(t, s)
			l.Close()
			// A crash before the creating Open returned leaves a new Log.
			fresh := name == "new"
			if !sameHardState(hs1, hs0) || !sameFrames(frames1, frames0) || rec1.Fresh != fresh {
				t.Fatalf("%s: crash before Open op %d of %d: %+v %s %+v", name, i, len(snaps), hs1, describe(frames1), rec1)
			}
		}
	}
}
