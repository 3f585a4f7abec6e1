package chaos

import "syscall"

// procAttr makes a node die with the harness (Pdeathsig), so a harness
// killed mid-run leaves no shoal-server behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
