package ws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// chromiumPath is Debian's Chromium; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds one headless Chromium run.
const browserTimeout = 60 * time.Second

// pageScript opens a WebSocket to URL (with PROTO when non-empty), builds
// a Request frame in the page, sends it and reports the Reply (or the
// refusal) by POSTing to /result and writing it into the page.
const pageScript = `<!doctype html>
<html><body><pre id="r">pending</pre><script>
const out = (s) => {
  document.getElementById('r').textContent = s;
  fetch('/result', {method: 'POST', body: s});
};
const ws = PROTO ? new WebSocket(URL, PROTO) : new WebSocket(URL);
ws.binaryType = 'arraybuffer';
let done = false;
ws.onopen = () => {
  if (!PROTO) { done = true; out('opened without subprotocol'); ws.close(); return; }
  const b = new Uint8Array(256);
  const v = new DataView(b.buffer);
  v.setUint32(48, 256, true);          // size
  b[60] = 5;                           // command Request
  v.setBigUint64(128, 0x5eedn, true);  // client (non-zero)
  v.setBigUint64(168, 4242n, true);    // request id
  b[176] = 2;                          // operation NonReplicated
  ws.send(b);
};
ws.onmessage = (e) => {
  const v = new DataView(e.data);
  done = true;
  out('reply len=' + e.data.byteLength + ' command=' + v.getUint8(60) +
      ' request=' + v.getBigUint64(200, true) + ' protocol=' + ws.protocol);
  ws.close();
};
ws.onclose = (e) => { if (!done) { done = true; out('refused code=' + e.code); } };
</script></body></html>`

// TestBrowser drives headless Chromium: a page opens
// new WebSocket(url, 'iggy.consensus.v1'), sends a Request frame it built
// itself and receives the Reply from an echo server that upgraded the
// connection on its owner; a second page without the subprotocol is
// refused (HTTP 400).
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing: .ci/run must install chromium (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("%s not installed", chromiumPath)
	}
	l := listen(t, false, 0)
	seen := make(chan []byte, 4)
	hs := make(chan error, 4)
	s := serveEcho(t, l, func(b []byte) { seen <- append([]byte(nil), b...) }, hs)
	defer s.Stop()

	results := make(chan string, 4)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/result":
			b, _ := io.ReadAll(r.Body)
			results <- string(b)
		case "/ok", "/noproto":
			proto := "'" + Subprotocol + "'"
			if r.URL.Path == "/noproto" {
				proto = "''"
			}
			page := strings.NewReplacer("URL", "'"+urlOf(l)+"'", "PROTO", proto).Replace(pageScript)
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, page)
		default:
			http.NotFound(w, r)
		}
	}))
	defer web.Close()

	t.Run("RoundTrip", func(t *testing.T) {
		got := runChromium(t, web.URL+"/ok", results)
		t.Logf("page: %s", got)
		want := fmt.Sprintf("reply len=256 command=%d request=4242 protocol=%s", wire.CommandReply, Subprotocol)
		if got != want {
			t.Fatalf("page reported %q, want %q", got, want)
		}
		if err := <-hs; err != nil {
			t.Fatalf("owner's handshake: %v", err)
		}
		req := <-seen
		var h wire.RequestHeader
		if err := h.Decode(req); err != nil || h.Request != 4242 || h.Client.IsZero() || h.Operation != wire.OpNonReplicated {
			t.Fatalf("server got %+v, %v", h, err)
		}
	})
	t.Run("RefusedWithoutSubprotocol", func(t *testing.T) {
		got := runChromium(t, web.URL+"/noproto", results)
		t.Logf("page: %s", got)
		if !strings.HasPrefix(got, "refused") {
			t.Fatalf("page reported %q, want a refusal", got)
		}
		if err := <-hs; !errors.Is(err, ErrSubprotocol) {
			t.Fatalf("owner's handshake: %v, want ErrSubprotocol", err)
		}
	})
}

// runChromium loads url in headless Chromium and returns what the page
// POSTed to /result. Chromium runs in its own process group, which is
// killed and waited for before returning.
func runChromium(t *testing.T, url string, results <-chan string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cmd := exec.Command(chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), url)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	select {
	case r := <-results:
		stop()
		return r
	case err := <-exited:
		t.Fatalf("chromium exited before the page reported (%v):\n%s", err, logs.String())
	case <-ctx.Done():
		stop()
		t.Fatalf("no result from the page within %v:\n%s", browserTimeout, logs.String())
	}
	return ""
}
