package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

func TestErrorBody(t *testing.T) {
	for _, c := range []struct {
		st    wire.Status
		code  int
		name  string
		field string
	}{
		{wire.StatusStreamIdNotFound, 404, "stream_id_not_found", "stream_id"},
		{wire.StatusUnauthorized, 403, "unauthorized", ""},
		{wire.StatusInvalidPersonalAccessToken, 401, "invalid_personal_access_token", ""},
		{wire.StatusTransientNotAccepted, 503, "transient_not_accepted", ""},
		{wire.StatusTopicNameAlreadyExists, 400, "topic_name_already_exists", "name"},
		{wire.StatusCannotGenerateJwt, 400, "cannot_generate_jwt", ""},
	} {
		b := bodyOf(c.st)
		field := ""
		if b.Field != nil {
			field = *b.Field
		}
		if httpStatus(c.st) != c.code || b.Code != c.name || b.ID != uint32(c.st) || field != c.field || b.Reason == "" {
			t.Errorf("%v: %d %+v (field %q)", c.st, httpStatus(c.st), b, field)
		}
	}
}

// TestNotPrimary: the hook for clusters. A refusal the NotPrimary hook
// recognises is redirected (307, same path and query) to the primary when
// it is known, and answered 503 with Retry-After when it is not; other
// refusals are not affected.
func TestNotPrimary(t *testing.T) {
	const notPrimary = wire.StatusTransientNotCommitted // stands in for the lead's "not primary" code
	a := testAPI(t)
	primary, known := "http://10.0.0.2:3000", true
	a.cfg.NotPrimary = func(st wire.Status) bool { return st == notPrimary }
	a.cfg.Primary = func() (string, bool) { return primary, known }
	req := httptest.NewRequest("POST", "/streams/s/topics/t/messages?x=1", nil)

	w := httptest.NewRecorder()
	a.fail(w, req, notPrimary)
	if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != "http://10.0.0.2:3000/streams/s/topics/t/messages?x=1" {
		t.Fatalf("known primary: %d %v", w.Code, w.Header())
	}
	known = false
	w = httptest.NewRecorder()
	a.fail(w, req, notPrimary)
	var b errorBody
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || json.Unmarshal(w.Body.Bytes(), &b) != nil || b.ID != uint32(notPrimary) {
		t.Fatalf("unknown primary: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	a.fail(w, req, wire.StatusUnauthorized)
	if w.Code != http.StatusForbidden {
		t.Fatalf("another refusal: %d", w.Code)
	}
}

// TestRevocationBounded: the revocation set holds at most max unexpired
// tokens; expired ones make room, and a full set refuses (the logout is
// retried) rather than forget a revocation.
func TestRevocationBounded(t *testing.T) {
	a := testAPI(t)
	tk := a.tokens
	tk.max = 2
	ids := make([]identity, 3)
	for i := range ids {
		g, err := tk.generate(1)
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if ids[i], ok = tk.verify(g.token); !ok {
			t.Fatal("a fresh token does not verify")
		}
	}
	for _, id := range ids[:2] {
		if ok, err := tk.revoke(id); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if _, err := tk.revoke(ids[2]); err != errRevokedFull {
		t.Fatalf("third revocation in a set of 2: %v", err)
	}
	ids[0].expiry = ids[0].expiry.Add(-365 * 24 * time.Hour) // long expired
	tk.mu.Lock()
	tk.revoked[ids[0].id] = ids[0].expiry
	tk.mu.Unlock()
	if ok, err := tk.revoke(ids[2]); !ok || err != nil {
		t.Fatalf("revocation after an expired one made room: %v %v", ok, err)
	}
}
