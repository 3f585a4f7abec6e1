package service

import (
	"crypto/rand"
	"encoding/base64"
	"math"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// TokenBytes is the random length of a personal access token (Iggy's): 68
// base64 characters. The server sends a token once and keeps only its
// SHA-256 (metadata.TokenHash).
const TokenBytes = 50

// CreateToken mints a personal access token for the caller. req.Expiry is
// in µs from now; 0 or math.MaxUint64 never expires. done gets the outcome
// and, when it is OK, the token.
func (s *Service) CreateToken(c Caller, req wire.CreateToken, done func(Outcome, string)) error {
	name, expiry := req.Name, req.Expiry
	var expiryAt uint64
	if expiry != 0 && expiry != math.MaxUint64 {
		now := s.micros()
		if expiry > math.MaxUint64-now {
			done(failed(wire.StatusInvalidPersonalAccessTokenExpiry), "")
			return nil
		}
		expiryAt = now + expiry
	}
	var raw [TokenBytes]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	token := base64.StdEncoding.EncodeToString(raw[:])
	return s.submit(func() {
		o := s.propose(metadata.CreatePersonalAccessToken{UserID: c.UserID, Name: name,
			Hash: metadata.HashToken(token), ExpiryAt: expiryAt})
		if o.Status != wire.StatusOK {
			token = ""
		}
		done(o, token)
	})
}

// DeleteToken deletes one of the caller's tokens.
func (s *Service) DeleteToken(c Caller, req wire.DeleteToken, done Done) error {
	return s.submit(func() { done(s.propose(metadata.DeletePersonalAccessToken{UserID: c.UserID, Name: req.Name})) })
}
