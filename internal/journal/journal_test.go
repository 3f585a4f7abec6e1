package journal

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
)

const testPath = "data/meta/journal.log"

// openAll opens the journal and collects the replayed records.
func openAll(t testing.TB, fsys vfs.FS) (*Journal, [][]byte, error) {
	t.Helper()
	var recs [][]byte
	j, err := Open(fsys, testPath, Options{MaxRecordSize: 1 << 20}, func(i uint64, p []byte) error {
		if i != uint64(len(recs)) {
			return fmt.Errorf("replay index %d, want %d", i, len(recs))
		}
		recs = append(recs, bytes.Clone(p))
		return nil
	})
	return j, recs, err
}

func mustOpen(t testing.TB, fsys vfs.FS) (*Journal, [][]byte) {
	t.Helper()
	j, recs, err := openAll(t, fsys)
	if err != nil {
		t.Fatal(err)
	}
	return j, recs
}

func payload(i int, n int) []byte {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte(i*31 + k)
	}
	return b
}

// rewrite replaces the journal file's bytes durably.
func rewrite(t *testing.T, m *vfs.MemFS, edit func([]byte) []byte) {
	t.Helper()
	b, err := vfs.ReadFile(m, testPath)
	if err != nil {
		t.Fatal(err)
	}
	b = edit(b)
	f, err := m.Create(testPath)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b)
	f.Sync()
	f.Close()
}

func TestAppendReplayRead(t *testing.T) {
	m := vfs.NewMem()
	j, recs := mustOpen(t, m)
	if len(recs) != 0 || !j.Recovery().Created {
		t.Fatalf("new journal: %d records, %+v", len(recs), j.Recovery())
	}
	var want [][]byte
	for i := range 20 {
		p := payload(i, i*37%300)
		idx, err := j.Append(p)
		if err != nil || idx != uint64(i) {
			t.Fatalf("Append = %d, %v", idx, err)
		}
		want = append(want, p)
	}
	if j.Synced() != 0 || j.Len() != 20 {
		t.Fatalf("Synced %d Len %d", j.Synced(), j.Len())
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	for i, p := range want {
		got, err := j.Read(uint64(i))
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("Read(%d) = %x, %v", i, got, err)
		}
	}
	if _, err := j.Read(20); !errors.Is(err, ErrIndex) {
		t.Fatalf("Read past end = %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}

	j, recs = mustOpen(t, m.CrashClone(vfs.CrashOptions{}))
	defer j.Close()
	if len(recs) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		if !bytes.Equal(recs[i], want[i]) {
			t.Fatalf("record %d differs", i)
		}
	}
	if rec := j.Recovery(); rec.Created || rec.Records != 20 || rec.TornBytes != 0 {
		t.Fatalf("Recovery = %+v", rec)
	}
	if _, err := j.Append(make([]byte, 1<<20+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized Append = %v", err)
	}
	if j.Err() != nil {
		t.Fatal("ErrTooLarge poisoned the journal")
	}
}

func TestTruncate(t *testing.T) {
	m := vfs.NewMem()
	j, _ := mustOpen(t, m)
	for i := range 5 {
		j.Append(payload(i, 10))
	}
	j.Sync()
	if err := j.Truncate(2); err != nil {
		t.Fatal(err)
	}
	if err := j.Truncate(3); !errors.Is(err, ErrIndex) {
		t.Fatalf("Truncate beyond Len = %v", err)
	}
	j.Append(payload(9, 10))
	j.Sync()
	j.Close()
	_, recs := mustOpen(t, m.CrashClone(vfs.CrashOptions{}))
	if len(recs) != 3 || !bytes.Equal(recs[2], payload(9, 10)) || !bytes.Equal(recs[1], payload(1, 10)) {
		t.Fatalf("after Truncate: %d records", len(recs))
	}
}

func TestTornTailIsTruncated(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
		torn int64
	}{
		{"partial header", func(b []byte) []byte { return append(b, 1, 2, 3) }, 3},
		{"partial payload", func(b []byte) []byte { return b[:len(b)-5] }, 7 + RecordOverhead},
		{"flipped last payload byte", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, 12 + RecordOverhead},
		{"zero fill", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, 4096},
		{"huge length", func(b []byte) []byte {
			return append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f)
		}, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := vfs.NewMem()
			j, _ := mustOpen(t, m)
			for i := range 4 {
				j.Append(payload(i, 12))
			}
			j.Sync()
			j.Close()
			rewrite(t, m, tc.edit)
			j, recs := mustOpen(t, m)
			want := 4
			if tc.name == "partial payload" || tc.name == "flipped last payload byte" {
				want = 3
			}
			if len(recs) != want || j.Recovery().TornBytes != tc.torn {
				t.Fatalf("replayed %d (want %d), recovery %+v (want torn %d)", len(recs), want, j.Recovery(), tc.torn)
			}
			// The truncation is durable and appends continue cleanly.
			j.Append(payload(7, 3))
			j.Sync()
			j.Close()
			_, recs = mustOpen(t, m.CrashClone(vfs.CrashOptions{}))
			if len(recs) != want+1 || !bytes.Equal(recs[want], payload(7, 3)) {
				t.Fatalf("after append: %d records", len(recs))
			}
		})
	}
}

func TestInteriorCorruption(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"payload bit flip", func(b []byte) []byte { b[FileHeaderSize+RecordOverhead+3] ^= 0x10; return b }},
		{"length bit flip", func(b []byte) []byte { b[FileHeaderSize+8] ^= 0x40; return b }},
		{"checksum bit flip", func(b []byte) []byte { b[FileHeaderSize+30] ^= 1; return b }},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"bad version", func(b []byte) []byte { b[8] = 2; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := vfs.NewMem()
			j, _ := mustOpen(t, m)
			for i := range 4 {
				j.Append(payload(i, 16))
			}
			j.Sync()
			j.Close()
			rewrite(t, m, tc.edit)
			before, _ := vfs.ReadFile(m, testPath)
			_, _, err := openAll(t, m)
			if !IsCorrupt(err) {
				t.Fatalf("Open = %v, want a corruption error", err)
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Path != testPath {
				t.Fatalf("error %v is not a *CorruptError for %s", err, testPath)
			}
			after, _ := vfs.ReadFile(m, testPath)
			if !bytes.Equal(before, after) {
				t.Fatal("Open modified a corrupt journal")
			}
		})
	}
}

func TestReplayErrorAborts(t *testing.T) {
	m := vfs.NewMem()
	j, _ := mustOpen(t, m)
	j.Append([]byte("x"))
	j.Sync()
	j.Close()
	boom := errors.New("boom")
	if _, err := Open(m, testPath, Options{}, func(uint64, []byte) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Open = %v", err)
	}
}

// Issue #15 item 9 (ENOSPC): a write that fails on a full disk leaves the
// journal usable. The failed record is not appended (its torn prefix is
// truncated away and the truncation synced), every later Append fails
// while the disk stays full, and the first Append after space returns
// succeeds, with nothing of the failed attempts in the file.
func TestRecoversOnceSpaceReturns(t *testing.T) {
	m := vfs.NewMem()
	var disk vfs.Switch
	j, _ := mustOpen(t, vfs.WithErrors(m, disk.Inject))
	defer j.Close()
	appendSync := func(i int) error {
		if _, err := j.Append(payload(i, 20)); err != nil {
			return err
		}
		return j.Sync()
	}
	if err := appendSync(0); err != nil {
		t.Fatal(err)
	}
	size := j.Size()
	disk.Set(vfs.OpWrite, vfs.TornWrite{Keep: 7, Err: vfs.ErrNoSpace})
	for i := range 3 {
		if err := appendSync(1); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append %d on a full disk = %v, want ENOSPC", i, err)
		}
		if j.Len() != 1 || j.Size() != size || j.Err() != nil {
			t.Fatalf("after a failed append: len %d, size %d (want %d), err %v", j.Len(), j.Size(), size, j.Err())
		}
		if fi, _ := m.Stat(testPath); fi.Size() != size {
			t.Fatalf("file holds %d bytes, want %d: the torn prefix stayed", fi.Size(), size)
		}
	}
	disk.Clear()
	if err := appendSync(2); err != nil {
		t.Fatalf("append once space returned: %v", err)
	}
	if got, err := j.Read(1); err != nil || !bytes.Equal(got, payload(2, 20)) {
		t.Fatalf("Read(1) = %x, %v", got, err)
	}
	_, recs := mustOpen(t, m.CrashClone(vfs.CrashOptions{}))
	if len(recs) != 2 || !bytes.Equal(recs[1], payload(2, 20)) {
		t.Fatalf("after a crash: %d records", len(recs))
	}
}

// After a failed fsync the records written since the last good one are of
// unknown state (fsyncgate): the journal discards them, through a freshly
// opened file, and stays failed while it cannot sync that truncation. It
// serves again once syncs work, without ever treating the discarded
// records as durable.
func TestSyncFailureDiscardsUnsynced(t *testing.T) {
	m := vfs.NewMem()
	var disk vfs.Switch
	var opens int
	fsys := vfs.WithErrors(m, func(op vfs.Op) error {
		if op.Kind == vfs.OpOpenReadWrite {
			opens++
		}
		return disk.Inject(op)
	})
	j, _ := mustOpen(t, fsys)
	defer j.Close()
	j.Append(payload(0, 20))
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	size := j.Size()
	j.Append(payload(1, 20))
	j.Append(payload(2, 20))
	disk.Set(vfs.OpSync, vfs.ErrInjected)
	if err := j.Sync(); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Sync = %v", err)
	}
	if j.Err() == nil {
		t.Fatal("a journal that cannot sync its recovery reports no error")
	}
	if _, err := j.Append(payload(3, 20)); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Append while syncs fail = %v", err)
	}
	opensBefore := opens
	disk.Clear()
	if _, err := j.Append(payload(4, 20)); err != nil {
		t.Fatalf("Append once syncs work: %v", err)
	}
	if opens == opensBefore {
		t.Fatal("recovery after a failed fsync did not reopen the file")
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	if j.Len() != 2 || j.Synced() != 2 || j.Size() != size+RecordOverhead+20 || j.Err() != nil {
		t.Fatalf("len %d synced %d size %d err %v", j.Len(), j.Synced(), j.Size(), j.Err())
	}
	for _, fs := range []vfs.FS{m, m.CrashClone(vfs.CrashOptions{})} {
		_, recs := mustOpen(t, fs)
		if len(recs) != 2 || !bytes.Equal(recs[0], payload(0, 20)) || !bytes.Equal(recs[1], payload(4, 20)) {
			t.Fatalf("%d records after recovery, want records 0 and 4", len(recs))
		}
	}
}

// A failed Truncate (VSR discarding a suffix) is finished by the recovery.
func TestTruncateFailureRecovers(t *testing.T) {
	m := vfs.NewMem()
	j, _ := mustOpen(t, vfs.WithErrors(m, vfs.OnNth(vfs.OpSync, 3, vfs.ErrInjected)))
	defer j.Close()
	for i := range 4 {
		j.Append(payload(i, 10))
	}
	if err := j.Sync(); err != nil { // sync 2 (sync 1 created the file)
		t.Fatal(err)
	}
	if err := j.Truncate(1); !errors.Is(err, vfs.ErrInjected) { // sync 3 fails
		t.Fatalf("Truncate = %v", err)
	}
	if _, err := j.Append(payload(9, 10)); err != nil {
		t.Fatal(err)
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	_, recs := mustOpen(t, m.CrashClone(vfs.CrashOptions{}))
	if len(recs) != 2 || !bytes.Equal(recs[1], payload(9, 10)) {
		t.Fatalf("%d records after a failed truncate", len(recs))
	}
}
