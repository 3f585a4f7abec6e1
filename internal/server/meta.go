package server

import (
	"context"
	"fmt"
	"time"

	"github.com/shoal-io/shoal/internal/admin"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// metaState is the metadata owner: the durable store and what shard 0
// needs around it. Its methods run on shard 0's goroutine (S5), except
// where noted.
type metaState struct {
	srv   *Server
	store *metadata.Store
}

func openMeta(srv *Server) (*metaState, error) {
	o := &srv.opts
	if err := vfs.Default.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("server: data directory %s: %w", o.DataDir, err)
	}
	store, err := metadata.Open(vfs.Default, o.DataDir, metadata.Options{HashParams: o.HashParams})
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
	created, err := store.Bootstrap(creds, time.Now(), nil)
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
	m := &metaState{srv: srv, store: store}
	m.publishCommit()
	return m, nil
}

func (m *metaState) close() error {
	if err := m.store.Close(); err != nil {
		return fmt.Errorf("server: metadata: %w", err)
	}
	return nil
}

// publishCommit makes the metadata commit position visible to reply
// headers on every shard.
func (m *metaState) publishCommit() { m.srv.commit.Store(m.store.Current().Applied()) }

// propose makes op durable and applies it (S12: the caller replies only
// after this returns). A store failure is fatal to the operation and
// reported as a server error status; the journal is poisoned and later
// proposals fail the same way.
func (m *metaState) propose(op metadata.Op) metadata.Result {
	r, err := m.store.Propose(op)
	if err != nil {
		m.srv.log.Error("metadata proposal failed", "kind", op.Kind(), "err", err)
		return metadata.Result{Status: wire.StatusError}
	}
	m.publishCommit()
	m.srv.carryOut(r.Effects)
	return r
}

// loginResult is the outcome of a login: a session, or an eviction reason.
type loginResult struct {
	userID uint32
	epoch  wire.Epoch
	evict  wire.EvictionReason
}

// login checks the credentials off the shard loops (argon2 is slow by
// design), then commits Register on shard 0 and calls done there (or, if
// shard 0 refuses the work, from the checking goroutine).
func (m *metaState) login(client wire.ClientID, username, password string, done func(loginResult)) {
	err := m.srv.rt.Shard(0).Bus().Go(func(context.Context) {
		u, st := m.store.Authenticate(username, password) // safe off shard 0: the store locks
		queued := m.srv.onMeta(func(m *metaState) {
			switch st {
			case wire.StatusOK:
				m.register(client, u.ID, done)
			case wire.StatusUserInactive:
				done(loginResult{evict: wire.EvictUserInactive})
			default:
				done(loginResult{evict: wire.EvictInvalidCredentials})
			}
		})
		if !queued {
			// Off the shard loops, done only hands the answer to the
			// connection's shard.
			done(loginResult{evict: wire.EvictSessionError})
		}
	})
	if err != nil {
		done(loginResult{evict: wire.EvictSessionError})
	}
}

// register commits Register for an authenticated user and calls done.
func (m *metaState) register(client wire.ClientID, user uint32, done func(loginResult)) {
	r := m.propose(metadata.Register{Client: client, UserID: user, Timestamp: uint64(time.Now().UnixMicro())})
	switch r.Status {
	case wire.StatusOK:
		done(loginResult{userID: user, epoch: r.Epoch})
	case wire.StatusResourceNotFound: // the user was deleted meanwhile
		done(loginResult{evict: wire.EvictInvalidCredentials})
	default:
		done(loginResult{evict: wire.EvictSessionError})
	}
}

// endSession commits a Logout for client's session epoch.
func (m *metaState) endSession(client wire.ClientID, epoch wire.Epoch) metadata.Result {
	return m.propose(metadata.Logout{Client: client, Epoch: epoch})
}

// readStats answers GetStats: process figures plus the counts of the
// committed metadata and the partitions' counters (internal/admin).
func (m *metaState) readStats(_ caller, _ []byte) ([]byte, wire.Status) {
	s := admin.Stats(m.srv.adminInput())
	return s.Append(nil), wire.StatusOK
}
