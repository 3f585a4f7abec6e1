package chaos

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// process is one shoal-server node of a cluster run: the binary, its
// config file and log, and the OS process currently running it (if any).
// Its methods are safe for concurrent use.
type process struct {
	id     int
	bin    string // the shoal-server binary
	config string // this node's config file
	log    string // stdout and stderr of every start, appended

	mu     sync.Mutex // guards the following
	cmd    *exec.Cmd  // the running process; nil when none
	done   chan struct{}
	paused bool // SIGSTOPped and not yet SIGCONTed
	starts int
}

// start runs the node from its config and data directory; it must not be
// running. The process's exit is waited for by a goroutine that closes
// done; kill (or close) waits for it.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("chaos: node %d already runs", p.id)
	}
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("chaos: node %d log: %w", p.id, err)
	}
	p.starts++
	fmt.Fprintf(logf, "--- chaos: start %d of node %d\n", p.starts, p.id)
	cmd := exec.Command(p.bin, "--config", p.config, "--replica-id", strconv.Itoa(p.id),
		"--with-default-root-credentials", "--log-level", "info")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = ServerEnv()
	cmd.SysProcAttr = ProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("chaos: start node %d: %w", p.id, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // a kill -9 is the expected end
		logf.Close()
		close(done)
	}()
	p.cmd, p.done, p.paused = cmd, done, false
	return nil
}

// ServerEnv is the environment of a server process started with a
// generated config file: this process's, without any IGGY_ configuration
// variable that would override the file.
func ServerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "IGGY_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// running reports whether the node has a live process (paused counts).
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// exited reports whether a process started by the harness died on its
// own (a crash: kill forgets the processes it ends), and forgets it so it
// can be started again.
func (p *process) exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		p.cmd = nil
		return true
	default:
		return false
	}
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone. A
// node that is not running is left alone.
func (p *process) kill() error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd, p.paused = nil, false
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("chaos: kill node %d: %w", p.id, err)
	}
	<-done
	return nil
}

// pause sends SIGSTOP; resume sends SIGCONT. Both do nothing to a node
// that is not running, and resume nothing to one that is not paused.
func (p *process) pause() error  { return p.stopCont(true) }
func (p *process) resume() error { return p.stopCont(false) }

func (p *process) stopCont(stop bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.paused == stop {
		return nil
	}
	sig := syscall.SIGCONT
	if stop {
		sig = syscall.SIGSTOP
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("chaos: signal node %d: %w", p.id, err)
	}
	p.paused = stop
	return nil
}

func (p *process) isPaused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}
