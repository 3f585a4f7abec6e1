package tcp

import (
	"syscall"
	"testing"
)

func checkSockopts(t *testing.T, c *Conn, cfg Config) {
	t.Helper()
	raw, err := c.NetConn().SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]int{
		"TCP_NODELAY":   {syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1},
		"SO_KEEPALIVE":  {syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1},
		"TCP_KEEPIDLE":  {syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, int(cfg.KeepAlive.Idle.Seconds())},
		"TCP_KEEPINTVL": {syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, int(cfg.KeepAlive.Interval.Seconds())},
		"TCP_KEEPCNT":   {syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, cfg.KeepAlive.Count},
	}
	for name, w := range want {
		var got int
		var gerr error
		if err := raw.Control(func(fd uintptr) { got, gerr = syscall.GetsockoptInt(int(fd), w[0], w[1]) }); err != nil {
			t.Fatal(err)
		}
		if gerr != nil {
			t.Fatalf("%s: %v", name, gerr)
		}
		if got != w[2] {
			t.Errorf("%s = %d, want %d", name, got, w[2])
		}
	}
}
