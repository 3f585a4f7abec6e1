package httpapi_test

import (
	"crypto/tls"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/server"
	"github.com/shoal-io/shoal/internal/wire"
)

// clock is a settable server clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func withClock(c *clock) func(*server.Options, tls.Certificate) {
	c.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return func(o *server.Options, _ tls.Certificate) { o.Now = c.now }
}

// TestTokens: login, the bearer check, refresh once, logout, expiry, and
// personal access tokens with their login.
func TestTokens(t *testing.T) {
	var clk clock
	e := start(t, withClock(&clk))
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCredentials), "POST", "/users/login", "",
		map[string]string{"username": "admin", "password": "wrong"})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCredentials), "POST", "/users/login", "",
		map[string]string{"username": "nobody", "password": "wrong"})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "POST", "/users/login", "", "{not json")
	e.must(http.StatusUnauthorized, "GET", "/streams", "", nil)
	r := e.do("GET", "/streams", "", nil)
	if len(r.body) != 0 {
		t.Fatalf("a 401 carries a body: %q", r.body)
	}

	// Refresh exchanges a token once.
	tok := e.login("admin", "s3cret")
	var fresh struct {
		UserID      uint32 `json:"user_id"`
		AccessToken struct {
			Token string `json:"token"`
		} `json:"access_token"`
	}
	e.must(http.StatusOK, "POST", "/users/refresh-token", "", map[string]string{"token": tok}).json(t, &fresh)
	if fresh.AccessToken.Token == "" || fresh.AccessToken.Token == tok {
		t.Fatalf("refresh: %+v", fresh)
	}
	e.must(http.StatusUnauthorized, "GET", "/streams", tok, nil) // the old one is revoked
	e.refused(http.StatusUnauthorized, uint32(wire.StatusInvalidAccessToken), "POST", "/users/refresh-token", "",
		map[string]string{"token": tok})
	e.refused(http.StatusUnauthorized, uint32(wire.StatusInvalidAccessToken), "POST", "/users/refresh-token", "",
		map[string]string{"token": "garbage"})
	e.must(http.StatusOK, "GET", "/streams", fresh.AccessToken.Token, nil)

	// Logout revokes.
	e.must(http.StatusNoContent, "DELETE", "/users/logout", fresh.AccessToken.Token, nil)
	e.must(http.StatusUnauthorized, "GET", "/streams", fresh.AccessToken.Token, nil)
	e.must(http.StatusUnauthorized, "DELETE", "/users/logout", fresh.AccessToken.Token, nil)

	// Expiry: 1 h, with 5 s of leeway.
	tok = e.login("admin", "s3cret")
	clk.advance(time.Hour)
	e.must(http.StatusOK, "GET", "/streams", tok, nil)
	clk.advance(6 * time.Second)
	e.must(http.StatusUnauthorized, "GET", "/streams", tok, nil)

	// Personal access tokens.
	root := e.login("admin", "s3cret")
	var raw struct {
		Token string `json:"token"`
	}
	e.must(http.StatusOK, "POST", "/personal-access-tokens", root, map[string]any{"name": "ci", "expiry": 0}).json(t, &raw)
	var short struct {
		Token string `json:"token"`
	}
	e.must(http.StatusOK, "POST", "/personal-access-tokens", root, map[string]any{"name": "short", "expiry": uint64(time.Minute / time.Microsecond)}).json(t, &short)
	e.refused(http.StatusBadRequest, uint32(wire.StatusPersonalAccessTokenAlreadyExists), "POST", "/personal-access-tokens", root,
		map[string]any{"name": "ci", "expiry": 0})
	var list []struct {
		Name     string  `json:"name"`
		ExpiryAt *uint64 `json:"expiry_at"`
	}
	e.must(http.StatusOK, "GET", "/personal-access-tokens", root, nil).json(t, &list)
	if len(list) != 2 || list[0].Name != "ci" || list[0].ExpiryAt != nil || list[1].Name != "short" || list[1].ExpiryAt == nil {
		t.Fatalf("tokens %+v", list)
	}
	var id struct {
		UserID      uint32 `json:"user_id"`
		AccessToken struct {
			Token string `json:"token"`
		} `json:"access_token"`
	}
	e.must(http.StatusOK, "POST", "/personal-access-tokens/login", "", map[string]string{"token": raw.Token}).json(t, &id)
	e.must(http.StatusOK, "GET", "/streams", id.AccessToken.Token, nil)
	e.refused(http.StatusUnauthorized, uint32(wire.StatusInvalidPersonalAccessToken), "POST", "/personal-access-tokens/login", "",
		map[string]string{"token": "not-a-token"})
	e.must(http.StatusNoContent, "DELETE", "/personal-access-tokens/ci", root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusResourceNotFound), "DELETE", "/personal-access-tokens/ci", root, nil)
	e.refused(http.StatusUnauthorized, uint32(wire.StatusInvalidPersonalAccessToken), "POST", "/personal-access-tokens/login", "",
		map[string]string{"token": raw.Token})
	clk.advance(2 * time.Minute)
	e.refused(http.StatusBadRequest, uint32(wire.StatusPersonalAccessTokenExpired), "POST", "/personal-access-tokens/login", "",
		map[string]string{"token": short.Token})
}

// TestLoginBackOff: failed HTTP logins are counted by the login limiter as
// binary ones are; a backing-off username is answered 503 with
// Retry-After before any password check, until the back-off ends.
func TestLoginBackOff(t *testing.T) {
	var clk clock
	e := start(t, withClock(&clk))
	bad := map[string]string{"username": "admin", "password": "guess"}
	for range 5 {
		e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCredentials), "POST", "/users/login", "", bad)
	}
	r := e.must(http.StatusServiceUnavailable, "POST", "/users/login", "", map[string]string{"username": "admin", "password": "s3cret"})
	if r.header.Get("Retry-After") == "" || r.errorID(t) != uint32(wire.StatusTransientNotAccepted) {
		t.Fatalf("back-off answer: %v %s", r.header, r.body)
	}
	clk.advance(2 * time.Second)
	e.login("admin", "s3cret")
}

// TestCORS: a preflight from any origin is answered with the configured
// methods and headers; actual responses carry Access-Control-Allow-Origin.
func TestCORS(t *testing.T) {
	e := start(t)
	req, _ := http.NewRequest("OPTIONS", e.base+"/streams", nil)
	req.Header.Set("Origin", "https://ui.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "*" ||
		h.Get("Access-Control-Allow-Methods") != "GET,POST,PUT,DELETE" || h.Get("Access-Control-Allow-Headers") != "content-type,authorization" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, h)
	}
	req, _ = http.NewRequest("GET", e.base+"/ping", nil)
	req.Header.Set("Origin", "https://ui.example")
	resp, err = e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("simple request: %v", resp.Header)
	}

	// Restricted origins, credentials.
	e2 := start(t, func(o *server.Options, _ tls.Certificate) {
		o.API.CORS.AllowedOrigins = []string{"https://ok.example"}
		o.API.CORS.AllowCredentials = true
	})
	for origin, want := range map[string]string{"https://ok.example": "https://ok.example", "https://evil.example": ""} {
		req, _ = http.NewRequest("OPTIONS", e2.base+"/streams", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		resp, err = e2.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("origin %s: allow-origin %q, want %q", origin, got, want)
		}
		if want != "" && resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("origin %s: no credentials header", origin)
		}
	}
}

// TestPreviousJWTKey: during a key rotation a node accepts tokens signed
// with the previous key (another node's current one) and signs with its
// own; a node without it refuses them.
func TestPreviousJWTKey(t *testing.T) {
	key := func(k string) func(*server.Options, tls.Certificate) {
		return func(o *server.Options, _ tls.Certificate) { o.API.JWT.EncodingSecret = k }
	}
	old := start(t, key("the-old-key-the-old-key-the-old-key"))
	rotated := start(t, key("the-new-key-the-new-key-the-new-key"), func(o *server.Options, _ tls.Certificate) {
		o.API.JWT.PreviousSecret = "the-old-key-the-old-key-the-old-key"
	})
	other := start(t, key("the-new-key-the-new-key-the-new-key"))
	rotated.must(http.StatusOK, "GET", "/streams", old.root, nil)
	other.must(http.StatusUnauthorized, "GET", "/streams", old.root, nil)
	other.must(http.StatusOK, "GET", "/streams", rotated.root, nil) // rotated signs with the new key
	old.must(http.StatusUnauthorized, "GET", "/streams", rotated.root, nil)
}
