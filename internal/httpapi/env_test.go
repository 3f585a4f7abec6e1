package httpapi_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/server"
	"github.com/shoal-io/shoal/internal/server/servertest"
)

// env is a real server (servertest: loopback listeners, a temp data
// directory) and an HTTP client for its REST API.
type env struct {
	t    testing.TB
	srv  *servertest.Server
	base string
	hc   *http.Client
	root string // root's access token
}

func start(t testing.TB, mutate ...func(o *server.Options, cert tls.Certificate)) *env {
	t.Helper()
	srv := servertest.Start(t, mutate...)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	e := &env{t: t, srv: srv, base: "http://" + srv.Addr("http").String(), hc: &http.Client{Transport: tr}}
	e.root = e.login(servertest.Username, servertest.Password)
	return e
}

// reply is an HTTP answer.
type reply struct {
	code   int
	body   []byte
	header http.Header
}

// json decodes the body into v.
func (r reply) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorID is the id of an Iggy error body.
func (r reply) errorID(t testing.TB) uint32 {
	t.Helper()
	var e struct {
		ID   uint32 `json:"id"`
		Code string `json:"code"`
	}
	r.json(t, &e)
	return e.ID
}

// do sends a request with token (none when empty) and body (JSON-encoded
// unless it is a string, sent as is).
func (e *env) do(method, path, token string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{code: resp.StatusCode, body: b, header: resp.Header}
}

// must sends a request and fails the test unless it is answered code.
func (e *env) must(code int, method, path, token string, body any) reply {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.code != code {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, r.code, r.body, code)
	}
	return r
}

// refused sends a request and fails the test unless it is answered code
// with an Iggy error body of id.
func (e *env) refused(code int, id uint32, method, path, token string, body any) {
	e.t.Helper()
	r := e.must(code, method, path, token, body)
	if got := r.errorID(e.t); got != id {
		e.t.Fatalf("%s %s: error id %d (%s), want %d", method, path, got, r.body, id)
	}
}

// login returns an access token.
func (e *env) login(user, pass string) string {
	e.t.Helper()
	var id struct {
		UserID      uint32 `json:"user_id"`
		AccessToken struct {
			Token  string `json:"token"`
			Expiry int64  `json:"expiry"`
		} `json:"access_token"`
	}
	e.must(http.StatusOK, "POST", "/users/login", "", map[string]string{"username": user, "password": pass}).json(e.t, &id)
	if id.AccessToken.Token == "" || id.AccessToken.Expiry == 0 {
		e.t.Fatalf("login of %s: %+v", user, id)
	}
	return id.AccessToken.Token
}

// tcp dials the binary protocol as user.
func (e *env) tcp(user, pass string) *client.Client {
	e.t.Helper()
	c, err := client.Dial(context.Background(), e.srv.Addr("tcp").String(), client.WithHeartbeat(0),
		client.WithCredentials(user, pass))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// startTLS is start with an HTTPS client trusting the server's
// certificate; mutate must enable [http.tls].
func startTLS(t testing.TB, mutate func(o *server.Options, cert tls.Certificate)) *env {
	t.Helper()
	srv := servertest.Start(t, mutate)
	tr := &http.Transport{TLSClientConfig: srv.ClientTLS()}
	t.Cleanup(tr.CloseIdleConnections)
	e := &env{t: t, srv: srv, base: "https://" + srv.Addr("http").String(), hc: &http.Client{Transport: tr}}
	e.root = e.login(servertest.Username, servertest.Password)
	return e
}
