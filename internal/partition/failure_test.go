package partition

import (
	"errors"
	"syscall"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// Issue #15 item 9 (ENOSPC): an append that fails on a full disk is not
// acknowledged and leaves the partition usable: the torn prefix is cut
// off, appends fail while the disk stays full, and the first one after
// space returns gets the offset the failed ones did not take. Batches
// written before the failure, synced or not, stay.
func TestAppendRecoversOnceSpaceReturns(t *testing.T) {
	m := vfs.NewMem()
	var disk vfs.Switch
	p := mustOpen(t, vfs.WithErrors(m, disk.Inject), Config{MessagesRequiredToSave: 1000})
	defer p.Close()
	mustAppend(t, p, makeBatch(t, 0, 3, 100), 1)
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, p, makeBatch(t, 3, 3, 100), 2) // written, not synced
	size := p.Stats().SizeBytes
	disk.Set(vfs.OpWrite, vfs.TornWrite{Keep: 100, Err: vfs.ErrNoSpace})
	for range 3 {
		_, err := p.Append(makeBatch(t, 6, 3, 100), 3)
		if !errors.Is(err, syscall.ENOSPC) || StatusOf(err) != wire.StatusCannotSaveMessagesToSegment {
			t.Fatalf("append on a full disk = %v", err)
		}
		if p.Err() != nil || p.NextOffset() != 6 || p.Stats().SizeBytes != size {
			t.Fatalf("after a failed append: err %v, next %d, size %d (want %d)", p.Err(), p.NextOffset(), p.Stats().SizeBytes, size)
		}
		if fi, _ := m.Stat(testDir + "/00000000000000000000.log"); uint64(fi.Size()) != size {
			t.Fatalf("log holds %d bytes, want %d: the torn prefix stayed", fi.Size(), size)
		}
	}
	if p.DurableOffset() != 6 {
		t.Fatalf("durable offset %d: the recovery's sync should cover the earlier batches", p.DurableOffset())
	}
	disk.Clear()
	if r := mustAppend(t, p, makeBatch(t, 6, 3, 100), 4); r.BaseOffset != 6 {
		t.Fatalf("append once space returned at %d", r.BaseOffset)
	}
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	checkSequence(t, pollAll(t, p), 0, 100)
	q := mustOpen(t, m.CrashClone(vfs.CrashOptions{}), Config{})
	defer q.Close()
	if ms := pollAll(t, q); len(ms) != 9 || q.Recovery().TornBytes != 0 {
		t.Fatalf("after a crash: %d messages, recovery %+v", len(ms), q.Recovery())
	} else {
		checkSequence(t, ms, 0, 100)
	}
}

// After a failed fsync the batches written since the last good one are
// of unknown state (fsyncgate): the partition drops them, through a
// reopened log, and gives their offsets again. While it cannot sync that
// truncation every call fails; once it can, appends continue.
func TestSyncFailureDropsUnsynced(t *testing.T) {
	m := vfs.NewMem()
	var disk vfs.Switch
	opens := 0
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		if op.Kind == vfs.OpOpenReadWrite {
			opens++
		}
		return disk.Inject(op)
	})
	p := mustOpen(t, fsys, Config{MessagesRequiredToSave: 1000})
	defer p.Close()
	mustAppend(t, p, makeBatch(t, 0, 2, 100), 1)
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, p, makeBatch(t, 2, 2, 100), 2)
	mustAppend(t, p, makeBatch(t, 4, 2, 100), 3)
	disk.Set(vfs.OpSync, vfs.ErrInjected)
	if err := p.Sync(); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Sync = %v", err)
	}
	if p.Err() == nil {
		t.Fatal("a partition that cannot sync its recovery reports no error")
	}
	if _, err := p.Append(makeBatch(t, 6, 2, 100), 4); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("append while syncs fail = %v", err)
	}
	before := opens
	disk.Clear()
	r, err := p.Append(makeBatch(t, 2, 2, 100), 5)
	if err != nil || r.BaseOffset != 2 {
		t.Fatalf("append once syncs work: %+v, %v (want base offset 2)", r, err)
	}
	if opens == before {
		t.Fatal("recovery after a failed fsync did not reopen the log")
	}
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, fs := range []vfs.FS{m, m.CrashClone(vfs.CrashOptions{})} {
		q := mustOpen(t, fs, Config{})
		ms := pollAll(t, q)
		q.Close()
		if len(ms) != 4 || ms[3].timestamp != 5 {
			t.Fatalf("%d messages after recovery, want 4 ending with the batch appended at 5", len(ms))
		}
		checkSequence(t, ms, 0, 100)
	}
}

// A roll-over that fails (the index cannot be written, the new log cannot
// be created, the directory cannot be synced) is not acknowledged, and
// the partition goes on once the fault clears; a crash at any point keeps
// what was acknowledged.
func TestRollFailureRecovers(t *testing.T) {
	for _, tc := range []struct {
		name string
		inj  func(op vfs.Op) bool
	}{
		{"index write", func(op vfs.Op) bool {
			return op.Kind == vfs.OpWrite && len(op.Path) > 6 && op.Path[len(op.Path)-6:] == ".index"
		}},
		{"log create", func(op vfs.Op) bool { return op.Kind == vfs.OpCreate && op.Path[len(op.Path)-4:] == ".log" }},
		{"directory sync", func(op vfs.Op) bool { return op.Kind == vfs.OpSyncDir }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := vfs.NewMem()
			faulty := false
			p := mustOpen(t, vfs.WithErrors(m, func(op vfs.Op) error {
				if faulty && tc.inj(op) {
					return vfs.ErrNoSpace
				}
				return nil
			}), Config{SegmentSize: 1500, EnforceFsync: true})
			defer p.Close()
			var next uint64
			for p.Stats().Segments < 2 {
				next += uint64(mustAppend(t, p, makeBatch(t, next, 2, 200), 1).Count)
			}
			// Fill the second segment up to the next roll-over.
			for p.Stats().SizeBytes+uint64(len(makeBatch(t, next, 2, 200))) <= 2*1500 {
				next += uint64(mustAppend(t, p, makeBatch(t, next, 2, 200), 1).Count)
			}
			faulty = true
			if _, err := p.Append(makeBatch(t, next, 2, 200), 2); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("append across a failing roll-over = %v", err)
			}
			faulty = false
			if r := mustAppend(t, p, makeBatch(t, next, 2, 200), 3); r.BaseOffset != next {
				t.Fatalf("append after the fault at %d, want %d", r.BaseOffset, next)
			}
			checkSequence(t, pollAll(t, p), 0, 200)
			q := mustOpen(t, m.CrashClone(vfs.CrashOptions{}), Config{SegmentSize: 1500})
			defer q.Close()
			ms := pollAll(t, q)
			if uint64(len(ms)) != next+2 {
				t.Fatalf("after a crash: %d messages, want %d", len(ms), next+2)
			}
			checkSequence(t, ms, 0, 200)
		})
	}
}

// Issue #15 item 9: Create is atomic. A failure at any file system
// operation of it returns the error and leaves no partition directory and
// no open file, so the server can answer with a status; run once more
// without the fault, it succeeds.
func TestCreateIsAtomic(t *testing.T) {
	for n := 1; ; n++ {
		m := vfs.NewMem()
		// A deleted partition with the same ids left files behind.
		sealedPartition(t, m, testDir, 1, 1)
		lim := vfs.WithOpenLimit(m, 100)
		p, err := Create(vfs.WithErrors(lim, failNth(n)), testDir, 1, Config{})
		if err == nil {
			if n < 5 {
				t.Fatalf("Create succeeded with a fault at operation %d", n)
			}
			if p.NextOffset() != 0 || len(pollAll(t, p)) != 0 {
				t.Fatal("a created partition is not empty")
			}
			p.Close()
			t.Logf("checked faults at each of Create's first %d operations", n-1)
			return
		}
		if !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("fault at operation %d: %v", n, err)
		}
		if _, serr := m.Stat(testDir); serr == nil {
			names, _ := m.List(testDir)
			t.Fatalf("fault at operation %d (%v): the partition directory was left with %v", n, err, names)
		}
		if lim.InUse() != 0 {
			t.Fatalf("fault at operation %d: %d files left open", n, lim.InUse())
		}
	}
}

// failNth fails only the n-th operation of any kind.
func failNth(n int) vfs.Injector {
	seen := 0
	return func(vfs.Op) error {
		if seen++; seen == n {
			return vfs.ErrInjected
		}
		return nil
	}
}
