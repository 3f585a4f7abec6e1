package proxy

import (
	"errors"
	"fmt"
	"net"
	"time"
)

var (
	// ErrNotLoopback is returned by New for a listen or target address that
	// is not a loopback address: this tool never sends traffic elsewhere.
	ErrNotLoopback = errors.New("proxy: address is not loopback")
	// ErrBadFault is returned by SetFault and SetFaults for a fault with a
	// negative duration or an unknown mode.
	ErrBadFault = errors.New("proxy: invalid fault")
	// ErrClosed is returned by methods of a closed Proxy or Mesh.
	ErrClosed = errors.New("proxy: closed")
)

// Mode is what a proxy does to the bytes of one direction of a link.
type Mode uint8

const (
	// Pass forwards every chunk at once.
	Pass Mode = iota
	// Drop closes every existing connection of the proxy and every new one
	// as soon as it is accepted, before the target is dialed. It acts on
	// whole connections: Drop in either direction drops both.
	Drop
	// Blackhole reads and discards the direction's bytes (and its FIN), so
	// the sender sees successful writes and the receiver sees silence. A
	// connection that lost bytes is closed when the direction leaves
	// Blackhole.
	Blackhole
	// Delay forwards each chunk Fixed plus a uniform random [0, Jitter)
	// after it was read, never before an earlier chunk.
	Delay
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Drop:
		return "drop"
	case Blackhole:
		return "blackhole"
	case Delay:
		return "delay"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Fault is the behaviour of one direction of a link. The zero Fault is Pass.
type Fault struct {
	Mode   Mode
	Fixed  time.Duration // Delay only: added to every chunk
	Jitter time.Duration // Delay only: a seeded uniform [0, Jitter) on top
}

func (f Fault) String() string {
	if f.Mode == Delay {
		return fmt.Sprintf("delay(%v+%v)", f.Fixed, f.Jitter)
	}
	return f.Mode.String()
}

func (f Fault) validate() error {
	if f.Mode > Delay || f.Fixed < 0 || f.Jitter < 0 {
		return fmt.Errorf("%w: %v", ErrBadFault, f)
	}
	return nil
}

// Dir is a byte direction of a proxied connection.
type Dir uint8

const (
	// Up is from the dialing side to the target: for the proxy of link
	// A→B, the bytes A sends to B.
	Up Dir = iota
	// Down is from the target back to the dialing side: B's replies to A.
	Down
)

func (d Dir) String() string {
	if d == Up {
		return "up"
	}
	return "down"
}

// loopback checks that addr is host:port with a loopback IP literal or
// "localhost", and returns it with "localhost" replaced by 127.0.0.1 so no
// name is ever resolved.
func loopback(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("proxy: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	return addr, nil
}

// isLoopbackAddr reports whether a connection's address is a loopback IP.
func isLoopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
