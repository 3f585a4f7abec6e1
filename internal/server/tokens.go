package server

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"math"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// Personal access tokens, as Iggy serves them: a user creates named
// tokens for themselves, lists and deletes them, and logs in with one
// instead of a password (the token body of Register). The server mints a
// token of tokenBytes random bytes, sends it once in base64 and keeps
// only its SHA-256 (metadata.TokenHash).

// codeGetAccessTokens lists the caller's tokens.
const codeGetAccessTokens = 41

// tokenBytes is the random length of a token (Iggy's), 68 base64 chars.
const tokenBytes = 50

func init() {
	metaOps[wire.OpCreatePersonalAccessToken] = now((*metaState).createToken)
	metaOps[wire.OpDeletePersonalAccessToken] = now((*metaState).deleteToken)
	metaReads[codeGetAccessTokens] = (*metaState).readTokens
}

// createToken: [name str8][expiry u64 µs: 0 or math.MaxUint64 never
// expires]. Reply: [token_len u8][token].
func (m *metaState) createToken(c caller, body []byte) ([]byte, wire.Status) {
	d := bodyReader{b: body}
	name := string(d.bytes(int(d.u8())))
	expiry := d.u64()
	if d.bad || len(d.b) != 0 {
		return nil, wire.StatusInvalidCommand
	}
	var expiryAt uint64
	if expiry != 0 && expiry != math.MaxUint64 {
		nowMicros := uint64(time.Now().UnixMicro())
		if expiry > math.MaxUint64-nowMicros {
			return nil, wire.StatusInvalidPersonalAccessTokenExpiry
		}
		expiryAt = nowMicros + expiry
	}
	var raw [tokenBytes]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	token := base64.StdEncoding.EncodeToString(raw[:])
	r := m.propose(metadata.CreatePersonalAccessToken{UserID: c.userID, Name: name,
		Hash: metadata.HashToken(token), ExpiryAt: expiryAt})
	if !r.OK() {
		return nil, r.Status
	}
	return append([]byte{byte(len(token))}, token...), wire.StatusOK
}

// deleteToken: [name str8]. Reply: empty.
func (m *metaState) deleteToken(c caller, body []byte) ([]byte, wire.Status) {
	d := bodyReader{b: body}
	name := string(d.bytes(int(d.u8())))
	if d.bad || len(d.b) != 0 {
		return nil, wire.StatusInvalidCommand
	}
	return nil, m.propose(metadata.DeletePersonalAccessToken{UserID: c.userID, Name: name}).Status
}

// readTokens answers GetPersonalAccessTokens (41): the caller's tokens,
// each [name str8][expiry_at u64 µs, 0 never].
func (m *metaState) readTokens(c caller, _ []byte) ([]byte, wire.Status) {
	var out []byte
	st := m.state()
	for _, t := range st.Tokens(c.userID) {
		out = append(out, byte(len(t.Name)))
		out = append(out, t.Name...)
		out = binary.LittleEndian.AppendUint64(out, t.ExpiryAt)
	}
	return out, wire.StatusOK
}

// loginToken checks a personal access token on shard 0 (one SHA-256, no
// need to leave the loop) and commits Register for its user. An unknown
// or expired token, or one of a deleted user, is EvictInvalidToken.
func (m *metaState) loginToken(client wire.ClientID, token string, done func(loginResult)) {
	var tok metadata.AccessToken
	var u metadata.User
	var found, user bool
	st := m.state()
	if tok, found = st.TokenByHash(metadata.HashToken(token)); found {
		u, user = st.User(tok.UserID)
	}
	switch {
	case !found || !user || tok.Expired(uint64(time.Now().UnixMicro())):
		done(loginResult{evict: wire.EvictInvalidToken})
	case u.Status != metadata.UserActive:
		done(loginResult{evict: wire.EvictUserInactive})
	default:
		m.register(client, u.ID, done)
	}
}
