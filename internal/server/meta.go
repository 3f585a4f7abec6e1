package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/shoal-io/shoal/internal/admin"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/metagroup"
	"github.com/shoal-io/shoal/internal/partset"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// ErrMetadataMissing is returned by New when the data directory holds
// partition data but no metadata log: starting would begin a fresh
// metadata whose first topics overwrite that data (issue 15).
var ErrMetadataMissing = errors.New("server: partition data present but the metadata log is missing")

// ErrLegacyMetadata is returned by New for a clustered node whose data
// directory holds a metadata journal from before the metadata moved to
// the VSR log: only a standalone node starts from one.
var ErrLegacyMetadata = errors.New("server: the data directory holds a standalone node's metadata journal; a cluster node starts from an empty directory")

// groupDir is where the metadata group's VSR log lives (internal/vsrlog),
// relative to the data directory.
const groupDir = "metadata/vsr"

// openMetadata opens the metadata store and starts its consensus group:
// the state is what the group's log committed, on top of the metadata
// journal a standalone node wrote before the metadata moved to the VSR
// log (metadata.LoadJournal), if there is one. vsr.Restart re-applies
// the committed prefix this replica holds before it returns.
func (srv *Server) openMetadata() error {
	o := &srv.opts
	if err := srv.checkMetadataPresent(); err != nil {
		return err
	}
	if err := srv.fs.MkdirAll(o.DataDir, 0o700); err != nil {
		return fmt.Errorf("server: data directory %s: %w", o.DataDir, err)
	}
	base, legacy, err := metadata.LoadJournal(srv.fs, o.DataDir)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if legacy && o.Cluster.Enabled {
		return fmt.Errorf("%w (%s)", ErrLegacyMetadata, path.Join(o.DataDir, metadata.JournalPath))
	}
	store, err := metadata.NewStore(base, metadata.Options{HashParams: o.HashParams})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	srv.store = store
	if names, err := srv.fs.List(path.Join(o.DataDir, groupDir)); len(names) == 0 && (err == nil || errors.Is(err, fs.ErrNotExist)) {
		// A fresh group: no op was applied here, no effect was carried out.
		if err := partset.InitDone(srv.fs, o.DataDir); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	if err := srv.fs.MkdirAll(path.Join(o.DataDir, groupDir), 0o700); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	rc := vsr.Config{ID: wire.ReplicaID(o.Cluster.Self), Replicas: srv.replicas(), Cluster: srv.clusterID(),
		Seed: uint64(o.Cluster.Self) + 1, Timeouts: o.Cluster.Timeouts, CheckpointInterval: o.Cluster.CheckpointInterval,
		ProbeAttempts: o.Cluster.ProbeAttempts}
	g, err := metagroup.Start(metagroup.Config{Store: store, Storage: storage{srv}, Replica: rc, FS: srv.fs,
		Dir: path.Join(o.DataDir, groupDir), Transport: srv.transport(), Ticks: o.Cluster.Ticks, Now: srv.now, Logger: srv.log})
	if err != nil {
		return fmt.Errorf("server: metadata: %w", err)
	}
	srv.group.Store(g)
	srv.router.Add(wire.MetadataGroup, g.Node())
	return nil
}

// rootCredentials resolves the root user's credentials from Options.Root.
func (srv *Server) rootCredentials() (metadata.RootCredentials, error) {
	o := &srv.opts
	return metadata.ResolveRoot(func(k string) (string, bool) {
		switch k {
		case metadata.EnvRootUsername:
			return o.Root.Username, o.Root.Username != ""
		case metadata.EnvRootPassword:
			return o.Root.Password, o.Root.Password != ""
		}
		return "", false
	}, o.Root.Default, nil)
}

// bootstrap creates the root user on the first start of the cluster, on
// the primary (a backup leaves it to the primary). A standalone node
// waits for it; a cluster node keeps trying in the background until the
// metadata has a user (bootstrapLoop).
func (srv *Server) bootstrap(creds metadata.RootCredentials) (bool, error) {
	created, err := srv.svc.Bootstrap(creds)
	if err != nil || !created {
		return created, err
	}
	if creds.Source == metadata.RootGenerated {
		// Printed once, at the first start; it is not stored anywhere in
		// clear.
		srv.log.Warn("root user created with a generated password; it is shown only now",
			"username", creds.Username, "password", creds.Password)
	} else {
		srv.log.Info("root user created", "username", creds.Username, "source", creds.Source)
	}
	return true, nil
}

// bootstrapStandalone creates the root user of a standalone node before
// New returns: its group of one becomes primary as soon as it has
// re-committed its own log.
//
// A restarted group of one first rejoins its view (a round on its own
// goroutine); New waits for that, so that the node serves once it can
// commit.
func (srv *Server) bootstrapStandalone(creds metadata.RootCredentials) error {
	g := srv.group.Load()
	deadline := time.Now().Add(metagroup.DefaultTimeout)
	for !g.IsPrimary() {
		if time.Now().After(deadline) {
			return errors.New("server: the metadata group did not become primary")
		}
		select {
		case <-g.Node().Done():
			return fmt.Errorf("server: metadata group stopped: %w", g.Node().Err())
		case <-time.After(time.Millisecond):
		}
	}
	if srv.state().NeedsRoot() {
		if _, err := srv.bootstrap(creds); err != nil {
			return fmt.Errorf("server: root user: %w", err)
		}
	}
	return nil
}

// bootstrapLoop creates the root user of a cluster once a primary is
// elected, if the cluster never had a user, retrying until ctx ends.
func (srv *Server) bootstrapLoop(ctx context.Context, creds metadata.RootCredentials) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for srv.state().NeedsRoot() {
		if _, err := srv.bootstrap(creds); err != nil {
			srv.log.Warn("root user not created yet", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkMetadataPresent refuses a data directory whose metadata log is gone
// while streams are still on disk.
func (srv *Server) checkMetadataPresent() error {
	dir := srv.opts.DataDir
	for _, p := range []string{metadata.JournalPath, groupDir} {
		if _, err := srv.fs.Stat(path.Join(dir, p)); !errors.Is(err, fs.ErrNotExist) {
			return nil // present, or an error opening it reports better
		}
	}
	streams, err := srv.fs.List(path.Join(dir, "streams"))
	if err != nil || len(streams) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s has %d stream directories and no %s; restore the metadata log, or move the data away (or start with --fresh to delete it)",
		ErrMetadataMissing, dir, len(streams), groupDir)
}

// readStats answers GetStats: process figures plus the counts of the
// committed metadata and the partitions' counters (internal/admin).
func (srv *Server) readStats(_ *shard.Shard, _ *session, _ []byte) ([]byte, wire.Status) {
	s := admin.Stats(srv.adminInput())
	return s.Append(nil), wire.StatusOK
}
