package metadata

import (
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
)

// BenchmarkApply measures decoding and applying one UpdateUser.
func BenchmarkApply(b *testing.B) {
	s := NewState()
	s.Apply(Encode(CreateUser{Status: UserActive, Username: "root", Password: testHash(b, "pw1")}))
	ops := [][]byte{Encode(UpdateUser{Status: UserInactive}), Encode(UpdateUser{Status: UserActive})}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if r := s.Apply(ops[i&1]); !r.OK() {
			b.Fatal(r.Status)
		}
		i++
	}
}

// BenchmarkPropose measures a durable proposal on the OS file system:
// encode, append, fsync, apply.
func BenchmarkPropose(b *testing.B) {
	s, err := Open(vfs.Default, b.TempDir(), Options{HashParams: TestHashParams})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Propose(CreateUser{Status: UserActive, Username: "root", Password: testHash(b, "pw1")}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		st := UserActive
		if i&1 == 0 {
			st = UserInactive
		}
		if r, err := s.Propose(UpdateUser{Status: st}); err != nil || !r.OK() {
			b.Fatal(fmt.Sprint(r.Status, err))
		}
		i++
	}
}

// replyState is a stream of 8 topics with 16 partitions each, one option
// set, for the reply benchmarks.
func replyState(b *testing.B) *State {
	s := NewState()
	s.ApplyOp(CreateStream{Name: "s"})
	for i := range 8 {
		op := CreateTopic{Stream: num(0), Partitions: 16, Shards: 2, Name: fmt.Sprintf("topic-%d", i),
			Options: TopicOptions{Explicit: 1 << OptEnforceFsync, EnforceFsync: true}}
		if r := s.ApplyOp(op); !r.OK() {
			b.Fatal(r.Status)
		}
	}
	return s
}

// BenchmarkTopicReply renders GetTopic's reply (16 partitions) from the
// state into a reused buffer.
func BenchmarkTopicReply(b *testing.B) {
	s := replyState(b)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendGetTopic(s, buf[:0], num(0), num(3), stats)
	}
}

// BenchmarkStreamReply renders GetStream's reply (8 topic headers).
func BenchmarkStreamReply(b *testing.B) {
	s := replyState(b)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendGetStream(s, buf[:0], num(0), stats)
	}
}
