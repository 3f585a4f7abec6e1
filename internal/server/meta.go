package server

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/shoal-io/shoal/internal/admin"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// ErrMetadataMissing is returned by New when the data directory holds
// partition data but no metadata log: starting would begin a fresh
// metadata whose first topics overwrite that data (issue 15).
var ErrMetadataMissing = errors.New("server: partition data present but the metadata log is missing")

// openStore opens the metadata store under the data directory (replaying
// its log) and creates the root user on the first start.
func openStore(srv *Server) (*metadata.Store, error) {
	o := &srv.opts
	if err := srv.checkMetadataPresent(); err != nil {
		return nil, err
	}
	if err := srv.fs.MkdirAll(o.DataDir, 0o700); err != nil {
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

// checkMetadataPresent refuses a data directory whose metadata log is gone
// while streams are still on disk.
func (srv *Server) checkMetadataPresent() error {
	dir := srv.opts.DataDir
	if _, err := srv.fs.Stat(path.Join(dir, metadata.JournalPath)); !errors.Is(err, fs.ErrNotExist) {
		return nil // present, or an error metadata.Open reports better
	}
	streams, err := srv.fs.List(path.Join(dir, "streams"))
	if err != nil || len(streams) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s has %d stream directories and no %s; restore the metadata log, or move the data away (or start with --fresh to delete it)",
		ErrMetadataMissing, dir, len(streams), metadata.JournalPath)
}

// readStats answers GetStats: process figures plus the counts of the
// committed metadata and the partitions' counters (internal/admin).
func (srv *Server) readStats(_ *shard.Shard, _ *session, _ []byte) ([]byte, wire.Status) {
	s := admin.Stats(srv.adminInput())
	return s.Append(nil), wire.StatusOK
}
