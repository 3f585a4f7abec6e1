package service

import (
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// Authentication without a session, for front ends that carry their own
// proof of identity (the HTTP API's JWTs): the same checks as a login
// (sessions.go), but nothing is registered or journaled.

// Authenticate checks a username and password off the writer, on the
// password pool (argon2, bounded as logins are). done gets the user's id
// and StatusOK, or StatusInvalidCredentials, StatusUserInactive, or
// StatusTransientNotAccepted / StatusError when the writer is busy or
// closing once the check is done.
func (s *Service) Authenticate(username, password string, done func(userID uint32, st wire.Status)) error {
	var u metadata.User
	var st wire.Status
	return s.offload(func() { u, st = s.store.Authenticate(username, password) },
		func() { done(u.ID, st) },
		func(o Outcome) { done(0, o.Status) })
}

// AuthenticateToken checks a personal access token: one SHA-256 on the
// committed state, on the caller's goroutine. It returns the active user
// the token belongs to, or StatusInvalidPersonalAccessToken,
// StatusPersonalAccessTokenExpired or StatusUserInactive.
func (s *Service) AuthenticateToken(token string) (uint32, wire.Status) { return s.checkToken(token) }
