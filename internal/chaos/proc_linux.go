package chaos

import "syscall"

// ProcAttr makes a server process die with the harness that started it
// (Pdeathsig), so a harness killed mid-run leaves no process behind.
func ProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
