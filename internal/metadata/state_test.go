package metadata

import (
	"reflect"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// checkInvariants verifies State's numbered invariants.
func checkInvariants(t *testing.T, s *State) {
	t.Helper()
	if len(s.byName) != len(s.users) {
		t.Fatalf("byName has %d entries, users %d", len(s.byName), len(s.users))
	}
	for id, u := range s.users {
		if u.ID != id || s.byName[u.Username] != id {
			t.Fatalf("user %d (%q) not indexed", id, u.Username)
		}
		if id >= s.nextUserID {
			t.Fatalf("user id %d >= nextUserID %d", id, s.nextUserID)
		}
	}
}

func TestApplyUsers(t *testing.T) {
	s := NewState()
	h := testHash(t, "pw1")
	steps := []struct {
		op   Op
		want wire.Status
		id   uint32
	}{
		{CreateUser{Timestamp: 10, Status: UserActive, Username: "root", Password: h}, wire.StatusOK, RootUserID},
		{CreateUser{Timestamp: 11, Status: UserActive, Username: "alice", Password: h}, wire.StatusOK, 1},
		{CreateUser{Status: UserActive, Username: "alice", Password: h}, wire.StatusUserAlreadyExists, 0},
		{CreateUser{Status: UserActive, Username: "al", Password: h}, wire.StatusInvalidUsername, 0},
		{CreateUser{Status: UserActive, Username: "with space", Password: h}, wire.StatusInvalidUsername, 0},
		{CreateUser{Status: 9, Username: "bob", Password: h}, wire.StatusInvalidUserStatus, 0},
		{UpdateUser{UserID: 1, Username: "root"}, wire.StatusUserAlreadyExists, 0},
		{UpdateUser{UserID: 1, Username: "alice"}, wire.StatusOK, 0}, // renaming to itself is fine
		{UpdateUser{UserID: 1, Username: "alicia", Status: UserInactive}, wire.StatusOK, 0},
		{UpdateUser{UserID: 1, Status: 7}, wire.StatusInvalidUserStatus, 0},
		{UpdateUser{UserID: 42, Status: UserActive}, wire.StatusResourceNotFound, 0},
		{ChangePassword{UserID: 1, Password: testHash(t, "pw2")}, wire.StatusOK, 0},
		{ChangePassword{UserID: 42, Password: h}, wire.StatusResourceNotFound, 0},
		{UpdatePermissions{UserID: 1, Permissions: []byte{1}}, wire.StatusOK, 0},
		{UpdatePermissions{UserID: 42}, wire.StatusResourceNotFound, 0},
		{DeleteUser{UserID: RootUserID}, wire.StatusCannotDeleteUser, 0},
		{DeleteUser{UserID: 1}, wire.StatusOK, 0},
		{DeleteUser{UserID: 1}, wire.StatusResourceNotFound, 0},
		{CreateUser{Timestamp: 12, Status: UserActive, Username: "alicia", Password: h}, wire.StatusOK, 2}, // ids are not reused
	}
	for i, st := range steps {
		before := s.Digest()
		if r := s.Check(st.op); r.Status != st.want {
			t.Fatalf("step %d %v: Check = %v, want %v", i, st.op.Kind(), r.Status, st.want)
		}
		if s.Digest() != before {
			t.Fatalf("step %d: Check changed the state", i)
		}
		r := s.Apply(Encode(st.op))
		if r.Status != st.want || r.UserID != st.id {
			t.Fatalf("step %d %v: Apply = %+v, want %v id %d", i, st.op.Kind(), r, st.want, st.id)
		}
		checkInvariants(t, s)
	}
	if s.Applied() != uint64(len(steps)) {
		t.Fatalf("Applied = %d", s.Applied())
	}
	users := s.Users()
	if len(users) != 2 || users[0].Username != "root" || users[1].ID != 2 || users[1].CreatedAt != 12 {
		t.Fatalf("Users = %+v", users)
	}
	if _, ok := s.UserByName("alice"); ok {
		t.Fatal("old name still resolves")
	}
	// Copies returned to callers do not alias the state.
	u, _ := s.User(RootUserID)
	u.Password.Key[0] ^= 0xff
	if again, _ := s.User(RootUserID); again.Password.Key[0] == u.Password.Key[0] {
		t.Fatal("User returned aliased bytes")
	}
}

func TestApplyRejectsBadBytes(t *testing.T) {
	s := NewState()
	for b, want := range map[string]wire.Status{
		"":         wire.StatusInvalidCommand,
		"\x02\x8d": wire.StatusInvalidCommand,
		string([]byte{1, byte(KindStoreConsumerOffset)}): wire.StatusFeatureUnavailable,
		string([]byte{1, byte(KindDeleteUser), 0}):       wire.StatusInvalidCommand,
	} {
		if r := s.Apply([]byte(b)); r.Status != want {
			t.Errorf("Apply(% x) = %v, want %v", b, r.Status, want)
		}
	}
	if s.UserCount() != 0 || s.Applied() != 4 {
		t.Fatalf("rejected ops changed the state: %d users, %d applied", s.UserCount(), s.Applied())
	}
}

// TestApplyDeterministic: two states fed the same bytes agree exactly.
func TestApplyDeterministic(t *testing.T) {
	a, b := NewState(), NewState()
	for _, op := range sampleOps(t) {
		enc := Encode(op)
		ra, rb := a.Apply(enc), b.Apply(enc)
		if !reflect.DeepEqual(ra, rb) || a.Digest() != b.Digest() {
			t.Fatalf("%v: results %+v / %+v", op.Kind(), ra, rb)
		}
	}
	if a.Digest() == NewState().Digest() {
		t.Fatal("Digest ignores the users")
	}
}
