package partition

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// The e2e SendAndPollRoundTrip shape (wire.md §4.2 test 1): three sends of
// four messages get base offsets 0, 4, 8, and a poll of 12 from offset 0
// returns them all through the SDK's reply decoder.
func TestAppendPollRoundTrip(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{})
	defer p.Close()
	if p.CurrentOffset() != 0 || p.NextOffset() != 0 {
		t.Fatalf("empty partition at %d/%d", p.CurrentOffset(), p.NextOffset())
	}
	for i, want := range []uint64{0, 4, 8} {
		b := makeBatch(t, want, 4, 0)
		r := mustAppend(t, p, b, 1000+uint64(i))
		if r.BaseOffset != want || r.Count != 4 || r.Timestamp != 1000+uint64(i) {
			t.Fatalf("append %d: %+v", i, r)
		}
		// Append stamps the caller's record and keeps it a valid batch.
		var h wire.BatchHeader
		if err := h.Decode(b); err != nil || h.PartitionID != 1 || h.BaseOffset != want || wire.VerifyBatch(b) != nil {
			t.Fatalf("stamped header %+v, %v, verify %v", h, err, wire.VerifyBatch(b))
		}
	}
	reply, ms := poll(t, p, PollRequest{Strategy: wire.PollingStrategy{Kind: wire.PollOffset}, Count: 12})
	if reply.PartitionID != 1 || reply.CurrentOffset != 11 || reply.MessagesCount != 12 {
		t.Fatalf("reply %+v", reply)
	}
	checkSequence(t, ms, 0, 0)
	if ms[0].payload != "message 0" || ms[4].timestamp != 1001 {
		t.Fatalf("first %+v, fifth %+v", ms[0], ms[4])
	}
	st := p.Stats()
	if st.CurrentOffset != 11 || st.Messages != 12 || st.Segments != 1 || st.SizeBytes == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAppendRejectsMalformedBatch(t *testing.T) {
	p := mustOpen(t, vfs.NewMem(), Config{})
	defer p.Close()
	b := makeBatch(t, 0, 2, 0)
	for name, bad := range map[string][]byte{
		"short":       b[:100],
		"length":      b[:len(b)-1],
		"frames cut":  append(slices.Clone(b[:wire.BatchHeaderSize]), make([]byte, 10)...),
		"reserved":    func() []byte { c := slices.Clone(b); c[100] = 1; return c }(),
		"zero counts": func() []byte { c := slices.Clone(b); c[48] = 0; return c }(),
	} {
		if _, err := p.Append(bad, 1); !errors.Is(err, ErrBatch) || StatusOf(err) != wire.StatusInvalidFormat {
			t.Errorf("%s: %v", name, err)
		}
	}
	if p.NextOffset() != 0 || p.Err() != nil {
		t.Fatalf("rejected batches changed the partition: next %d, err %v", p.NextOffset(), p.Err())
	}
}

// Timestamps never go back, so timestamp polling can search.
func TestTimestampsAreMonotonic(t *testing.T) {
	p := mustOpen(t, vfs.NewMem(), Config{})
	defer p.Close()
	for i, now := range []uint64{500, 300, 900} {
		r := mustAppend(t, p, makeBatch(t, uint64(i), 1, 0), now)
		if want := []uint64{500, 500, 900}[i]; r.Timestamp != want {
			t.Fatalf("append %d stamped %d, want %d", i, r.Timestamp, want)
		}
	}
}

func TestPollStrategies(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{SegmentSize: 2048})
	defer p.Close()
	// Batches of 3 at timestamps 100, 200, ...: offsets 0..11.
	for i := range 4 {
		mustAppend(t, p, makeBatch(t, uint64(3*i), 3, 200), 100*uint64(i+1))
	}
	if p.Stats().Segments < 2 {
		t.Fatalf("want several segments, have %d", p.Stats().Segments)
	}
	key := ConsumerKey{Kind: wire.ConsumerSingle, ID: 7}
	if err := p.StoreOffset(key, 5, AckQuorum); err != nil {
		t.Fatal(err)
	}
	at := func(kind wire.PollingKind, v uint64) wire.PollingStrategy {
		return wire.PollingStrategy{Kind: kind, Value: v}
	}
	seq := func(from, to uint64) []uint64 {
		var s []uint64
		for o := from; o < to; o++ {
			s = append(s, o)
		}
		return s
	}
	for _, tc := range []struct {
		name  string
		req   PollRequest
		want  []uint64
		first uint64
	}{
		{"offset", PollRequest{Strategy: at(wire.PollOffset, 0), Count: 5}, seq(0, 5), 0},
		{"offset mid-batch", PollRequest{Strategy: at(wire.PollOffset, 4), Count: 4}, seq(4, 8), 4},
		{"offset across segments", PollRequest{Strategy: at(wire.PollOffset, 2), Count: 100}, seq(2, 12), 2},
		{"offset at end", PollRequest{Strategy: at(wire.PollOffset, 12), Count: 5}, nil, 12},
		{"offset past end", PollRequest{Strategy: at(wire.PollOffset, 99), Count: 5}, nil, 99},
		{"count zero", PollRequest{Strategy: at(wire.PollOffset, 0), Count: 0}, nil, 0},
		{"first", PollRequest{Strategy: at(wire.PollFirst, 0), Count: 2}, seq(0, 2), 0},
		{"last", PollRequest{Strategy: at(wire.PollLast, 0), Count: 4}, seq(8, 12), 8},
		{"last more than all", PollRequest{Strategy: at(wire.PollLast, 0), Count: 40}, seq(0, 12), 0},
		{"next without offset", PollRequest{Strategy: at(wire.PollNext, 0), Count: 2, Consumer: ConsumerKey{Kind: wire.ConsumerSingle, ID: 8}}, seq(0, 2), 0},
		{"next after stored", PollRequest{Strategy: at(wire.PollNext, 0), Count: 2, Consumer: key}, seq(6, 8), 6},
		{"timestamp exact", PollRequest{Strategy: at(wire.PollTimestamp, 200), Count: 3}, seq(3, 6), 3},
		{"timestamp between", PollRequest{Strategy: at(wire.PollTimestamp, 250), Count: 100}, seq(6, 12), 6},
		{"timestamp before all", PollRequest{Strategy: at(wire.PollTimestamp, 1), Count: 1}, seq(0, 1), 0},
		{"timestamp after all", PollRequest{Strategy: at(wire.PollTimestamp, 401), Count: 1}, nil, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, res, err := p.Poll(nil, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			reply, ms := decodePoll(t, body)
			if got := offsets(ms); !slices.Equal(got, tc.want) || res.Messages != uint32(len(tc.want)) {
				t.Fatalf("offsets %v (%d), want %v", got, res.Messages, tc.want)
			}
			if reply.CurrentOffset != 11 || reply.PartitionID != 1 {
				t.Fatalf("reply %+v", reply)
			}
			if len(ms) > 0 && res.First != tc.first {
				t.Fatalf("first %d, want %d", res.First, tc.first)
			}
			checkSequence(t, ms, tc.first, 200)
		})
	}
}

func TestPollAutoCommit(t *testing.T) {
	p := mustOpen(t, vfs.NewMem(), Config{})
	defer p.Close()
	mustAppend(t, p, makeBatch(t, 0, 5, 0), 1)
	key := ConsumerKey{Kind: wire.ConsumerGroup, ID: 0}
	next := PollRequest{Strategy: wire.PollingStrategy{Kind: wire.PollNext}, Count: 2, Consumer: key, AutoCommit: true}
	for _, want := range [][]uint64{{0, 1}, {2, 3}, {4}, nil} {
		_, ms := poll(t, p, next)
		if !slices.Equal(offsets(ms), want) {
			t.Fatalf("got %v, want %v", offsets(ms), want)
		}
	}
	if off, ok := p.ConsumerOffset(key); !ok || off != 4 {
		t.Fatalf("stored %d %v", off, ok)
	}
}

// MaxReadBytes cuts a long read at a batch boundary, never before the
// first batch.
func TestReadByteLimit(t *testing.T) {
	p := mustOpen(t, vfs.NewMem(), Config{MaxReadBytes: 1})
	defer p.Close()
	for i := range 3 {
		mustAppend(t, p, makeBatch(t, uint64(2*i), 2, 0), 1)
	}
	_, ms := poll(t, p, PollRequest{Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: 1}, Count: 10})
	if !slices.Equal(offsets(ms), []uint64{1}) {
		t.Fatalf("got %v", offsets(ms))
	}
}

func TestRollOverAndReopen(t *testing.T) {
	m := vfs.NewMem()
	cfg := Config{SegmentSize: 4096, EnforceFsync: true}
	p := mustOpen(t, m, cfg)
	var next uint64
	for i := range 30 {
		n := 1 + i%4
		r := mustAppend(t, p, makeBatch(t, next, n, 300), uint64(i))
		if r.BaseOffset != next || !r.Durable {
			t.Fatalf("append %d: %+v", i, r)
		}
		next += uint64(n)
	}
	segs := p.Stats().Segments
	if segs < 5 {
		t.Fatalf("%d segments", segs)
	}
	want := pollAll(t, p)
	checkSequence(t, want, 0, 300)
	if uint64(len(want)) != next {
		t.Fatalf("%d messages, want %d", len(want), next)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	p = mustOpen(t, m, cfg)
	if rec := p.Recovery(); rec.Segments != int(segs) || rec.TornBytes != 0 || rec.IndexesRebuilt != 0 {
		t.Fatalf("recovery %+v", rec)
	}
	if got := pollAll(t, p); !slices.Equal(got, want) || p.NextOffset() != next {
		t.Fatalf("after reopen: %d messages, next %d", len(got), p.NextOffset())
	}
	// Appends continue in the active segment.
	mustAppend(t, p, makeBatch(t, next, 2, 300), 99)
	checkSequence(t, pollAll(t, p), 0, 300)
	p.Close()

	// A damaged sealed index is rebuilt from the log.
	names, _ := m.List(testDir)
	rewrite(t, m, testDir+"/"+names[2], func(b []byte) []byte { return b[:len(b)-3] })
	p = mustOpen(t, m, cfg)
	if rec := p.Recovery(); rec.IndexesRebuilt != 1 {
		t.Fatalf("recovery %+v after damaging %s", rec, names[2])
	}
	checkSequence(t, pollAll(t, p), 0, 300)
	p.Close()

	// A damaged batch inside a sealed log is not served: reads fail.
	first := testDir + "/" + names[1]
	whole, _ := vfs.ReadFile(m, first)
	rewrite(t, m, first, func(b []byte) []byte { b[wire.BatchHeaderSize+60] ^= 1; return b })
	p = mustOpen(t, m, cfg)
	if _, _, err := p.Poll(nil, PollRequest{Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("poll of a damaged sealed batch: %v", err)
	}
	p.Close()

	// A sealed log that lost its batches is corruption, not a torn tail.
	rewrite(t, m, first, func([]byte) []byte { return whole[:100] })
	if _, err := Open(m, testDir, 1, cfg); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with a damaged sealed segment: %v", err)
	}
}

func TestFsyncPolicy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		durable []bool // after each batch of 4 × 100-byte messages
	}{
		{"enforced", Config{EnforceFsync: true}, []bool{true, true, true}},
		{"messages", Config{MessagesRequiredToSave: 6}, []bool{false, true, false}},
		{"bytes", Config{SizeRequiredToSave: 1500}, []bool{false, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := vfs.NewMem()
			p := mustOpen(t, m, tc.cfg)
			var durable uint64
			for i, want := range tc.durable {
				r := mustAppend(t, p, makeBatch(t, uint64(4*i), 4, 100), 1)
				if r.Durable != want {
					t.Fatalf("batch %d durable %v, want %v", i, r.Durable, want)
				}
				if r.Durable {
					durable = p.NextOffset()
				}
				if p.DurableOffset() != durable {
					t.Fatalf("durable offset %d, want %d", p.DurableOffset(), durable)
				}
			}
			m.Crash(vfs.CrashOptions{})
			p.Close()
			p = mustOpen(t, m, tc.cfg)
			defer p.Close()
			if got := pollAll(t, p); uint64(len(got)) != durable {
				t.Fatalf("after crash %d messages, %d were durable", len(got), durable)
			}
		})
	}
}

func TestTornTailIsTruncated(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{EnforceFsync: true})
	for i := range 3 {
		mustAppend(t, p, makeBatch(t, uint64(2*i), 2, 50), 1)
	}
	p.Close()
	log := testDir + "/00000000000000000000.log"
	whole, _ := vfs.ReadFile(m, log)
	extra := makeBatch(t, 6, 2, 50)
	for _, tail := range [][]byte{extra[:10], extra[:300], extra[:len(extra)-1], make([]byte, 400)} {
		rewrite(t, m, log, func([]byte) []byte { return append(slices.Clone(whole), tail...) })
		p = mustOpen(t, m, Config{})
		if rec := p.Recovery(); rec.TornBytes != int64(len(tail)) || rec.Batches != 3 {
			t.Fatalf("tail of %d: recovery %+v", len(tail), rec)
		}
		checkSequence(t, pollAll(t, p), 0, 50)
		if r := mustAppend(t, p, makeBatch(t, 6, 2, 50), 2); r.BaseOffset != 6 {
			t.Fatalf("append after recovery at %d", r.BaseOffset)
		}
		ms := pollAll(t, p)
		checkSequence(t, ms, 0, 50)
		if len(ms) != 8 {
			t.Fatalf("%d messages", len(ms))
		}
		p.Close()
	}
	// A flipped bit in the last batch: it and everything after it go.
	rewrite(t, m, log, func([]byte) []byte { c := slices.Clone(whole); c[len(c)-5] ^= 0x40; return c })
	p = mustOpen(t, m, Config{})
	defer p.Close()
	checkSequence(t, pollAll(t, p), 0, 50)
	if p.NextOffset() != 4 {
		t.Fatalf("next %d after a damaged last batch", p.NextOffset())
	}
}

// A failed sync is not retried as if it had worked (vfs rule 4): while
// the partition cannot sync the truncation that drops the unsynced
// batches, every append fails with storage status; once it can, the
// partition serves again.
func TestIOErrorsDoNotAcknowledge(t *testing.T) {
	m := vfs.NewMem()
	fail := false
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		if fail && op.Kind == vfs.OpSync {
			return vfs.ErrInjected
		}
		return nil
	})
	p := mustOpen(t, fsys, Config{EnforceFsync: true})
	mustAppend(t, p, makeBatch(t, 0, 1, 0), 1)
	fail = true
	if _, err := p.Append(makeBatch(t, 1, 1, 0), 1); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("append with a failing sync: %v", err)
	}
	if _, err := p.Append(makeBatch(t, 1, 1, 0), 1); !errors.Is(err, vfs.ErrInjected) || p.Err() == nil {
		t.Fatalf("append while syncs fail: %v", err)
	}
	if StatusOf(p.Err()) != wire.StatusCannotSaveMessagesToSegment {
		t.Fatalf("status %v", StatusOf(p.Err()))
	}
	fail = false
	if r := mustAppend(t, p, makeBatch(t, 1, 1, 0), 1); r.BaseOffset != 1 || !r.Durable {
		t.Fatalf("append once syncs work: %+v", r)
	}
	p.Close()
	p = mustOpen(t, fsys, Config{})
	defer p.Close()
	if n := len(pollAll(t, p)); n != 2 {
		t.Fatalf("%d messages after reopening", n)
	}
}

func TestRemove(t *testing.T) {
	m := vfs.NewMem()
	p := mustOpen(t, m, Config{SegmentSize: 1024})
	for i := range 5 {
		mustAppend(t, p, makeBatch(t, uint64(i), 1, 400), 1)
	}
	if err := p.StoreOffset(ConsumerKey{Kind: wire.ConsumerSingle}, 2, AckQuorum); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := Remove(m, testDir); err != nil {
		t.Fatal(err)
	}
	m.Crash(vfs.CrashOptions{})
	if _, err := m.Stat(testDir); err == nil {
		t.Fatal("partition directory survived Remove")
	}
	p = mustOpen(t, m, Config{})
	defer p.Close()
	if p.NextOffset() != 0 || len(pollAll(t, p)) != 0 {
		t.Fatal("a recreated partition is not empty")
	}
	if _, ok := p.ConsumerOffset(ConsumerKey{Kind: wire.ConsumerSingle}); ok {
		t.Fatal("a recreated partition kept a consumer offset")
	}
}

// TestAppendSummed: a batch appended with the checksums admission collected
// is stamped exactly as Append stamps it (the same batch checksum), reads
// back and recovers; sums of the wrong length are ignored.
func TestAppendSummed(t *testing.T) {
	m := vfs.NewMem()
	pa, pb := mustOpen(t, vfs.NewMem(), Config{}), mustOpen(t, m, Config{})
	for i, wrong := range []bool{false, true, false} {
		a := makeBatch(t, uint64(i*5), 5, 64)
		b := append([]byte(nil), a...)
		sums, err := verifySums(b)
		if err != nil {
			t.Fatal(err)
		}
		if wrong {
			sums = sums[:8]
		}
		if _, err := pa.Append(a, 100); err != nil {
			t.Fatal(err)
		}
		if _, err := pb.AppendSummed(b, sums, 100); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a[:wire.BatchHeaderSize], b[:wire.BatchHeaderSize]) {
			t.Fatalf("batch %d: AppendSummed stamped a different header than Append", i)
		}
		if err := wire.VerifyBatch(b); err != nil {
			t.Fatalf("batch %d as stored does not verify: %v", i, err)
		}
	}
	checkSequence(t, pollAll(t, pb), 0, 64)
	pb.Close()
	checkSequence(t, pollAll(t, mustOpen(t, m, Config{})), 0, 64)
}

// verifySums verifies a batch record through SendMessages admission and
// returns its messages' checksums, as the server collects them.
func verifySums(b []byte) ([]byte, error) {
	var h wire.BatchHeader
	if err := h.Decode(b); err != nil {
		return nil, err
	}
	meta := wire.NumericID(1).Append(wire.NumericID(1).Append(nil))
	meta = (wire.Partitioning{Kind: wire.PartitionBalanced}).Append(meta)
	body := binary.LittleEndian.AppendUint32(nil, uint32(len(meta)+4)) // with messages_count
	body = append(body, meta...)
	body = binary.LittleEndian.AppendUint32(body, h.MessageCount)
	sm := wire.SendMessages{Sums: []byte{}}
	if err := sm.Decode(append(body, b...)); err != nil {
		return nil, err
	}
	return sm.Sums, nil
}
