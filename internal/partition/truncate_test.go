package partition

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// truncCfg holds three batches of fillBatches per segment.
var truncCfg = Config{SegmentSize: 2048, MessagesRequiredToSave: 1000}

// fillBatches appends n batches of 2 messages of 100 bytes, batch i
// stamped at 100(i+1). With truncCfg, 12 batches make segments at 0, 6,
// 12 (sealed) and 18 (active, unsynced), offsets 0..23.
func fillBatches(t testing.TB, p *Partition, n int) {
	t.Helper()
	for i := range n {
		mustAppend(t, p, makeBatch(t, p.NextOffset(), 2, 100), 100*uint64(i+1))
	}
}

func segBases(p *Partition) []uint64 {
	var out []uint64
	for _, s := range p.segs {
		out = append(out, s.base)
	}
	return out
}

// checkTruncated checks p holds exactly offsets first..next-1, durably,
// in the segments at bases, and that the directory holds their logs, an
// index for each sealed one, and no marker.
func checkTruncated(t *testing.T, fsys vfs.FS, p *Partition, first, next uint64, bases []uint64) {
	t.Helper()
	if p.NextOffset() != next || p.DurableOffset() != next || p.Err() != nil {
		t.Fatalf("next %d, durable %d, err %v; want %d", p.NextOffset(), p.DurableOffset(), p.Err(), next)
	}
	if got := segBases(p); !slices.Equal(got, bases) {
		t.Fatalf("segments at %v, want %v", got, bases)
	}
	ms := pollAll(t, p)
	if uint64(len(ms)) != next-first {
		t.Fatalf("%d messages, want %d..%d", len(ms), first, next)
	}
	checkSequence(t, ms, first, 100)
	checkFiles(t, fsys, p)
}

// checkFiles checks the directory holds p's segment logs, an index for
// each sealed one, the offsets log, and nothing else (no marker).
func checkFiles(t *testing.T, fsys vfs.FS, p *Partition) {
	t.Helper()
	want := []string{offsetsFile}
	for i, b := range segBases(p) {
		want = append(want, segmentName("", b, logSuffix))
		if i < len(p.segs)-1 {
			want = append(want, segmentName("", b, indexSuffix))
		}
	}
	slices.Sort(want)
	if names, _ := fsys.List(testDir); !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
}

// Truncating inside the active segment keeps its earlier batches (making
// the unsynced ones durable), and the next Append continues at the cut
// with the timestamp floor of the new last batch.
func TestTruncateActiveSegment(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, truncCfg)
	fillBatches(t, p, 12)
	if got := segBases(p); !slices.Equal(got, []uint64{0, 6, 12, 18}) || p.DurableOffset() != 18 {
		t.Fatalf("setup: segments %v, durable %d", got, p.DurableOffset())
	}
	if err := p.TruncateTo(22); err != nil {
		t.Fatal(err)
	}
	checkTruncated(t, m, p, 0, 22, []uint64{0, 6, 12, 18})
	// The last batch kept (offsets 20, 21) was stamped 1100; the dropped
	// one 1200 no longer bounds the next stamp.
	if r := mustAppend(t, p, makeBatch(t, 22, 2, 100), 1150); r.BaseOffset != 22 || r.Timestamp != 1150 {
		t.Fatalf("append after truncation: %+v", r)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, fsys := range []vfs.FS{m, m.CrashClone(vfs.CrashOptions{})} {
		q := mustOpen(t, fsys, truncCfg)
		if rec := q.Recovery(); rec.TornBytes != 0 || rec.IndexesRebuilt != 0 || rec.Truncated {
			t.Fatalf("recovery %+v", rec)
		}
		checkSequence(t, pollAll(t, q), 0, 100)
		if q.NextOffset() != 24 {
			t.Fatalf("next %d after reopen", q.NextOffset())
		}
		q.Close()
	}
}

// Truncating below the active segment removes the segments above the cut
// whole and makes the cut one active (its index file goes); the state
// survives a reopen, appends roll over from there, and Poll resolves
// every strategy against the new end.
func TestTruncateAcrossSegments(t *testing.T) {
	for _, tc := range []struct {
		next  uint64
		bases []uint64
	}{
		{8, []uint64{0, 6}},      // inside sealed segment 6
		{6, []uint64{0, 6}},      // at its base: segment 6 is left empty
		{12, []uint64{0, 6, 12}}, // at the end of segment 6: segment 12 is left empty
		{18, []uint64{0, 6, 12, 18}},
		{0, []uint64{0}},
	} {
		t.Run(fmt.Sprint("next=", tc.next), func(t *testing.T) {
			m := vfs.NewMem()
			cache := NewFileCache(4)
			cfg := truncCfg
			cfg.FileCache = cache
			p := mustOpen(t, m, cfg)
			fillBatches(t, p, 12)
			pollAll(t, p) // the sealed segments are in the cache
			if err := p.TruncateTo(tc.next); err != nil {
				t.Fatal(err)
			}
			checkTruncated(t, m, p, 0, tc.next, tc.bases)
			if cache.Open() > len(tc.bases)-1 {
				t.Fatalf("%d files in the cache for %d sealed segments", cache.Open(), len(tc.bases)-1)
			}
			checkPollsAfterTruncate(t, p, tc.next)

			// Appends continue at the cut; the active segment seals again
			// with its index written.
			fillBatches(t, p, 6)
			end := tc.next + 12
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			q := mustOpen(t, m, cfg)
			defer q.Close()
			if rec := q.Recovery(); rec.TornBytes != 0 || rec.IndexesRebuilt != 0 {
				t.Fatalf("recovery %+v", rec)
			}
			ms := pollAll(t, q)
			if uint64(len(ms)) != end {
				t.Fatalf("%d messages after reopen, want %d", len(ms), end)
			}
			checkSequence(t, ms, 0, 100)
		})
	}
}

// checkPollsAfterTruncate polls p, truncated at next from fillBatches'
// 24 messages, with every strategy: nothing at or above next is served.
func checkPollsAfterTruncate(t *testing.T, p *Partition, next uint64) {
	t.Helper()
	at := func(kind wire.PollingKind, v uint64) PollRequest {
		return PollRequest{Strategy: wire.PollingStrategy{Kind: kind, Value: v}, Count: 4}
	}
	last := []uint64{}
	for o := next - min(next, 4); o < next; o++ {
		last = append(last, o)
	}
	if _, ms := poll(t, p, at(wire.PollLast, 0)); !slices.Equal(offsets(ms), last) {
		t.Fatalf("last: %v, want %v", offsets(ms), last)
	}
	if _, ms := poll(t, p, at(wire.PollOffset, next)); len(ms) != 0 {
		t.Fatalf("offset %d: %v", next, offsets(ms))
	}
	// Batch 11 (offsets 22, 23) was stamped 1200; nothing kept is that late.
	if _, ms := poll(t, p, at(wire.PollTimestamp, 1200)); len(ms) != 0 || p.OffsetAt(1200) != next {
		t.Fatalf("timestamp 1200: %v, offset at %d", offsets(ms), p.OffsetAt(1200))
	}
	if reply, _ := poll(t, p, at(wire.PollFirst, 0)); reply.CurrentOffset != p.CurrentOffset() {
		t.Fatalf("current offset %d, want %d", reply.CurrentOffset, p.CurrentOffset())
	}
	buf, n, err := p.Read(nil, 0, ^uint32(0))
	if err != nil || uint64(n) != next {
		t.Fatalf("read %d messages (%d bytes), want %d: %v", n, len(buf), next, err)
	}
}

// TruncateTo(NextOffset) does no I/O when everything is durable, and
// otherwise only syncs, so DurableOffset is NextOffset either way.
func TestTruncateNoop(t *testing.T) {
	m := vfs.NewMem()
	var ops []vfs.Op
	p := mustOpen(t, vfs.WithErrors(m, func(op vfs.Op) error { ops = append(ops, op); return nil }), truncCfg)
	defer p.Close()
	fillBatches(t, p, 4)
	ops = nil
	if err := p.TruncateTo(8); err != nil || p.NextOffset() != 8 || p.DurableOffset() != 8 {
		t.Fatalf("next %d, durable %d: %v", p.NextOffset(), p.DurableOffset(), err)
	}
	if len(ops) != 1 || ops[0].Kind != vfs.OpSync {
		t.Fatalf("operations %v, want one sync", ops)
	}
	ops = nil
	if err := p.TruncateTo(8); err != nil || len(ops) != 0 {
		t.Fatalf("operations %v (%v), want none", ops, err)
	}
	checkSequence(t, pollAll(t, p), 0, 100)
}

// Truncation above the end, inside a batch, or below the first retained
// segment fails and changes nothing; truncation to that segment's base
// leaves an empty partition that gives no retained-away offset again.
func TestTruncateErrors(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, truncCfg)
	defer p.Close()
	fillBatches(t, p, 12)
	before, _ := m.List(testDir)
	for _, tc := range []struct {
		next uint64
		want error
	}{
		{25, ErrTruncateAhead},
		{23, ErrNotBoundary}, // inside the active segment's last batch
		{7, ErrNotBoundary},  // inside a sealed segment
		{5, ErrNotBoundary},  // inside the last batch of a sealed segment
	} {
		if err := p.TruncateTo(tc.next); !errors.Is(err, tc.want) {
			t.Fatalf("TruncateTo(%d) = %v, want %v", tc.next, err, tc.want)
		}
		if names, _ := m.List(testDir); !slices.Equal(names, before) || p.NextOffset() != 24 || p.Err() != nil {
			t.Fatalf("TruncateTo(%d) changed the partition: %v, next %d, err %v", tc.next, names, p.NextOffset(), p.Err())
		}
	}
	checkSequence(t, pollAll(t, p), 0, 100)

	if n, err := p.DeleteSegments(1); n != 1 || err != nil {
		t.Fatalf("delete: %d %v", n, err)
	}
	if err := p.TruncateTo(4); !errors.Is(err, ErrTruncateCompacted) {
		t.Fatalf("TruncateTo below the retained segments = %v", err)
	}
	if err := p.TruncateTo(6); err != nil {
		t.Fatal(err)
	}
	checkTruncated(t, m, p, 6, 6, []uint64{6})
	if st := p.Stats(); st.Messages != 0 || st.SizeBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
	if r := mustAppend(t, p, makeBatch(t, 6, 2, 100), 1); r.BaseOffset != 6 {
		t.Fatalf("append after truncating to the retained base at %d", r.BaseOffset)
	}
}

// TestTruncateIsAtomic crashes before every file system operation of
// TruncateTo (unsynced bytes lost, kept or torn, and a truncation that
// reached the disk unsynced) at cuts in the active segment, in a sealed
// one, at a segment boundary and at 0. Every crash state opens, holds the
// old messages (less any unsynced tail a crash loses) or exactly the
// truncated ones, never a marker after Open; the truncation can be
// applied again, and appends continue from it across a reopen.
func TestTruncateIsAtomic(t *testing.T) {
	for _, enforce := range []bool{false, true} {
		for _, next := range []uint64{22, 18, 8, 12, 0} {
			t.Run(fmt.Sprintf("fsync=%v/next=%d", enforce, next), func(t *testing.T) {
				truncateAtomic(t, next, enforce)
			})
		}
	}
}

func truncateAtomic(t *testing.T, next uint64, enforce bool) {
	rng := rand.New(rand.NewPCG(next, 0x7a11))
	m := vfs.NewMem()
	var states []crashState
	var p *Partition
	collect := false
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		if collect {
			states = append(states, crashStates(rng, m, op, p, crashState{})...)
			states = append(states, crashState{at: fmt.Sprintf("before %v %s (truncation kept)", op.Kind, op.Path),
				fs: m.CrashClone(vfs.CrashOptions{TearRewrite: func(_ string, n int) int { return n }})})
		}
		return nil
	})
	cfg := truncCfg
	cfg.EnforceFsync = enforce
	p = mustOpen(t, fsys, cfg)
	fillBatches(t, p, 12)
	durable, old := p.DurableOffset(), p.NextOffset()
	collect = true
	if err := p.TruncateTo(next); err != nil {
		t.Fatal(err)
	}
	collect = false
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	states = append(states, crashState{fs: m.CrashClone(vfs.CrashOptions{}), at: "after close"})
	truncated, kept := 0, 0
	for _, s := range states {
		q, err := Open(s.fs, testDir, 1, cfg)
		if err != nil {
			t.Fatalf("%s: open: %v", s.at, err)
		}
		ms := pollAll(t, q)
		n := uint64(len(ms))
		checkSequence(t, ms, 0, 100)
		switch {
		case n == next:
			truncated++
		case n >= durable && n <= old:
			kept++
		default:
			t.Fatalf("%s: %d messages, want %d (truncated) or %d..%d (old)", s.at, n, next, durable, old)
		}
		checkFiles(t, s.fs, q) // no marker, no index beside the active log
		if n >= next {
			if err := q.TruncateTo(next); err != nil {
				t.Fatalf("%s: truncate again: %v", s.at, err)
			}
		}
		end := q.NextOffset()
		mustAppend(t, q, makeBatch(t, end, 2, 100), 1<<40)
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		q, err = Open(s.fs, testDir, 1, cfg)
		if err != nil {
			t.Fatalf("%s: reopen: %v", s.at, err)
		}
		if ms := pollAll(t, q); uint64(len(ms)) != end+2 || q.Recovery().TornBytes != 0 || q.Recovery().Truncated {
			t.Fatalf("%s: %d messages after reopen, want %d; recovery %+v", s.at, len(ms), end+2, q.Recovery())
		} else {
			checkSequence(t, ms, 0, 100)
		}
		q.Close()
	}
	if truncated == 0 || kept == 0 {
		t.Fatalf("%d crash states truncated, %d kept the old state", truncated, kept)
	}
	t.Logf("%d crash states: %d truncated, %d old", len(states), truncated, kept)
}

// A fault at any one file system operation of TruncateTo returns the
// error (only a failed Close of a removed segment's file is ignored). A
// fault writing the marker leaves the partition unchanged and usable; a
// later one stops it until it is reopened. Either way a reopen, also
// after a crash, gives the old or the truncated state, and the
// truncation then succeeds.
func TestTruncateFaults(t *testing.T) {
	const next = 8
	cfg := truncCfg
	cfg.EnforceFsync = true
	for n := 1; ; n++ {
		m := vfs.NewMem()
		armed, seen := false, 0
		var failed vfs.Op
		fsys := vfs.WithErrors(m, func(op vfs.Op) error {
			if !armed {
				return nil
			}
			if seen++; seen == n {
				failed = op
				return vfs.ErrInjected
			}
			return nil
		})
		p := mustOpen(t, fsys, cfg)
		fillBatches(t, p, 12)
		armed = true
		err := p.TruncateTo(next)
		armed = false
		if seen < n {
			if err != nil {
				t.Fatal(err)
			}
			checkTruncated(t, m, p, 0, next, []uint64{0, 6})
			p.Close()
			t.Logf("checked a fault at each of TruncateTo's %d operations", n-1)
			return
		}
		if err == nil {
			if failed.Kind != vfs.OpClose {
				t.Fatalf("TruncateTo succeeded with a fault at %v %s", failed.Kind, failed.Path)
			}
			checkTruncated(t, m, p, 0, next, []uint64{0, 6})
			p.Close()
			continue
		}
		if !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("fault at %v %s: %v", failed.Kind, failed.Path, err)
		}
		if p.Err() == nil {
			// Unchanged and usable.
			if _, serr := m.Stat(testDir + "/" + truncMarker); serr == nil || p.NextOffset() != 24 {
				t.Fatalf("fault at %v %s (%v): marker left (%v) or next %d", failed.Kind, failed.Path, err, serr, p.NextOffset())
			}
			checkSequence(t, pollAll(t, p), 0, 100)
		}
		p.Close()
		for _, fs := range []vfs.FS{m.CrashClone(vfs.CrashOptions{}), m} {
			q, err := Open(fs, testDir, 1, cfg)
			if err != nil {
				t.Fatalf("fault at %v %s: open: %v", failed.Kind, failed.Path, err)
			}
			ms := pollAll(t, q)
			if len(ms) != next && len(ms) != 24 {
				t.Fatalf("fault at %v %s: %d messages after reopen", failed.Kind, failed.Path, len(ms))
			}
			checkSequence(t, ms, 0, 100)
			if err := q.TruncateTo(next); err != nil {
				t.Fatalf("fault at %v %s: truncate after reopen: %v", failed.Kind, failed.Path, err)
			}
			checkTruncated(t, fs, q, 0, next, []uint64{0, 6})
			q.Close()
		}
	}
}

// crashDuringTruncate fills a partition with fillBatches' 12 batches,
// truncates it to 8 and returns the disk as a crash before TruncateTo's
// first operation of kind would leave it.
func crashDuringTruncate(t *testing.T, kind vfs.OpKind) *vfs.MemFS {
	t.Helper()
	m := vfs.NewMem()
	var crashed *vfs.MemFS
	armed := false
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		if armed && op.Kind == kind && crashed == nil {
			crashed = m.CrashClone(vfs.CrashOptions{})
		}
		return nil
	})
	p := mustOpen(t, fsys, truncCfg)
	fillBatches(t, p, 12)
	armed = true
	if err := p.TruncateTo(8); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return crashed
}

// Open finishing an interrupted truncation reports it.
func TestTruncateRecoveryIsReported(t *testing.T) {
	crashed := crashDuringTruncate(t, vfs.OpTruncate)
	q := mustOpen(t, crashed, truncCfg)
	defer q.Close()
	if rec := q.Recovery(); !rec.Truncated || rec.TruncatedTo != 8 || rec.Segments != 2 {
		t.Fatalf("recovery %+v", rec)
	}
	checkTruncated(t, crashed, q, 0, 8, []uint64{0, 6})
	if names, _ := crashed.List(testDir); slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, truncMarker) }) {
		t.Fatalf("files %v", names)
	}
}

// A file system may persist the removals of step 2 in any order: Open
// finishes a truncation whose marker it finds whichever segments above
// the cut are gone, here the middle one, which would otherwise leave a
// gap.
func TestTruncateRecoveryWithGap(t *testing.T) {
	crashed := crashDuringTruncate(t, vfs.OpRemove)
	for _, n := range []string{"00000000000000000012.log", "00000000000000000012.index"} {
		if err := crashed.Remove(testDir + "/" + n); err != nil {
			t.Fatal(err)
		}
	}
	if err := crashed.SyncDir(testDir); err != nil {
		t.Fatal(err)
	}
	q := mustOpen(t, crashed, truncCfg)
	defer q.Close()
	if rec := q.Recovery(); !rec.Truncated {
		t.Fatalf("recovery %+v", rec)
	}
	checkTruncated(t, crashed, q, 0, 8, []uint64{0, 6})
}
