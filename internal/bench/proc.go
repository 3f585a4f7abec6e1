package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shoal-io/shoal/internal/chaos"
)

// stopGrace bounds how long a server process may take to exit after
// SIGTERM before it is killed (and the kill reported).
const stopGrace = 30 * time.Second

// proc is a server process a cluster run starts (a shoal-server node or a
// nats-server), its stdout and stderr appended to a log file. Its exit is
// waited for by one goroutine that closes done.
type proc struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startProc runs bin with args and env (nil: this process's), its output
// appended to log. The process dies with the benchmark (chaos.ProcAttr).
func startProc(name, log string, env []string, bin string, args ...string) (*proc, error) {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr, cmd.Env = f, f, env
	cmd.SysProcAttr = chaos.ProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, log: log, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status is the log's to explain
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to grace for the process to exit; past
// that it sends SIGKILL, waits, and returns an error saying so. A process
// that already exited is not an error here.
func (p *proc) stop(grace time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s: SIGTERM: %w", p.name, err)
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("%s did not exit within %v of SIGTERM: killed", p.name, grace)
}

// stopAll stops every process at once and joins their errors.
func stopAll(ps []*proc, grace time.Duration) error {
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() { errs[i] = p.stop(grace) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// tail returns the last n lines of the process's log, for error reports.
func (p *proc) tail(n int) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// tails is tail of every process in ps, each under its name.
func tails(ps []*proc, n int) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\n--- %s (%s):\n%s", p.name, p.log, p.tail(n))
	}
	return b.String()
}
