package server

import (
	"context"
	"fmt"
	"os"
	"time"
)

// DefaultShutdownTimeout bounds a graceful shutdown (S9).
const DefaultShutdownTimeout = 10 * time.Second

// Run starts a server with opts and serves until ctx ends, then shuts it
// down within DefaultShutdownTimeout and logs the drain outcome. With fresh
// it first deletes the data directory.
func Run(ctx context.Context, opts Options, fresh bool) error {
	if fresh {
		if err := os.RemoveAll(opts.DataDir); err != nil {
			return fmt.Errorf("server: --fresh: %w", err)
		}
	}
	srv, err := New(opts)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	<-ctx.Done()
	srv.log.Info("shutting down", "timeout", DefaultShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownTimeout)
	defer cancel()
	out, err := srv.Shutdown(sctx)
	srv.log.Info("shut down", "connections_clean", out.Clean, "connections_forced", out.Forced,
		"background_clean", out.BackgroundClean, "background_forced", out.BackgroundForced)
	return err
}
