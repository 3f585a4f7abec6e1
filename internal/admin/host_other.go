//go:build !linux

package admin

import "github.com/shoal-io/shoal/internal/wire"

// hostStats leaves the kernel and disk fields zero off Linux.
func hostStats(*wire.Stats, string) {}
