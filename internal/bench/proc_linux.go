package bench

import "syscall"

// procAttr makes a server process die with the benchmark (Pdeathsig), so
// a benchmark killed mid-run leaves no cluster behind. (As internal/chaos
// does for its nodes.)
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
