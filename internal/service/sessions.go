package service

import (
	"errors"
	"fmt"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/metagroup"
	"github.com/shoal-io/shoal/internal/wire"
)

// Login is the outcome of a login: a session, or an eviction reason.
type Login struct {
	UserID uint32
	Epoch  wire.Epoch
	Evict  wire.EvictionReason // 0 on success
	// Transient means the session could not be committed now (no primary
	// reachable, a full proposal lane, an outcome not seen in time): the
	// client replays the login (TransientNotAccepted, wire.md §2.3).
	Transient bool
}

// LoginPassword checks a username and password off the writer (argon2),
// then registers a session for client on the writer. If token is not
// empty and the password is wrong, the token is tried next (wire.md §2.3:
// a body may parse both ways).
func (s *Service) LoginPassword(client wire.ClientID, username, password, token string, done func(Login)) error {
	var u metadata.User
	var st wire.Status
	var noUsers bool
	return s.offload(func() {
		// Whether any user existed is read before the check: by the time
		// the check's answer is handled, the root user may have arrived.
		noUsers = s.store.Current().NeedsRoot()
		u, st = s.store.Authenticate(username, password)
	}, func() {
		switch {
		case st == wire.StatusOK:
			s.register(client, u.ID, done)
		case st == wire.StatusUserInactive:
			done(Login{Evict: wire.EvictUserInactive})
		case token != "":
			s.loginToken(client, token, done)
		case noUsers:
			// No user exists yet: a new cluster whose primary has not
			// committed the root user (or this backup has not seen it).
			// The credentials may well be right; the client retries.
			done(Login{Transient: true})
		default:
			done(Login{Evict: wire.EvictInvalidCredentials})
		}
	}, func(Outcome) { done(Login{Evict: wire.EvictSessionError}) })
}

// LoginToken logs in with a personal access token: one SHA-256 on the
// writer, no argon2. An unknown or expired token, or one of a deleted
// user, is EvictInvalidToken.
func (s *Service) LoginToken(client wire.ClientID, token string, done func(Login)) error {
	return s.submit(func() { s.loginToken(client, token, done) })
}

func (s *Service) loginToken(client wire.ClientID, token string, done func(Login)) {
	switch id, st := s.checkToken(token); st {
	case wire.StatusOK:
		s.register(client, id, done)
	case wire.StatusUserInactive:
		done(Login{Evict: wire.EvictUserInactive})
	default:
		done(Login{Evict: wire.EvictInvalidToken})
	}
}

// checkToken finds the active user a personal access token belongs to, on
// the committed state: StatusInvalidPersonalAccessToken for an unknown
// token or one of a deleted user, StatusPersonalAccessTokenExpired,
// StatusUserInactive.
func (s *Service) checkToken(token string) (uint32, wire.Status) {
	st := s.store.Current()
	tok, found := st.TokenByHash(metadata.HashToken(token))
	var u metadata.User
	user := false
	if found {
		u, user = st.User(tok.UserID)
	}
	switch {
	case !found || !user:
		return 0, wire.StatusInvalidPersonalAccessToken
	case tok.Expired(s.micros()):
		return 0, wire.StatusPersonalAccessTokenExpired
	case u.Status != metadata.UserActive:
		return 0, wire.StatusUserInactive
	}
	return u.ID, wire.StatusOK
}

// register commits Register for an authenticated user, on the writer. A
// backup forwards it to the primary (wire.md §2.7): the session is in
// the client table of every replica once it commits.
func (s *Service) register(client wire.ClientID, user uint32, done func(Login)) {
	r, _, err := s.log.Propose(metadata.Register{Client: client, UserID: user, Timestamp: s.micros()})
	if errors.Is(err, metagroup.ErrNotPrimary) {
		// The round trip to the primary runs off the writer, which
		// meanwhile serves (or refuses) other operations.
		if !s.forward(func() { s.forwardRegister(client, user, done) }) {
			done(Login{Transient: true})
		}
		return
	}
	switch {
	case errors.Is(err, metagroup.ErrBusy) || errors.Is(err, metagroup.ErrUnknown) || errors.Is(err, metagroup.ErrStopped):
		s.logger.Warn("login not committed", "err", err)
		done(Login{Transient: true})
	case err != nil:
		s.logger.Warn("login not committed", "err", err)
		done(Login{Evict: wire.EvictSessionError})
	case r.Status == wire.StatusOK:
		done(Login{UserID: user, Epoch: r.Epoch})
	case r.Status == wire.StatusResourceNotFound: // the user was deleted meanwhile
		done(Login{Evict: wire.EvictInvalidCredentials})
	default:
		done(Login{Evict: wire.EvictSessionError})
	}
}

// forwardRegister asks the primary to commit a login (on a forwarding
// goroutine).
func (s *Service) forwardRegister(client wire.ClientID, user uint32, done func(Login)) {
	epoch, out, err := s.log.ForwardRegister(client, user)
	switch {
	case err != nil:
		s.logger.Warn("login not forwarded to the primary", "err", err)
		done(Login{Transient: true})
	case out == wire.ForwardRegisterNotPrimary || out == wire.ForwardRegisterPipelineFull ||
		out == wire.ForwardRegisterNotCaughtUp || out == wire.ForwardRegisterInProgress:
		done(Login{Transient: true})
	case out == wire.ForwardRegisterOK:
		done(Login{UserID: user, Epoch: epoch})
	case out == wire.ForwardRegisterClientIDOwnedByAnotherUser:
		done(Login{Evict: wire.EvictSessionError})
	default:
		s.logger.Warn("primary refused a forwarded login", "outcome", out)
		done(Login{Evict: wire.EvictSessionError})
	}
}

// forward runs fn, a round trip to the primary, on a goroutine of its own:
// at most maxForwards at once (a backup's logins and logouts), counted in
// the writer's wait group so Close waits for them. It reports false, and
// does not run fn, when that many are already in flight or the service is
// closed.
func (s *Service) forward(fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	select {
	case s.forwards <- struct{}{}:
	default:
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.forwards }()
		fn()
	}()
	return true
}

// maxForwards bounds the logins and logouts a backup has in flight to the
// primary.
const maxForwards = 256

// Logout ends client's session epoch (a disconnect is a logout too,
// wire.md §2.10); a backup forwards it to the primary. done may be nil.
func (s *Service) Logout(client wire.ClientID, epoch wire.Epoch, done Done) error {
	return s.submit(func() {
		o := s.propose(metadata.Logout{Client: client, Epoch: epoch})
		if o.Status == wire.StatusTransientNotAccepted && s.forward(func() {
			if out, err := s.log.ForwardLogout(client, epoch); err == nil && out == wire.ForwardLogoutOK {
				o = Outcome{Status: wire.StatusOK, State: s.store.Current()}
			}
			if done != nil {
				done(o)
			}
		}) {
			return
		}
		if done != nil {
			done(o)
		}
	})
}

// Bootstrap creates the root user from creds if the metadata never had a
// user, on the writer, and reports whether it did. It proposes only on
// the primary; a backup reports false (the primary creates it).
func (s *Service) Bootstrap(creds metadata.RootCredentials) (bool, error) {
	type answer struct {
		created bool
		err     error
	}
	ch := make(chan answer, 1)
	if err := s.submit(func() {
		if !s.store.Current().NeedsRoot() {
			ch <- answer{}
			return
		}
		op, err := s.store.RootUser(creds, s.now(), nil)
		if err != nil {
			ch <- answer{err: err}
			return
		}
		r, _, err := s.log.Propose(op)
		switch {
		case errors.Is(err, metagroup.ErrNotPrimary):
			ch <- answer{}
		case err != nil:
			ch <- answer{err: err}
		case !r.OK() || r.UserID != metadata.RootUserID:
			ch <- answer{err: fmt.Errorf("%w: create root user: %v", metadata.ErrRootCredentials, r.Status)}
		default:
			ch <- answer{created: true}
		}
	}); err != nil {
		return false, err
	}
	a := <-ch
	return a.created, a.err
}
