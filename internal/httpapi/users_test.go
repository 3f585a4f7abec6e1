package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

type userDetails struct {
	ID          uint32 `json:"id"`
	Username    string `json:"username"`
	Status      string `json:"status"`
	Permissions *struct {
		Global  map[string]bool `json:"global"`
		Streams map[string]struct {
			ReadStream bool `json:"read_stream"`
			Topics     map[string]struct {
				PollMessages bool `json:"poll_messages"`
			} `json:"topics"`
		} `json:"streams"`
	} `json:"permissions"`
}

// TestUsers: every user route, with its refusals.
func TestUsers(t *testing.T) {
	e := start(t)
	perms := map[string]any{
		"global":  map[string]bool{"read_streams": true},
		"streams": map[string]any{"7": map[string]any{"read_stream": true, "topics": map[string]any{"2": map[string]bool{"poll_messages": true}}}},
	}
	var u userDetails
	e.must(http.StatusOK, "POST", "/users", e.root, map[string]any{"username": "bob", "password": "bob-pass", "status": "active",
		"permissions": perms}).json(t, &u)
	if u.Username != "bob" || u.Status != "active" || u.Permissions == nil || !u.Permissions.Global["read_streams"] ||
		!u.Permissions.Streams["7"].ReadStream || !u.Permissions.Streams["7"].Topics["2"].PollMessages {
		t.Fatalf("created %+v", u)
	}
	e.refused(http.StatusBadRequest, uint32(wire.StatusUserAlreadyExists), "POST", "/users", e.root,
		map[string]any{"username": "bob", "password": "bob-pass"})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidPassword), "POST", "/users", e.root,
		map[string]any{"username": "carol", "password": "x"})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidUserStatus), "POST", "/users", e.root,
		map[string]any{"username": "carol", "password": "carol-pass", "status": "sleepy"})

	var list []struct {
		ID       uint32 `json:"id"`
		Username string `json:"username"`
	}
	e.must(http.StatusOK, "GET", "/users", e.root, nil).json(t, &list)
	if len(list) != 2 || list[1].Username != "bob" {
		t.Fatalf("users %+v", list)
	}
	var got userDetails
	e.must(http.StatusOK, "GET", "/users/bob", e.root, nil).json(t, &got)
	if got.ID != u.ID {
		t.Fatalf("by name: %+v", got)
	}
	e.must(http.StatusOK, "GET", "/users/"+itoa(u.ID), e.root, nil)
	e.refused(http.StatusNotFound, 404, "GET", "/users/nobody", e.root, nil)

	// bob may read himself, not others, and manage no one.
	bob := e.login("bob", "bob-pass")
	e.must(http.StatusOK, "GET", "/users/bob", bob, nil)
	e.refused(http.StatusForbidden, uint32(wire.StatusUnauthorized), "GET", "/users/0", bob, nil)
	e.refused(http.StatusForbidden, uint32(wire.StatusUnauthorized), "GET", "/users", bob, nil)
	e.refused(http.StatusForbidden, uint32(wire.StatusUnauthorized), "POST", "/users", bob, map[string]any{"username": "eve", "password": "eve-pass"})
	e.refused(http.StatusForbidden, uint32(wire.StatusUnauthorized), "DELETE", "/users/0", bob, nil)

	// Password: his own, with the current one.
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCredentials), "PUT", "/users/bob/password", bob,
		map[string]string{"current_password": "wrong", "new_password": "bob-pass-2"})
	e.must(http.StatusNoContent, "PUT", "/users/bob/password", bob, map[string]string{"current_password": "bob-pass", "new_password": "bob-pass-2"})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCredentials), "POST", "/users/login", "",
		map[string]string{"username": "bob", "password": "bob-pass"})
	bob = e.login("bob", "bob-pass-2")

	// Update, permissions, delete.
	e.must(http.StatusNoContent, "PUT", "/users/bob", e.root, map[string]string{"username": "robert", "status": "inactive"})
	e.must(http.StatusOK, "GET", "/users/robert", e.root, nil).json(t, &got)
	if got.Status != "inactive" {
		t.Fatalf("updated %+v", got)
	}
	e.refused(http.StatusBadRequest, uint32(wire.StatusUserInactive), "POST", "/users/login", "",
		map[string]string{"username": "robert", "password": "bob-pass-2"})
	e.refused(http.StatusNotFound, uint32(wire.StatusResourceNotFound), "PUT", "/users/nobody", e.root, map[string]string{"username": "x1y"})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidUserStatus), "PUT", "/users/robert", e.root, map[string]string{"status": "gone"})
	e.must(http.StatusNoContent, "PUT", "/users/robert/permissions", e.root, map[string]any{"permissions": nil})
	e.must(http.StatusOK, "GET", "/users/robert", e.root, nil).json(t, &got)
	if got.Permissions != nil {
		t.Fatalf("permissions not cleared: %+v", got.Permissions)
	}
	e.refused(http.StatusForbidden, uint32(wire.StatusUnauthorized), "PUT", "/users/robert/permissions", bob, map[string]any{"permissions": perms})
	e.must(http.StatusNoContent, "DELETE", "/users/robert", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusResourceNotFound), "DELETE", "/users/robert", e.root, nil)
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "PUT", "/users/0/password", e.root, "[")
}
