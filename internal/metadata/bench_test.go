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
