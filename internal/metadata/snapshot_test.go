package metadata

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

var updateSnapshot = flag.Bool("update-snapshot", false, "rewrite testdata/snapshot.golden")

// snapshotTrace is cowTrace with a deterministic password salt, so the
// snapshot bytes are the same on every run.
func snapshotTrace(t *testing.T) []Op {
	ops := cowTrace(t)
	h := testHash(t, "secret-1")
	for i, o := range ops {
		switch o := o.(type) {
		case CreateUser:
			o.Password = h
			ops[i] = o
		case ChangePassword:
			o.Password = h
			ops[i] = o
		}
	}
	return ops
}

// TestSnapshotRoundTrip snapshots the state after every prefix of a trace
// that uses every operation kind, and checks that the decoded state has
// the same digest, encodes to the same bytes, and keeps applying the rest
// of the trace exactly as the original does.
func TestSnapshotRoundTrip(t *testing.T) {
	ops := snapshotTrace(t)
	s := NewState()
	for i := range ops {
		b := s.AppendSnapshot(nil)
		d, err := DecodeSnapshot(b)
		if err != nil {
			t.Fatalf("after %d ops: %v", i, err)
		}
		if d.Digest() != s.Digest() || d.CommitOp() != s.CommitOp() {
			t.Fatalf("after %d ops: decoded digest differs", i)
		}
		if !bytes.Equal(d.AppendSnapshot(nil), b) {
			t.Fatalf("after %d ops: re-encoding differs", i)
		}
		checkInvariants(t, d)
		// The restored state must behave like the original from here on.
		for _, o := range ops[i:] {
			if a, b := s.Clone().ApplyOp(o), d.Clone().ApplyOp(o); a.Status != b.Status {
				t.Fatalf("after %d ops: %v gives %v on the original, %v restored", i, o.Kind(), a.Status, b.Status)
			}
		}
		s.at = uint64(i + 1)
		s.Apply(Encode(ops[i]))
	}
}

// TestSnapshotGolden pins the encoding: a state with users, a token,
// sessions, a stream, a topic with options and partitions, and a group
// with members (cowTrace up to the second Join).
func TestSnapshotGolden(t *testing.T) {
	ops := snapshotTrace(t)
	s := NewState()
	for i, o := range ops[:19] {
		s.at = uint64(i + 1)
		if r := s.Apply(Encode(o)); !r.OK() {
			t.Fatalf("op %d %v: %v", i, o.Kind(), r.Status)
		}
	}
	got := hex.EncodeToString(s.AppendSnapshot(nil))
	const path = "testdata/snapshot.golden"
	if *updateSnapshot {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-snapshot to create it)", err)
	}
	if strings.TrimSpace(string(want)) != got {
		t.Fatalf("snapshot encoding changed:\n got %s\nwant %s", got, want)
	}
	if s.SessionCount() != 2 || s.StreamCount() != 1 || len(s.Tokens(1)) != 1 {
		t.Fatalf("golden state lacks parts: sessions %d streams %d", s.SessionCount(), s.StreamCount())
	}
}

// TestSnapshotRejects checks that damaged snapshots are refused, never
// panic, and never allocate beyond their size (counts are checked
// against the remaining bytes).
func TestSnapshotRejects(t *testing.T) {
	s := NewState()
	for i, o := range snapshotTrace(t)[:19] {
		s.at = uint64(i + 1)
		s.Apply(Encode(o))
	}
	b := s.AppendSnapshot(nil)
	for n := range len(b) {
		if _, err := DecodeSnapshot(b[:n]); !errors.Is(err, ErrSnapshot) {
			t.Fatalf("prefix of %d bytes: %v", n, err)
		}
	}
	if _, err := DecodeSnapshot(append(b, 0)); !errors.Is(err, ErrSnapshot) {
		t.Fatalf("trailing byte: %v", err)
	}
	huge := append([]byte(nil), b[:len(SnapshotMagic)+4+20]...)
	huge = append(huge, 0xff, 0xff, 0xff, 0x7f)
	if _, err := DecodeSnapshot(huge); !errors.Is(err, ErrSnapshot) {
		t.Fatalf("huge count: %v", err)
	}
	for i := range len(b) {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		DecodeSnapshot(c) // must not panic
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(NewState().AppendSnapshot(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSnapshot(b)
		if err != nil {
			return
		}
		if _, err := DecodeSnapshot(s.AppendSnapshot(nil)); err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
	})
}

// snapshotState is a state of 100 users, 1,000 sessions and the reply
// benchmarks' stream (8 topics of 16 partitions).
func snapshotState(b *testing.B) *State {
	s := replyState(b)
	h := testHash(b, "pw1")
	for i := range 100 {
		s.ApplyOp(CreateUser{Status: UserActive, Username: fmt.Sprintf("user-%d", i), Password: h})
	}
	for i := range 1000 {
		s.ApplyOp(Register{Client: wire.ClientID{Lo: uint64(i) + 1}, UserID: uint32(i % 100)})
	}
	return s
}

// BenchmarkAppendSnapshot measures encoding a checkpoint's metadata
// snapshot (once per checkpoint interval on every replica).
func BenchmarkAppendSnapshot(b *testing.B) {
	s := snapshotState(b)
	buf := s.AppendSnapshot(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendSnapshot(buf[:0])
	}
}

// BenchmarkDecodeSnapshot measures restoring one (restart, state transfer).
func BenchmarkDecodeSnapshot(b *testing.B) {
	buf := snapshotState(b).AppendSnapshot(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeSnapshot(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTransitionEffects: from a state with topics a (3 partitions), b and
// c to one where b is gone, c was deleted and created again, a lost its
// last partition and d is new: b, c and a's partition 2 are dropped, then
// c and d are created.
func TestTransitionEffects(t *testing.T) {
	from := NewState()
	from.ApplyOp(CreateStream{Timestamp: 1, Name: "s"})
	for i, name := range []string{"a", "b", "c"} {
		from.ApplyOp(CreateTopic{Timestamp: uint64(10 + i), Stream: num(0), Partitions: 3, Shards: 1, Name: name})
	}
	to := from.Clone()
	for _, o := range []Op{
		DeleteTopic{Stream: num(0), Topic: named("b")},
		DeleteTopic{Stream: num(0), Topic: named("c")},
		CreateTopic{Timestamp: 20, Stream: num(0), Partitions: 2, Shards: 1, Name: "c"},
		DeletePartitions{Stream: num(0), Topic: named("a"), Count: 1},
		CreateTopic{Timestamp: 21, Stream: num(0), Partitions: 1, Shards: 1, Name: "d"},
	} {
		if r := to.ApplyOp(o); !r.OK() {
			t.Fatalf("%v: %v", o.Kind(), r.Status)
		}
	}
	var got []string
	for _, e := range TransitionEffects(from, to) {
		got = append(got, fmt.Sprintf("%v %s from %d", e.Kind, e.Topic.Name, e.From))
	}
	want := "[drop-partitions a from 2 drop-partitions b from 0 drop-partitions c from 0 create-partitions c from 0 create-partitions d from 0]"
	if fmt.Sprint(got) != want {
		t.Fatalf("effects %v\nwant %s", got, want)
	}
	if e := TransitionEffects(to, to); len(e) != 0 {
		t.Fatalf("no change gave %v", e)
	}
}
