package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shoal-io/shoal/client"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// buildServer compiles this command once per test run.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shoal-server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// process is the server running as a subprocess, with its log lines.
type process struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan error
}

func startProcess(t *testing.T, bin, dir string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		for range p.lines {
		}
		<-p.done
	})
	return p
}

// waitFor returns the first log line containing s; the server's own log is
// the synchronisation point.
func (p *process) waitFor(t *testing.T, s string) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("server exited before logging %q", s)
			}
			if strings.Contains(line, s) {
				return line
			}
		case <-timeout:
			t.Fatalf("no log line %q within a minute", s)
		}
	}
}

var addrAttr = regexp.MustCompile(`\btcp=(\S+)`)

// The binary starts from an empty directory on its embedded defaults (ports
// moved to 0 so tests can run anywhere), creates local_data, serves a
// login, and shuts down cleanly on SIGTERM with the drain outcome logged.
func TestServerBinary(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	env := []string{"IGGY_TCP_ADDRESS=127.0.0.1:0", "IGGY_QUIC_ADDRESS=127.0.0.1:0",
		"IGGY_WEBSOCKET_ADDRESS=127.0.0.1:0", "IGGY_HTTP_ADDRESS=127.0.0.1:0", "IGGY_CONFIG_PATH="}
	p := startProcess(t, bin, dir, env, "--with-default-root-credentials")
	p.waitFor(t, `root user created`)
	started := p.waitFor(t, "shoal started")
	m := addrAttr.FindStringSubmatch(started)
	if m == nil {
		t.Fatalf("no tcp address in %q", started)
	}
	if _, err := os.Stat(filepath.Join(dir, "local_data")); err != nil {
		t.Fatalf("data directory: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, m[1], client.WithHeartbeat(0), client.WithCredentials("iggy", "iggy"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ClusterMetadata(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	line := p.waitFor(t, "shut down")
	if !strings.Contains(line, "connections_forced=0") || !strings.Contains(line, "background_forced=0") {
		t.Fatalf("unclean shutdown: %s", line)
	}
	for range p.lines {
	}
	if err := <-p.done; err != nil {
		t.Fatalf("exit: %v", err)
	}
	p.done <- nil // for the cleanup

	// A second start keeps the users and generates no password.
	p2 := startProcess(t, bin, dir, env)
	started = p2.waitFor(t, "shoal started")
	m = addrAttr.FindStringSubmatch(started)
	c2, err := client.Dial(ctx, m[1], client.WithHeartbeat(0), client.WithCredentials("iggy", "iggy"))
	if err != nil {
		t.Fatalf("login after restart: %v", err)
	}
	c2.Close()
}

// Without credentials the first start generates a root password and logs
// it once; setting only one of the two variables is refused.
func TestServerBinaryRootCredentials(t *testing.T) {
	bin := buildServer(t)
	env := []string{"IGGY_TCP_ADDRESS=127.0.0.1:0", "IGGY_QUIC_ENABLED=false", "IGGY_WEBSOCKET_ENABLED=false",
		"IGGY_HTTP_ENABLED=false", "IGGY_CONFIG_PATH="}
	p := startProcess(t, bin, t.TempDir(), env)
	line := p.waitFor(t, "generated password")
	if !regexp.MustCompile(`password=\S{8,}`).MatchString(line) {
		t.Fatalf("no password in %q", line)
	}
	bad := startProcess(t, bin, t.TempDir(), append(env, "IGGY_ROOT_USERNAME=admin"))
	bad.waitFor(t, "IGGY_ROOT_PASSWORD")
	for range bad.lines {
	}
	var ee *exec.ExitError
	if err := <-bad.done; !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	bad.done <- nil
}

// --replica-id reaches the configuration and beats IGGY_CLUSTER_REPLICA_ID:
// a standalone node refuses any id but 0, and a cluster one that names no
// node.
func TestReplicaIDFlag(t *testing.T) {
	bin := buildServer(t)
	clusterFile, err := filepath.Abs(filepath.Join("..", "..", "cluster.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"IGGY_CONFIG_PATH="}, []string{"--replica-id", "2"}, "cluster.replica_id: must be 0 when the cluster is disabled, got 2"},
		{[]string{"IGGY_CONFIG_PATH=", "IGGY_CLUSTER_REPLICA_ID=0"}, []string{"--replica-id=1"}, "got 1"},
		{[]string{"IGGY_CONFIG_PATH=" + clusterFile, "IGGY_CLUSTER_REPLICA_ID=1"}, []string{"--replica-id", "3"},
			"cluster.replica_id: must name one of the 3 nodes (their replica_id), got 3"},
	} {
		p := startProcess(t, bin, t.TempDir(), tc.env, tc.args...)
		p.waitFor(t, tc.want)
		for range p.lines {
		}
		var ee *exec.ExitError
		if err := <-p.done; !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("%v: exit %v", tc.args, err)
		}
		p.done <- nil
	}
}
