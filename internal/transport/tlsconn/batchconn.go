package tlsconn

import (
	"net"
	"sync"
)

// BatchConn sits under a tls.Conn. Between Begin and Flush the TLS records
// of one batch (at most 16 KiB of plaintext each) are gathered in a buffer
// and written with one syscall, instead of one write per record. Outside a
// batch (handshake, alerts, close_notify) writes go straight through. The
// ws package uses it for WSS.
type BatchConn struct {
	*net.TCPConn

	mu sync.Mutex // guards the following fields; held across the flush write
	// +checklocks:mu
	on bool
	// +checklocks:mu
	buf []byte

	onRead func() // called after a read that returned bytes; set before the reader starts
}

// SetReadHook makes every later Read that returns bytes call fn, on the
// reading goroutine. The frame readers above TLS use it to arm their frame
// deadline as soon as any byte arrives, even inside a TLS record that
// yields no plaintext yet. Call it before the reader starts.
func (b *BatchConn) SetReadHook(fn func()) { b.onRead = fn }

// Read reads from the socket, then calls the read hook if bytes arrived.
func (b *BatchConn) Read(p []byte) (int, error) {
	n, err := b.TCPConn.Read(p)
	if n > 0 && b.onRead != nil {
		b.onRead()
	}
	return n, err
}

// Write gathers p during a batch and writes it otherwise. tls.Conn calls it
// with its output lock held, so records keep their order.
func (b *BatchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.on {
		b.buf = append(b.buf, p...)
		return len(p), nil
	}
	return b.TCPConn.Write(p)
}

// NewBatchConn wraps c.
func NewBatchConn(c *net.TCPConn) *BatchConn { return &BatchConn{TCPConn: c} }

// Begin starts gathering writes.
func (b *BatchConn) Begin() {
	b.mu.Lock()
	b.on = true
	b.mu.Unlock()
}

// Flush writes the gathered records in one write and ends the batch.
func (b *BatchConn) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.on = false
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.TCPConn.Write(b.buf)
	if cap(b.buf) > 2*maxKeptBuf {
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
	return err
}
