//go:build !linux

package tcp

import "testing"

func checkSockopts(t *testing.T, c *Conn, cfg Config) { t.Skip("socket options are checked on Linux") }
