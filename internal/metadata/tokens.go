package metadata

import (
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// MaxTokensPerUser bounds a user's personal access tokens (Iggy's default
// personal_access_token.max_tokens_per_user).
const MaxTokensPerUser = 100

// TokenHash is the SHA-256 of a personal access token. Only the hash is
// journaled and kept: the token itself leaves the server once, in the
// reply to the request that created it.
type TokenHash [sha256.Size]byte

// HashToken returns token's hash.
func HashToken(token string) TokenHash { return sha256.Sum256([]byte(token)) }

// AccessToken is a personal access token as the state holds it.
type AccessToken struct {
	UserID   uint32
	Name     string
	Hash     TokenHash
	ExpiryAt uint64 // µs since the Unix epoch; 0 never expires
}

// Expired reports whether t has expired at now (µs since the Unix epoch).
func (t *AccessToken) Expired(now uint64) bool { return t.ExpiryAt != 0 && t.ExpiryAt <= now }

// CreatePersonalAccessToken adds a token for a user. The proposer mints the
// token and computes ExpiryAt from its clock, so applying is
// deterministic.
type CreatePersonalAccessToken struct {
	UserID   uint32
	Name     string
	Hash     TokenHash
	ExpiryAt uint64
}

// DeletePersonalAccessToken removes one of a user's tokens by name.
type DeletePersonalAccessToken struct {
	UserID uint32
	Name   string
}

func (CreatePersonalAccessToken) Kind() Kind { return KindCreatePersonalAccessToken }
func (DeletePersonalAccessToken) Kind() Kind { return KindDeletePersonalAccessToken }

func (o CreatePersonalAccessToken) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, o.UserID)
	b = appendStr8(b, o.Name)
	b = append(b, o.Hash[:]...)
	return binary.LittleEndian.AppendUint64(b, o.ExpiryAt)
}

func (o DeletePersonalAccessToken) appendBody(b []byte) []byte {
	return appendStr8(binary.LittleEndian.AppendUint32(b, o.UserID), o.Name)
}

func init() {
	decoders[KindCreatePersonalAccessToken] = func(d *decoder) Op {
		o := CreatePersonalAccessToken{UserID: d.u32(), Name: d.str8()}
		copy(o.Hash[:], d.take(len(o.Hash)))
		o.ExpiryAt = d.u64()
		return o
	}
	decoders[KindDeletePersonalAccessToken] = func(d *decoder) Op {
		return DeletePersonalAccessToken{UserID: d.u32(), Name: d.str8()}
	}
}

// tokenTable holds the personal access tokens.
//
// Invariants, checked by the package tests: byHash and byUser hold the
// same tokens; every token's user exists; no user has more than
// MaxTokensPerUser.
type tokenTable struct {
	byUser map[uint32]map[string]*AccessToken
	byHash map[TokenHash]*AccessToken
}

func (t *tokenTable) init() {
	if t.byUser == nil {
		t.byUser = map[uint32]map[string]*AccessToken{}
		t.byHash = map[TokenHash]*AccessToken{}
	}
}

// checkToken is Check for the token operations.
func (s *State) checkToken(o Op) Result {
	t := &s.tokens
	switch o := o.(type) {
	case CreatePersonalAccessToken:
		_, user := s.users[o.UserID]
		_, taken := t.byUser[o.UserID][o.Name]
		_, dup := t.byHash[o.Hash]
		switch {
		case !user:
			return Result{Status: wire.StatusResourceNotFound}
		case !validName(o.Name):
			return Result{Status: wire.StatusInvalidPersonalAccessTokenName}
		case taken:
			return Result{Status: wire.StatusPersonalAccessTokenAlreadyExists}
		case len(t.byUser[o.UserID]) >= MaxTokensPerUser:
			return Result{Status: wire.StatusPersonalAccessTokensLimitReached}
		case dup: // a 400-bit random token collided: refuse rather than alias
			return Result{Status: wire.StatusPersonalAccessTokenAlreadyExists}
		}
	case DeletePersonalAccessToken:
		if _, ok := t.byUser[o.UserID][o.Name]; !ok {
			return Result{Status: wire.StatusResourceNotFound}
		}
	}
	return Result{}
}

// applyToken applies a token operation checkToken accepted.
func (s *State) applyToken(o Op) {
	t := &s.tokens
	t.init()
	switch o := o.(type) {
	case CreatePersonalAccessToken:
		tok := &AccessToken{UserID: o.UserID, Name: o.Name, Hash: o.Hash, ExpiryAt: o.ExpiryAt}
		if t.byUser[o.UserID] == nil {
			t.byUser[o.UserID] = map[string]*AccessToken{}
		}
		t.byUser[o.UserID][o.Name] = tok
		t.byHash[o.Hash] = tok
	case DeletePersonalAccessToken:
		tok := t.byUser[o.UserID][o.Name]
		delete(t.byHash, tok.Hash)
		delete(t.byUser[o.UserID], o.Name)
		if len(t.byUser[o.UserID]) == 0 {
			delete(t.byUser, o.UserID)
		}
	}
}

// dropTokens removes every token of a deleted user.
func (s *State) dropTokens(user uint32) {
	for _, tok := range s.tokens.byUser[user] {
		delete(s.tokens.byHash, tok.Hash)
	}
	delete(s.tokens.byUser, user)
}

// Tokens returns a user's tokens, by name.
func (s *State) Tokens(user uint32) []AccessToken {
	m := s.tokens.byUser[user]
	out := make([]AccessToken, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, *m[name])
	}
	return out
}

// TokenByHash returns the token whose hash is h.
func (s *State) TokenByHash(h TokenHash) (AccessToken, bool) {
	tok, ok := s.tokens.byHash[h]
	if !ok {
		return AccessToken{}, false
	}
	return *tok, true
}

// appendTokens appends the token table to a digest encoding.
func (s *State) appendTokens(b []byte) []byte {
	for _, user := range slices.Sorted(maps.Keys(s.tokens.byUser)) {
		for _, tok := range s.Tokens(user) {
			b = AppendOp(b, CreatePersonalAccessToken(tok))
		}
	}
	return b
}
