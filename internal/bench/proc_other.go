//go:build !linux

package bench

import "syscall"

// procAttr: only Linux has Pdeathsig; elsewhere a benchmark killed
// mid-run may leave its server processes running.
func procAttr() *syscall.SysProcAttr { return nil }
