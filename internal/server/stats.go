package server

import (
	"github.com/shoal-io/shoal/internal/admin"
	"github.com/shoal-io/shoal/internal/version"
)

// Version is the server version reported by GetStats and /health.
const Version = version.Current

// adminInput is what internal/admin reads of the server for GetStats and
// GetSnapshot: the committed metadata (immutable, read without a lock),
// the partitions' counters and the connected clients. Any goroutine may
// call it.
func (srv *Server) adminInput() admin.Input {
	return admin.Input{DataDir: srv.opts.DataDir, Started: srv.started, State: srv.state(),
		Partition: srv.stats, Clients: srv.dir.len()}
}
