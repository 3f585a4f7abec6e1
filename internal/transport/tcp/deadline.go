package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// aLongTimeAgo is a deadline in the past: setting it fails pending I/O.
var aLongTimeAgo = time.Unix(1, 0)

// WithDeadline runs fn, a handshake layered on nc (the replica plane's;
// ws's upgrade does the same), under ctx: nc's deadline is ctx's, and
// once ctx is done (shutdown) pending I/O fails at once. Afterwards nc has
// no deadline, ready for the frame reader and writer. (Clearing it fails
// only on a closed connection, which its next read reports; a net.Pipe
// also fails once the peer has closed, so that error is not returned.)
//
// If ctx ended while fn ran, the error says so: it wraps context.Cause(ctx)
// and fn's error (nil included, since a cancellation racing fn's end may
// have left nc's deadline in the past). An I/O timeout from ctx's deadline
// wraps context.DeadlineExceeded even if ctx has not noticed yet. Any other
// error of fn is returned as is.
func WithDeadline(ctx context.Context, nc net.Conn, fn func() error) error {
	if d, ok := ctx.Deadline(); ok {
		if err := nc.SetDeadline(d); err != nil {
			return err
		}
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	err := fn()
	switch {
	case !stop():
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	case err != nil:
		return err
	}
	nc.SetDeadline(time.Time{})
	return nil
}
