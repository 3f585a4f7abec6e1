package service

import (
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// Login is the outcome of a login: a session, or an eviction reason.
type Login struct {
	UserID uint32
	Epoch  wire.Epoch
	Evict  wire.EvictionReason // 0 on success
}

// LoginPassword checks a username and password off the writer (argon2),
// then registers a session for client on the writer. If token is not
// empty and the password is wrong, the token is tried next (wire.md §2.3:
// a body may parse both ways).
func (s *Service) LoginPassword(client wire.ClientID, username, password, token string, done func(Login)) error {
	var u metadata.User
	var st wire.Status
	return s.offload(func() { u, st = s.store.Authenticate(username, password) }, func() {
		switch {
		case st == wire.StatusOK:
			s.register(client, u.ID, done)
		case st == wire.StatusUserInactive:
			done(Login{Evict: wire.EvictUserInactive})
		case token != "":
			s.loginToken(client, token, done)
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

// register commits Register for an authenticated user, on the writer.
func (s *Service) register(client wire.ClientID, user uint32, done func(Login)) {
	o := s.propose(metadata.Register{Client: client, UserID: user, Timestamp: s.micros()})
	switch o.Status {
	case wire.StatusOK:
		done(Login{UserID: user, Epoch: o.Result.Epoch})
	case wire.StatusResourceNotFound: // the user was deleted meanwhile
		done(Login{Evict: wire.EvictInvalidCredentials})
	default:
		done(Login{Evict: wire.EvictSessionError})
	}
}

// Logout ends client's session epoch (a disconnect is a logout too,
// wire.md §2.10). done may be nil.
func (s *Service) Logout(client wire.ClientID, epoch wire.Epoch, done Done) error {
	return s.submit(func() {
		o := s.propose(metadata.Logout{Client: client, Epoch: epoch})
		if done != nil {
			done(o)
		}
	})
}
