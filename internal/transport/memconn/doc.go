// Package memconn is an in-memory transport for tests: a buffered,
// full-duplex byte pipe framed by the same transport.FrameReader as TCP, and
// a Listener with a matching Dial. It is never used outside tests; the
// conformance suite runs on it and on real TCP.
//
// It starts no goroutines; blocked reads wait on a condition variable.
// It imports the standard library, internal/wire and internal/transport.
package memconn
