package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWT configures the access tokens ([http.jwt]).
type JWT struct {
	// Algorithm is HS256, HS384 or HS512.
	Algorithm        string
	Issuer, Audience string
	// ValidIssuers and ValidAudiences are what a token must name (any of);
	// empty accepts any.
	ValidIssuers, ValidAudiences []string
	// AccessTokenExpiry is a token's lifetime; ClockSkew the leeway on exp
	// and nbf; NotBefore delays a new token's validity.
	AccessTokenExpiry, ClockSkew, NotBefore time.Duration
	// EncodingSecret and DecodingSecret are the HMAC key, base64 when
	// UseBase64Secret. Both empty: a random key per start.
	EncodingSecret, DecodingSecret string
	UseBase64Secret                bool
	// PreviousSecret, if set, is a verify-only HMAC key (encoded as the
	// others): tokens signed with it stay valid during a key rotation.
	PreviousSecret string
}

// DefaultMaxRevoked bounds the revocation set: tokens revoked (logout,
// refresh) and not yet expired.
const DefaultMaxRevoked = 100_000

// errRevokedFull means the revocation set is full of unexpired tokens:
// the logout or refresh is refused (retry) rather than forget one.
var errRevokedFull = errors.New("httpapi: revocation set full")

// tokens issues and checks access tokens (golang-jwt). A token is the
// proof of identity of every request: the HTTP API keeps no sessions.
// Logout and refresh revoke a token by its id until it expires; the set of
// revoked ids is bounded (expired ids are dropped first). Safe for
// concurrent use.
type tokens struct {
	cfg    JWT
	method jwt.SigningMethod
	secret []byte
	keys   any // what the parser checks signatures with: secret, or it and the previous key
	now    func() time.Time
	parser *jwt.Parser
	max    int

	mu      sync.Mutex
	revoked map[string]time.Time // token id → expiry; +checklocks:mu
}

// identity is who a valid token names.
type identity struct {
	userID uint32
	id     string // jti
	expiry time.Time
}

// generated is a new access token.
type generated struct {
	userID uint32
	token  string
	expiry int64 // Unix seconds
}

func newTokens(cfg JWT, now func() time.Time, log *slog.Logger) (*tokens, error) {
	m := jwt.GetSigningMethod(cfg.Algorithm)
	if _, ok := m.(*jwt.SigningMethodHMAC); !ok {
		return nil, fmt.Errorf("httpapi: jwt algorithm %q: want HS256, HS384 or HS512", cfg.Algorithm)
	}
	if cfg.AccessTokenExpiry <= 0 {
		return nil, errors.New("httpapi: jwt access_token_expiry must be positive")
	}
	secret := cfg.EncodingSecret
	switch {
	case secret == "" && cfg.DecodingSecret == "":
	case secret == "":
		secret = cfg.DecodingSecret
	case cfg.DecodingSecret != "" && cfg.DecodingSecret != secret:
		return nil, errors.New("httpapi: jwt encoding_secret and decoding_secret differ; an HMAC key is one secret")
	}
	var key []byte
	switch {
	case secret == "":
		key = make([]byte, 48)
		_, _ = rand.Read(key) // crypto/rand.Read never fails
		log.Warn("no JWT secret configured: a random one was generated; access tokens will not survive a restart " +
			"(set http.jwt.encoding_secret to keep them)")
	default:
		var err error
		if key, err = cfg.decodeKey(secret); err != nil {
			return nil, err
		}
	}
	t := &tokens{cfg: cfg, method: m, secret: key, keys: key, now: now, max: DefaultMaxRevoked, revoked: map[string]time.Time{}}
	if cfg.PreviousSecret != "" {
		prev, err := cfg.decodeKey(cfg.PreviousSecret)
		if err != nil {
			return nil, err
		}
		t.keys = jwt.VerificationKeySet{Keys: []jwt.VerificationKey{key, prev}}
	}
	t.parser = jwt.NewParser(jwt.WithValidMethods([]string{m.Alg()}), jwt.WithLeeway(cfg.ClockSkew),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(now))
	return t, nil
}

// decodeKey turns a configured secret into an HMAC key.
func (cfg *JWT) decodeKey(secret string) ([]byte, error) {
	if !cfg.UseBase64Secret {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("httpapi: jwt secret is not base64: %w", err)
	}
	return key, nil
}

// generate issues a token for user: Iggy's claims jti, iss, aud, sub (the
// user id), iat, exp, nbf.
func (t *tokens) generate(user uint32) (generated, error) {
	now := t.now().Truncate(time.Second)
	exp := now.Add(t.cfg.AccessTokenExpiry)
	var id [16]byte
	_, _ = rand.Read(id[:])
	claims := jwt.MapClaims{
		"jti": hex.EncodeToString(id[:]), "iss": t.cfg.Issuer, "aud": t.cfg.Audience,
		"sub": strconv.FormatUint(uint64(user), 10),
		"iat": now.Unix(), "exp": exp.Unix(), "nbf": now.Add(t.cfg.NotBefore).Unix(),
	}
	s, err := jwt.NewWithClaims(t.method, claims).SignedString(t.secret)
	if err != nil {
		return generated{}, err
	}
	return generated{userID: user, token: s, expiry: exp.Unix()}, nil
}

// verify checks a token's signature, algorithm, times, issuer and
// audience, and that it is not revoked.
func (t *tokens) verify(token string) (identity, bool) {
	var c jwt.RegisteredClaims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.keys, nil })
	if err != nil || c.ID == "" || c.ExpiresAt == nil {
		return identity{}, false
	}
	if len(t.cfg.ValidIssuers) > 0 && !slices.Contains(t.cfg.ValidIssuers, c.Issuer) {
		return identity{}, false
	}
	if len(t.cfg.ValidAudiences) > 0 && !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(t.cfg.ValidAudiences, a) }) {
		return identity{}, false
	}
	user, err := strconv.ParseUint(c.Subject, 10, 32)
	if err != nil {
		return identity{}, false
	}
	t.mu.Lock()
	_, revoked := t.revoked[c.ID]
	t.mu.Unlock()
	if revoked {
		return identity{}, false
	}
	return identity{userID: uint32(user), id: c.ID, expiry: c.ExpiresAt.Time}, true
}

// revoke marks a token revoked until it expires. It reports false if it
// was revoked already (a token is refreshed once), and errRevokedFull
// when the set holds max unexpired tokens.
func (t *tokens) revoke(id identity) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.revoked[id.id]; ok {
		return false, nil
	}
	if len(t.revoked) >= t.max {
		t.pruneLocked()
		if len(t.revoked) >= t.max {
			return false, errRevokedFull
		}
	}
	t.revoked[id.id] = id.expiry
	return true, nil
}

// pruneLocked drops the revoked ids whose tokens have expired (beyond the
// clock skew, so no check could still accept them). t.mu must be held.
func (t *tokens) pruneLocked() {
	cut := t.now().Add(-t.cfg.ClockSkew)
	for id, exp := range t.revoked {
		if exp.Before(cut) {
			delete(t.revoked, id)
		}
	}
}
