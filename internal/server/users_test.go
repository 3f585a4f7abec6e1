package server

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

func str8(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func changePasswordBody(user wire.Identifier, current, next string) []byte {
	return append(append(user.Append(nil), str8(current)...), str8(next)...)
}

// updateUserBody: name "" and status 0 leave those fields out.
func updateUserBody(user wire.Identifier, name string, status byte) []byte {
	b := user.Append(nil)
	if name != "" {
		b = append(append(b, 1), str8(name)...)
	} else {
		b = append(b, 0)
	}
	if status != 0 {
		return append(b, 1, status)
	}
	return append(b, 0)
}

func permissionsBody(user wire.Identifier, perms []byte) []byte {
	b := append(user.Append(nil), 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(perms)))
	return append(b, perms...)
}

// mustFunc returns a check that fails t on a non-nil error.
func mustFunc(t *testing.T) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func wantStatus(t *testing.T, what string, err error, want wire.Status) {
	t.Helper()
	var se *client.StatusError
	switch {
	case want == wire.StatusOK && err != nil:
		t.Fatalf("%s: %v", what, err)
	case want != wire.StatusOK && (!errors.As(err, &se) || se.Status != want):
		t.Fatalf("%s: got %v, want status %v", what, err, want)
	}
}

func login(t *testing.T, ts *testServer, user, pass string) (*client.Client, error) {
	t.Helper()
	c := ts.dial(client.WithReconnect(false))
	_, err := c.Login(context.Background(), user, pass)
	return c, err
}

// UpdateUser, ChangePassword and UpdatePermissions: who may call them,
// what each checks, and that the changes survive a restart.
func TestUserManagement(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	ctx := context.Background()
	root := ts.dial(client.WithCredentials("iggy", "iggy"))
	req := func(c *client.Client, op wire.Operation, body []byte) error {
		_, err := c.Request(ctx, op, 0, body)
		return err
	}
	wantStatus(t, "create alice", req(root, wire.OpCreateUser, createUserBody("alice", "secret1")), wire.StatusOK)
	wantStatus(t, "create bob", req(root, wire.OpCreateUser, createUserBody("bob", "secret2")), wire.StatusOK)
	alice, err := login(t, ts, "alice", "secret1")
	if err != nil {
		t.Fatal(err)
	}

	// ChangePassword: your own with the current password; someone
	// else's only as root, and root must know the current one too.
	wantStatus(t, "wrong current", req(alice, wire.OpChangePassword, changePasswordBody(wire.NamedID("alice"), "nope", "secret3")), wire.StatusInvalidCredentials)
	wantStatus(t, "bob's password", req(alice, wire.OpChangePassword, changePasswordBody(wire.NamedID("bob"), "secret2", "mine")), wire.StatusUnauthorized)
	wantStatus(t, "too short", req(alice, wire.OpChangePassword, changePasswordBody(wire.NamedID("alice"), "secret1", "")), wire.StatusInvalidPassword)
	wantStatus(t, "unknown user", req(root, wire.OpChangePassword, changePasswordBody(wire.NamedID("carol"), "x", "secret9")), wire.StatusResourceNotFound)
	wantStatus(t, "truncated", req(alice, wire.OpChangePassword, wire.NamedID("alice").Append(nil)), wire.StatusInvalidCommand)
	wantStatus(t, "own password", req(alice, wire.OpChangePassword, changePasswordBody(wire.NamedID("alice"), "secret1", "secret3")), wire.StatusOK)
	wantStatus(t, "root, wrong current", req(root, wire.OpChangePassword, changePasswordBody(wire.NamedID("bob"), "bad", "secret4")), wire.StatusInvalidCredentials)
	wantStatus(t, "root changes bob's", req(root, wire.OpChangePassword, changePasswordBody(wire.NumericID(2), "secret2", "secret4")), wire.StatusOK)
	if _, err := login(t, ts, "alice", "secret1"); err == nil {
		t.Fatal("alice's old password still works")
	}

	// UpdateUser: root only; a taken name, an unknown user, an option key
	// and a bad presence flag are refused; then a rename and a status.
	wantStatus(t, "alice renames", req(alice, wire.OpUpdateUser, updateUserBody(wire.NamedID("alice"), "queen", 0)), wire.StatusUnauthorized)
	wantStatus(t, "taken name", req(root, wire.OpUpdateUser, updateUserBody(wire.NamedID("alice"), "bob", 0)), wire.StatusUserAlreadyExists)
	wantStatus(t, "unknown user", req(root, wire.OpUpdateUser, updateUserBody(wire.NamedID("carol"), "dave", 0)), wire.StatusResourceNotFound)
	withOption := append(updateUserBody(wire.NamedID("alice"), "", 0), 2, 1, 0, 0, 0, 'k', 2, 1, 0, 0, 0, 'v')
	wantStatus(t, "option key", req(root, wire.OpUpdateUser, withOption), wire.StatusUnsupportedOptionKey)
	badFlag := append(wire.NamedID("alice").Append(nil), 2, 0)
	wantStatus(t, "bad flag", req(root, wire.OpUpdateUser, badFlag), wire.StatusInvalidCommand)
	wantStatus(t, "bad status", req(root, wire.OpUpdateUser, updateUserBody(wire.NamedID("alice"), "", 9)), wire.StatusInvalidUserStatus)
	wantStatus(t, "rename", req(root, wire.OpUpdateUser, updateUserBody(wire.NamedID("alice"), "alicia", 0)), wire.StatusOK)
	wantStatus(t, "deactivate bob", req(root, wire.OpUpdateUser, updateUserBody(wire.NamedID("bob"), "", 2)), wire.StatusOK)
	var ee *client.EvictionError
	if _, err := login(t, ts, "bob", "secret4"); !errors.As(err, &ee) || ee.Reason != wire.EvictUserInactive {
		t.Fatalf("inactive bob logs in: %v", err)
	}

	// UpdatePermissions: root only, never root's own; GetUser shows them.
	perms := []byte{1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	wantStatus(t, "alice grants", req(alice, wire.OpUpdatePermissions, permissionsBody(wire.NamedID("alicia"), perms)), wire.StatusUnauthorized)
	wantStatus(t, "root's", req(root, wire.OpUpdatePermissions, permissionsBody(wire.NumericID(0), perms)), wire.StatusCannotChangePermissions)
	wantStatus(t, "alicia's", req(root, wire.OpUpdatePermissions, permissionsBody(wire.NamedID("alicia"), perms)), wire.StatusOK)
	details, err := root.Request(ctx, wire.OpNonReplicated, client.CodeUser, wire.NamedID("alicia").Append(nil))
	if err != nil {
		t.Fatal(err)
	}
	if tail := details[len(details)-len(perms)-5:]; tail[0] != 1 || string(tail[5:]) != string(perms) {
		t.Fatalf("GetUser: permissions not returned: %x", details)
	}

	// Everything above was journaled: a restart keeps it.
	ts.stop()
	ts2 := startServer(t, dir)
	if _, err := login(t, ts2, "alicia", "secret3"); err != nil {
		t.Fatalf("alicia after restart: %v", err)
	}
	if _, err := login(t, ts2, "alice", "secret3"); err == nil {
		t.Fatal("the old name logs in after restart")
	}
}
