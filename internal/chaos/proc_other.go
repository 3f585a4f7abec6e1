//go:build !linux

package chaos

import "syscall"

// procAttr: only Linux has Pdeathsig; elsewhere a harness killed mid-run
// may leave its nodes running.
func procAttr() *syscall.SysProcAttr { return nil }
