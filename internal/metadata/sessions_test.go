package metadata

import (
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

func TestSessions(t *testing.T) {
	s := NewState()
	h := testHash(t, "pw1")
	a, b := wire.ClientID{Lo: 1}, wire.ClientID{Lo: 2}
	steps := []struct {
		op    Op
		want  wire.Status
		epoch wire.Epoch
	}{
		{CreateUser{Status: UserActive, Username: "root", Password: h}, wire.StatusOK, 0},
		{CreateUser{Status: UserActive, Username: "alice", Password: h}, wire.StatusOK, 0},
		{Register{Client: a, UserID: 0, Timestamp: 5}, wire.StatusOK, 3}, // the 3rd applied op
		{Register{Client: b, UserID: 1}, wire.StatusOK, 4},
		{Register{Client: a, UserID: 1}, wire.StatusUnauthorized, 0}, // a belongs to root
		{Register{Client: wire.ClientID{}, UserID: 1}, wire.StatusInvalidCommand, 0},
		{Register{Client: wire.ClientID{Lo: 3}, UserID: 9}, wire.StatusResourceNotFound, 0},
		{Register{Client: a, UserID: 0}, wire.StatusOK, 8}, // rebind: a fresh epoch
		{Logout{Client: a, Epoch: 3}, wire.StatusOK, 0},    // stale epoch: no effect
		{Logout{Client: b, Epoch: 4}, wire.StatusOK, 0},
	}
	for i, st := range steps {
		r := s.Apply(Encode(st.op))
		if r.Status != st.want || r.Epoch != st.epoch {
			t.Fatalf("step %d %v: %+v, want status %v epoch %d", i, st.op.Kind(), r, st.want, st.epoch)
		}
	}
	if e, ok := s.Session(a); !ok || e.Epoch != 8 || e.UserID != 0 {
		t.Fatalf("a: %+v %v", e, ok)
	}
	if _, ok := s.Session(b); ok || s.SessionCount() != 1 {
		t.Fatal("b survived its logout")
	}
	// Logging a out at its current epoch ends it.
	if r := s.Apply(Encode(Logout{Client: a, Epoch: 8})); !r.OK() || s.SessionCount() != 0 {
		t.Fatalf("logout: %+v, %d sessions", r, s.SessionCount())
	}
}

func TestSessionsReplay(t *testing.T) {
	m := vfs.NewMem()
	st := openStore(t, m)
	if _, err := st.Propose(CreateUser{Status: UserActive, Username: "root", Password: testHash(t, "pw1")}); err != nil {
		t.Fatal(err)
	}
	r, err := st.Propose(Register{Client: wire.ClientID{Lo: 7, Hi: 1}, UserID: 0, Timestamp: 9})
	if err != nil || r.Epoch != 2 {
		t.Fatalf("register: %+v %v", r, err)
	}
	want := digest(st)
	st.Close()
	st2 := openStore(t, m)
	defer st2.Close()
	if digest(st2) != want {
		t.Fatal("client table differs after replay")
	}
	st2.View(func(s *State) {
		if e, ok := s.Session(wire.ClientID{Lo: 7, Hi: 1}); !ok || e.Epoch != 2 {
			t.Fatalf("replayed session %+v %v", e, ok)
		}
	})
}
