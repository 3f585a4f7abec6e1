//go:build !linux

package chaos

import "syscall"

// ProcAttr: only Linux has Pdeathsig; elsewhere a harness killed mid-run
// may leave its processes running.
func ProcAttr() *syscall.SysProcAttr { return nil }
