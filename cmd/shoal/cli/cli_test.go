package cli

import (
	"bytes"
	"crypto/tls"
	"flag"
	"net"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/shoal-io/shoal/internal/server"
	"github.com/shoal-io/shoal/internal/server/servertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func startServer(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, func(o *server.Options, _ tls.Certificate) { o.QUIC.Enabled = false })
}

func run(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Run(args, &out, func(k string) string { return env[k] })
	return out.String(), err
}

func TestCommands(t *testing.T) {
	srv := startServer(t)
	tcp := srv.Addr("tcp").String()
	wsAddr := srv.Addr("websocket").String()
	env := map[string]string{"IGGY_USERNAME": "admin", "IGGY_PASSWORD": "s3cret"}
	dead := deadAddr(t)
	for _, tc := range []struct {
		args []string
		want []string // fields of one output line
	}{
		{[]string{"ping", "--address", tcp}, []string{"pong", "in"}},
		{[]string{"ping", "--transport", "ws", "--address", wsAddr}, []string{"pong", "in"}},
		{[]string{"me", "--address", tcp}, []string{"transport", "tcp"}},
		// Several addresses: the first that answers (a standalone server
		// is its own leader).
		{[]string{"me", "--address", dead + "," + tcp}, []string{"server", tcp}},
		{[]string{"ping", "--address", dead + ", " + tcp}, []string{"pong", "in"}},
		{[]string{"stats", "--address", tcp}, []string{"server", "version", server.Version}},
		{[]string{"cluster", "--transport", "ws", "--address", wsAddr}, []string{"iggy-node", "127.0.0.1",
			portOf(tcp), "0", portOf(srv.Addr("http").String()), portOf(wsAddr), "leader", "healthy"}},
	} {
		out, err := run(t, env, tc.args...)
		if err != nil || !hasLine(out, tc.want) {
			t.Errorf("shoal %s: %v\n%s\nwant a line %q", strings.Join(tc.args, " "), err, out, tc.want)
		}
	}
}

// deadAddr is a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// hasLine reports whether some line of out starts with exactly the fields
// want.
func hasLine(out string, want []string) bool {
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(want) && slices.Equal(f[:len(want)], want) {
			return true
		}
	}
	return false
}

func portOf(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

func TestErrors(t *testing.T) {
	srv := startServer(t)
	tcp := srv.Addr("tcp").String()
	if _, err := run(t, nil, "me", "--address", tcp, "--password", "wrong", "--username", "admin"); err == nil ||
		!strings.Contains(err.Error(), "InvalidCredentials") {
		t.Fatalf("bad password: %v", err)
	}
	if _, err := run(t, nil, "me", "--address", tcp); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("no password: %v", err)
	}
	if _, err := run(t, nil, "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
	if out, err := run(t, nil, "help"); err != nil || !strings.Contains(out, "usage: shoal") {
		t.Fatalf("help: %v %s", err, out)
	}
}

func TestHoistFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var cf connFlags
	cf.register(fs, func(string) string { return "" })
	got := hoistFlags(fs, []string{"create", "s", "--address", "h:1", "t", "--partitions", "3", "-tls-insecure", "--password=p", "--", "--address"})
	want := []string{"--address", "h:1", "-tls-insecure", "--password=p", "create", "s", "t", "--partitions", "3", "--", "--address"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
