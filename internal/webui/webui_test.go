package webui_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/server"
	"github.com/shoal-io/shoal/internal/server/servertest"
	"github.com/shoal-io/shoal/internal/webui"
)

// next stands for the REST API behind the UI.
var next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "api "+r.URL.Path)
})

func get(t *testing.T, h http.Handler, method, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHandlerRoutes: /ui and /ui/ are the page, its files are served with
// their types, a path without a dot is a route of the page (as in Iggy), an
// unknown file is 404 and everything outside /ui goes to the API.
func TestHandlerRoutes(t *testing.T) {
	h := webui.Handler(next)
	cases := []struct {
		path, ctype, contains string
		code                  int
	}{
		{"/ui", "text/html; charset=utf-8", `<script type="module" src="/ui/app.js">`, 200},
		{"/ui/", "text/html; charset=utf-8", `<script type="module" src="/ui/app.js">`, 200},
		{"/ui/index.html", "text/html; charset=utf-8", "<title>Shoal</title>", 200},
		{"/ui/app.js", "text/javascript; charset=utf-8", "async function api(", 200},
		{"/ui/app.css", "text/css; charset=utf-8", "[hidden]", 200},
		{"/ui/streams/1/topics/2", "text/html; charset=utf-8", "<title>Shoal</title>", 200},
		{"/ui/missing.js", "text/plain; charset=utf-8", "404 page not found", 404},
		{"/ui/../streams", "text/plain; charset=utf-8", "404 page not found", 404}, // only the embedded files, by name
		{"/uix", "text/plain", "api /uix", 200},
		{"/streams", "text/plain", "api /streams", 200},
		{"/", "text/plain", "api /", 200},
	}
	for _, c := range cases {
		r := get(t, h, "GET", c.path)
		b := body(t, r)
		if r.StatusCode != c.code || r.Header.Get("Content-Type") != c.ctype || !strings.Contains(b, c.contains) {
			t.Errorf("GET %s: %d %q %.60q, want %d %q containing %q", c.path, r.StatusCode, r.Header.Get("Content-Type"), b,
				c.code, c.ctype, c.contains)
		}
	}
}

// TestHandlerHeaders: the page's security headers, revalidation by ETag,
// HEAD, and only GET and HEAD.
func TestHandlerHeaders(t *testing.T) {
	h := webui.Handler(next)
	r := get(t, h, "GET", "/ui/app.js")
	full := body(t, r)
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy %q allows inline or eval'd script", csp)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("headers %v", r.Header)
	}
	etag := r.Header.Get("ETag")
	if len(etag) < 10 || etag[0] != '"' {
		t.Fatalf("ETag %q", etag)
	}
	if r := get(t, h, "GET", "/ui/app.js", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("GET with the current ETag: %d, want 304", r.StatusCode)
	}
	if r := get(t, h, "GET", "/ui/app.js", "If-None-Match", `"stale"`); r.StatusCode != http.StatusOK || body(t, r) != full {
		t.Errorf("GET with a stale ETag: %d, want 200 and the file", r.StatusCode)
	}
	if other := get(t, h, "GET", "/ui/app.css").Header.Get("ETag"); other == etag {
		t.Errorf("app.css and app.js share the ETag %s", etag)
	}
	r = get(t, h, "HEAD", "/ui/")
	if r.StatusCode != http.StatusOK || body(t, r) != "" || r.ContentLength <= 0 {
		t.Errorf("HEAD /ui/: %d, length %d", r.StatusCode, r.ContentLength)
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		r := get(t, h, m, "/ui/")
		if r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /ui/: %d Allow %q, want 405 GET, HEAD", m, r.StatusCode, r.Header.Get("Allow"))
		}
	}
}

// TestPageIsSelfContained: the page loads only its own files (no CDN, no
// framework), and the script puts what the API returns into the page as
// text, never as HTML.
func TestPageIsSelfContained(t *testing.T) {
	h := webui.Handler(next)
	index := body(t, get(t, h, "GET", "/ui/"))
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 3 {
		t.Fatalf("index.html references %v", refs)
	}
	for _, m := range refs {
		ref := m[1]
		switch {
		case strings.HasPrefix(ref, "#"), ref == "data:,":
		case strings.HasPrefix(ref, "/ui/") && strings.Contains(ref, "."):
			if r := get(t, h, "GET", ref); r.StatusCode != http.StatusOK {
				t.Errorf("index.html references %s: %d", ref, r.StatusCode)
			}
		default:
			t.Errorf("index.html references %q, outside the embedded files", ref)
		}
	}
	for _, name := range []string{"/ui/", "/ui/app.js", "/ui/app.css"} {
		if b := body(t, get(t, h, "GET", name)); strings.Contains(b, "://") || strings.Contains(b, "@import") {
			t.Errorf("%s loads something from elsewhere", name)
		}
	}
	if regexp.MustCompile(`<script>|\son[a-z]+=`).MatchString(index) {
		t.Error("index.html has inline script, which the Content-Security-Policy blocks")
	}
	js := body(t, get(t, h, "GET", "/ui/app.js"))
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}

// TestServerMount: [http] web_ui mounts the UI beside the REST API on the
// HTTP listener; off (Iggy's default), /ui/ is not found.
func TestServerMount(t *testing.T) {
	for _, on := range []bool{true, false} {
		srv := servertest.Start(t, func(o *server.Options, _ tls.Certificate) { o.API.WebUI = on })
		base := "http://" + srv.Addr("http").String()
		tr := &http.Transport{}
		hc := &http.Client{Transport: tr}
		fetch := func(path string) (int, string) {
			resp, err := hc.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			return resp.StatusCode, body(t, resp)
		}
		code, page := fetch("/ui/")
		switch {
		case on && (code != http.StatusOK || !strings.Contains(page, "<title>Shoal</title>")):
			t.Errorf("web_ui on: GET /ui/ %d %.80q", code, page)
		case !on && code != http.StatusNotFound:
			t.Errorf("web_ui off: GET /ui/ %d, want 404", code)
		}
		if code, b := fetch("/ping"); code != http.StatusOK || b != "pong" {
			t.Errorf("web_ui %v: GET /ping %d %q", on, code, b)
		}
		tr.CloseIdleConnections()
	}
}

// BenchmarkHandler serves the script, as a browser loading the page does.
func BenchmarkHandler(b *testing.B) {
	h := webui.Handler(next)
	req := httptest.NewRequest("GET", "/ui/app.js", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
