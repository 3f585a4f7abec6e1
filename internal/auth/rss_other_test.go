//go:build !linux

package auth

import "testing"

// reportPeakRSS reports nothing: peak RSS is read on Linux only.
func reportPeakRSS(*testing.B) {}
