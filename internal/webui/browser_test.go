package webui_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/server"
	"github.com/shoal-io/shoal/internal/server/servertest"
)

// chromiumPath is Debian's Chromium; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds the whole browser session, waitTimeout one wait
// for the page.
const (
	browserTimeout = 2 * time.Minute
	waitTimeout    = 30 * time.Second
)

// requireChromium skips the test when Chromium is missing, unless
// SHOAL_REQUIRE_CHROMIUM is set (or CI=true, as for the WebSocket browser
// test), where a missing browser is a failure.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("SHOAL_REQUIRE_CHROMIUM") != "" || os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (SHOAL_REQUIRE_CHROMIUM or CI is set): apt-get install -y chromium", chromiumPath)
		}
		t.Skipf("%s not installed; set SHOAL_REQUIRE_CHROMIUM=1 to make that a failure", chromiumPath)
	}
}

// syncBuffer collects Chromium's output, written from the allocator's
// goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is the output without the lines about D-Bus, which a container
// has none of.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var keep []string
	for l := range strings.SplitSeq(b.buf.String(), "\n") {
		if !strings.Contains(l, "dbus") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// browser is one headless Chromium tab driven over the DevTools protocol
// (chromedp, through a pipe), with the page's uncaught exceptions and
// console.error calls collected.
type browser struct {
	t    *testing.T
	ctx  context.Context
	logs *syncBuffer

	mu       sync.Mutex
	problems []string // +checklocks:mu
}

// newBrowser starts Chromium; it is closed, and its process waited for,
// when the test ends.
func newBrowser(t *testing.T) *browser {
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	b := &browser{t: t, logs: &syncBuffer{}}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 1400),
		chromedp.CombinedOutput(b.logs))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	b.ctx, _ = chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	t.Cleanup(func() {
		if err := chromedp.Cancel(b.ctx); err != nil {
			t.Logf("closing chromium: %v", err)
		}
		acancel() // waits for the browser process
		cancel()
	})
	return b
}

// listen runs on chromedp's reader goroutine: it only records.
func (b *browser) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text)
		if d.Exception != nil {
			p += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		p = "console." + string(ev.Type) + ":"
		for _, a := range ev.Args {
			p += " " + string(a.Value) + a.Description
		}
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, p)
	b.mu.Unlock()
}

// fail ends the test with what the page shows.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	b.mu.Lock()
	problems := strings.Join(b.problems, "\n")
	b.mu.Unlock()
	b.t.Fatalf("%s\n--- page:\n%s\n--- script problems:\n%s\n--- chromium:\n%s", fmt.Sprintf(format, args...), text,
		problems, b.logs.String())
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

// waitFor waits until the page function fn, given args, returns true: it
// is evaluated on every DOM mutation, never on a timer. waitTimeout only
// bounds a failing wait, so that the failure shows the page.
func (b *browser) waitFor(what, fn string, args ...any) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.PollFunction[chromedp.Void](fn, chromedp.WithPollingMutation(),
		chromedp.WithPollingTimeout(waitTimeout), chromedp.WithPollingArgs(args...)))
	if err != nil {
		b.fail("waiting for %s: %v", what, err)
	}
}

// waitText waits until the element id's text is want.
func (b *browser) waitText(id, want string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("#%s to read %q", id, want),
		`(id, want) => document.getElementById(id).textContent === want`, id, want)
}

// waitError waits until the page shows the error reason.
func (b *browser) waitError(reason string) {
	b.t.Helper()
	b.waitText("error-text", reason)
	if prop[bool](b, "error", "hidden") {
		b.fail("the error %q is hidden", reason)
	}
}

// waitShown waits until the element id is not hidden.
func (b *browser) waitShown(id string) {
	b.t.Helper()
	b.waitFor("#"+id+" to show", `(id) => !document.getElementById(id).hidden`, id)
}

// prop is the element id's property name (textContent, hidden, ...).
func prop[T any](b *browser, id, name string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](fmt.Sprintf(`document.getElementById(%q).%s`, id, name)))
	if err != nil {
		b.fail("reading #%s.%s: %v", id, name, err)
	}
	return v
}

// text is the element id's text.
func (b *browser) text(id string) string {
	b.t.Helper()
	return prop[string](b, id, "textContent")
}

// fill replaces an input's value by typing value into it.
func (b *browser) fill(id, value string) {
	b.t.Helper()
	b.do("filling #"+id, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).value = ''`, id)),
		chromedp.SendKeys(chromedp.ID(id), value))
}

// submit clicks a form's submit button.
func (b *browser) submit(form string) {
	b.t.Helper()
	b.do("submitting #"+form, chromedp.Click(chromedp.CSS("#"+form+" button[type=submit]")))
}

// clickLink clicks the link reading text in the table id.
func (b *browser) clickLink(table, text string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("a link %q in #%s", text, table),
		`(table, text) => [...document.querySelectorAll('#' + table + ' a')].some((a) => a.textContent === text)`, table, text)
	b.do("clicking "+text, chromedp.Click(fmt.Sprintf(`//table[@id=%q]//a[text()=%q]`, table, text)))
}

// messageRows are the cells of the messages table: offset, timestamp,
// payload.
func (b *browser) messageRows() [][]string {
	b.t.Helper()
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]string](
		`[...document.querySelectorAll('#messages-table tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent))`))
	if err != nil {
		b.fail("reading the messages: %v", err)
	}
	return rows
}

// waitRows waits until the messages table shows payloads, in order.
func (b *browser) waitRows(payloads ...string) [][]string {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("messages %q", payloads), `(want) => {
		const got = [...document.querySelectorAll('#messages-table tbody tr')].map((tr) => tr.cells[2].textContent);
		return got.length === want.length && got.every((p, i) => p === want[i]);
	}`, payloads)
	return b.messageRows()
}

// call sends a request to the REST API as a client other than the page
// and returns the status and the decoded JSON answer.
func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out) // a 401 has no body
	return resp.StatusCode, out
}

// reason is the reason of the refusal the REST API answers a request
// with; the refusal must have status code.
func reason(t *testing.T, code int, method, url, token string, body any) string {
	t.Helper()
	got, refusal := call(t, method, url, token, body)
	r, _ := refusal["reason"].(string)
	if got != code || r == "" {
		t.Fatalf("%s %s: %d %v, want %d with a reason", method, url, got, refusal, code)
	}
	return r
}

// checkRow checks a messages table row: offset, a timestamp between
// notBefore and now, and payload.
func checkRow(t *testing.T, row []string, offset, payload string, notBefore time.Time) {
	t.Helper()
	if len(row) != 3 || row[0] != offset || row[2] != payload {
		t.Fatalf("row %q, want offset %s payload %q", row, offset, payload)
	}
	ts, err := time.Parse("2006-01-02 15:04:05.000 UTC", row[1])
	if err != nil {
		t.Fatalf("row %q: timestamp: %v", row, err)
	}
	if ts.Before(notBefore.Truncate(time.Millisecond)) || ts.After(time.Now()) {
		t.Fatalf("row %q: timestamp %v is not between %v and now", row, ts, notBefore)
	}
}

// TestBrowser drives the UI in headless Chromium against a real server:
// a refused login shows the API's reason; login; create a stream (a
// duplicate shows the API's reason) and a topic; send two messages; browse
// them; a message sent over TCP with the client package shows on the next
// page; binary payloads show as hex; log out. The page must raise no
// script error.
func TestBrowser(t *testing.T) {
	requireChromium(t)
	start := time.Now()
	srv := servertest.Start(t, func(o *server.Options, _ tls.Certificate) { o.API.WebUI = true })
	base := "http://" + srv.Addr("http").String()
	b := newBrowser(t)

	b.do("opening /ui/", chromedp.Navigate(base+"/ui/"))
	b.waitShown("login-view")

	// A refused login shows the API's reason and stays on the login form.
	wrong := map[string]string{"username": servertest.Username, "password": "wrong"}
	b.fill("login-username", servertest.Username)
	b.fill("login-password", "wrong")
	b.submit("login-form")
	b.waitError(reason(t, http.StatusBadRequest, "POST", base+"/users/login", "", wrong))
	b.fill("login-password", servertest.Password)
	b.submit("login-form")
	b.waitShown("streams-view")
	b.waitText("who-name", "Logged in as "+servertest.Username)
	if !prop[bool](b, "error", "hidden") {
		b.fail("the login error is still shown")
	}

	// Streams: create one; a duplicate shows the API's reason.
	b.fill("stream-name", "orders")
	b.submit("stream-form")
	b.clickLink("streams-table", "orders")
	b.waitText("stream-title", "Stream orders")
	b.do("back", chromedp.NavigateBack())
	b.waitShown("streams-view")
	_, login := call(t, "POST", base+"/users/login", "", map[string]string{"username": servertest.Username, "password": servertest.Password})
	token, _ := login["access_token"].(map[string]any)["token"].(string)
	b.fill("stream-name", "orders")
	b.submit("stream-form")
	b.waitError(reason(t, http.StatusBadRequest, "POST", base+"/streams", token, map[string]string{"name": "orders"}))
	if d := b.text("error-detail"); !strings.Contains(d, "HTTP 400") || !strings.Contains(d, "field: name") {
		b.fail("duplicate stream: detail %q", d)
	}

	// A stream that does not exist: the API's 404 reason, no stale view.
	b.do("opening stream 999", chromedp.Evaluate[chromedp.Void](`location.hash = '#/streams/999'`))
	b.waitText("stream-title", "Stream 999")
	b.waitError(reason(t, http.StatusNotFound, "GET", base+"/streams/999", token, nil))
	b.do("back", chromedp.NavigateBack())
	b.waitShown("streams-view")

	// Topics.
	b.clickLink("streams-table", "orders")
	b.waitText("stream-title", "Stream orders")
	b.fill("topic-name", "events")
	b.fill("topic-partitions", "2")
	b.submit("topic-form")
	b.clickLink("topics-table", "events")
	b.waitText("topic-title", "Topic events")

	// Send two messages to partition 1 and browse them.
	b.fill("send-payload", "hello")
	b.fill("send-partition", "1")
	b.submit("send-form")
	b.waitText("status", `Sent "hello" to partition 1.`)
	b.fill("send-payload", "wörld ✓")
	b.submit("send-form")
	b.waitText("status", `Sent "wörld ✓" to partition 1.`)
	b.fill("poll-partition", "1")
	b.submit("poll-form")
	rows := b.waitRows("hello", "wörld ✓")
	checkRow(t, rows[0], "0", "hello", start)
	checkRow(t, rows[1], "1", "wörld ✓", start)
	b.waitText("poll-summary", "Partition 1: 2 message(s), offsets 0 to 1 (the partition's last offset is 1).")

	// A message sent over TCP by the Go client shows on the next page.
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	c, err := client.Dial(ctx, srv.Addr("tcp").String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, servertest.Username, servertest.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessages(ctx, client.NamedID("orders"), client.NamedID("events"), client.PartitionID(1),
		[]client.Message{{Payload: []byte("from tcp")}, {Payload: []byte{0xff, 0x00, 0x01}}}); err != nil {
		t.Fatal(err)
	}
	b.do("next page", chromedp.Click(chromedp.ID("poll-next")))
	rows = b.waitRows("from tcp", "(binary, 3 bytes) ff 00 01")
	checkRow(t, rows[0], "2", "from tcp", start)
	if v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("poll-offset"))); err != nil || v != "2" {
		b.fail("offset field after next page: %q, %v", v, err)
	}
	b.waitFor("partition 1 to count 4 messages", `() => {
		const row = [...document.querySelectorAll('#partitions-table tbody tr')].find((tr) => tr.cells[0].textContent === '1');
		return row && row.cells[1].textContent === '4' && row.cells[2].textContent === '3';
	}`)
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fail("screenshot: %v", err)
	}
	shot := filepath.Join(t.TempDir(), "topic.png")
	if dir := os.Getenv("SHOAL_WEBUI_SCREENSHOTS"); dir != "" {
		shot = filepath.Join(dir, "topic.png")
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("topic view: %s", shot)

	// Past the end: an empty page, and the next page stays there.
	b.do("next page", chromedp.Click(chromedp.ID("poll-next")))
	b.waitText("poll-summary", "No messages in partition 1 from offset 4.")
	if rows := b.messageRows(); len(rows) != 0 {
		b.fail("empty page shows %q", rows)
	}

	// Log out: the login form comes back and the page's token is revoked.
	pageToken, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.parse(sessionStorage.getItem('shoal.session')).token`))
	if err != nil {
		b.fail("reading the session: %v", err)
	}
	if code, _ := call(t, "GET", base+"/streams", pageToken, nil); code != http.StatusOK {
		t.Fatalf("GET /streams with the page's token: %d", code)
	}
	b.do("log out", chromedp.Click(chromedp.ID("logout")))
	b.waitShown("login-view")
	b.waitText("status", "Logged out.")
	if code, _ := call(t, "GET", base+"/streams", pageToken, nil); code != http.StatusUnauthorized {
		t.Fatalf("GET /streams with the page's token after logout: %d, want 401", code)
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		t.Fatalf("the page raised script errors:\n%s", strings.Join(b.problems, "\n"))
	}
}
