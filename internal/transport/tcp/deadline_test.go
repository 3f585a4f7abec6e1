package tcp

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

// TestWithDeadline: a silent peer holds the handshake until ctx's deadline
// and no longer; cancelling ctx (shutdown) ends it at once; a handshake
// that finishes leaves no deadline behind, so the connection outlives
// ctx's deadline. Under synctest the deadlines pass in fake time.
func TestWithDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		read := func(nc net.Conn) func() error {
			return func() error { _, err := io.ReadFull(nc, make([]byte, 4)); return err }
		}

		a, b := net.Pipe()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := time.Now()
		err := WithDeadline(ctx, a, read(a))
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 10*time.Second {
			t.Fatalf("silent peer: %v after %v, want deadline exceeded after 10s", err, time.Since(start))
		}
		cancel()
		a.Close()
		b.Close()

		a, b = net.Pipe()
		ctx, cancel = context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- WithDeadline(ctx, a, read(a)) }()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v, want context.Canceled", err)
		}
		a.Close()
		b.Close()

		a, b = net.Pipe()
		defer a.Close()
		defer b.Close()
		ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		go b.Write([]byte("helo"))
		if err := WithDeadline(ctx, a, read(a)); err != nil {
			t.Fatal(err)
		}
		go func() {
			<-time.After(2 * time.Second) // fake time: past ctx's deadline
			b.Write([]byte("next"))
		}()
		if err := read(a)(); err != nil {
			t.Fatalf("read after the handshake: %v", err)
		}
		// The socket's deadline can fire before ctx's own timer marks ctx
		// done; the timeout still reads as ctx's.
		timeout := func() error { return &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded} }
		if err := WithDeadline(context.Background(), a, timeout); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("socket timeout came back as %v", err)
		}
		wantErr := errors.New("refused")
		if err := WithDeadline(context.Background(), a, func() error { return wantErr }); err != wantErr {
			t.Fatalf("fn's error came back as %v", err)
		}
	})
}
