package server

import (
	"fmt"

	"github.com/shoal-io/shoal/internal/admin"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// openStore opens the metadata store under the data directory (replaying
// its log) and creates the root user on the first start.
func openStore(srv *Server) (*metadata.Store, error) {
	o := &srv.opts
	if err := srv.fs.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("server: data directory %s: %w", o.DataDir, err)
	}
	store, err := metadata.Open(srv.fs, o.DataDir, metadata.Options{HashParams: o.HashParams})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	creds, err := metadata.ResolveRoot(func(k string) (string, bool) {
		switch k {
		case metadata.EnvRootUsername:
			return o.Root.Username, o.Root.Username != ""
		case metadata.EnvRootPassword:
			return o.Root.Password, o.Root.Password != ""
		}
		return "", false
	}, o.Root.Default, nil)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	created, err := store.Bootstrap(creds, srv.now(), nil)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("server: root user: %w", err)
	}
	if created {
		if creds.Source == metadata.RootGenerated {
			// Printed once, at the first start; it is not stored anywhere in
			// clear.
			srv.log.Warn("root user created with a generated password; it is shown only now",
				"username", creds.Username, "password", creds.Password)
		} else {
			srv.log.Info("root user created", "username", creds.Username, "source", creds.Source)
		}
	}
	return store, nil
}

// readStats answers GetStats: process figures plus the counts of the
// committed metadata and the partitions' counters (internal/admin).
func (srv *Server) readStats(_ *shard.Shard, _ *session, _ []byte) ([]byte, wire.Status) {
	s := admin.Stats(srv.adminInput())
	return s.Append(nil), wire.StatusOK
}
