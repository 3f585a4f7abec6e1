package metadata

import (
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// checkTokenInvariants checks tokenTable's documented invariants.
func checkTokenInvariants(t *testing.T, s *State) {
	t.Helper()
	n := 0
	for user, m := range s.tokens.byUser {
		if _, ok := s.users[user]; !ok {
			t.Fatalf("tokens of missing user %d", user)
		}
		if len(m) == 0 || len(m) > MaxTokensPerUser {
			t.Fatalf("user %d holds %d tokens", user, len(m))
		}
		for name, tok := range m {
			if tok.Name != name || tok.UserID != user || s.tokens.byHash[tok.Hash] != tok {
				t.Fatalf("token %d/%q indexed wrongly", user, name)
			}
			n++
		}
	}
	if n != len(s.tokens.byHash) {
		t.Fatalf("%d tokens by user, %d by hash", n, len(s.tokens.byHash))
	}
}

func TestPersonalAccessTokenRules(t *testing.T) {
	s := NewState()
	do := func(op Op, want wire.Status) {
		t.Helper()
		if r := s.Check(op); r.Status != want {
			t.Fatalf("Check %+v: %v, want %v", op, r.Status, want)
		}
		if r := s.Apply(Encode(op)); r.Status != want {
			t.Fatalf("Apply %+v: %v, want %v", op, r.Status, want)
		}
		checkTokenInvariants(t, s)
	}
	do(CreateUser{Status: UserActive, Username: "root", Password: testHash(t, "aaaa")}, wire.StatusOK)
	do(CreateUser{Status: UserActive, Username: "alice", Password: testHash(t, "bbbb")}, wire.StatusOK)
	do(CreatePersonalAccessToken{UserID: 7, Name: "x", Hash: HashToken("x")}, wire.StatusResourceNotFound)
	do(CreatePersonalAccessToken{UserID: 1, Name: "", Hash: HashToken("x")}, wire.StatusInvalidPersonalAccessTokenName)
	for i := range MaxTokensPerUser {
		do(CreatePersonalAccessToken{UserID: 1, Name: fmt.Sprint("t", i), Hash: HashToken(fmt.Sprint("secret", i))}, wire.StatusOK)
	}
	do(CreatePersonalAccessToken{UserID: 1, Name: "t0", Hash: HashToken("other")}, wire.StatusPersonalAccessTokenAlreadyExists)
	do(CreatePersonalAccessToken{UserID: 1, Name: "more", Hash: HashToken("more")}, wire.StatusPersonalAccessTokensLimitReached)
	do(CreatePersonalAccessToken{UserID: 0, Name: "t0", Hash: HashToken("secret0")}, wire.StatusPersonalAccessTokenAlreadyExists) // same secret
	do(CreatePersonalAccessToken{UserID: 0, Name: "t0", Hash: HashToken("root's"), ExpiryAt: 10}, wire.StatusOK)
	if tok, ok := s.TokenByHash(HashToken("root's")); !ok || tok.UserID != 0 || !tok.Expired(10) || tok.Expired(9) {
		t.Fatalf("root's token %+v %v", tok, ok)
	}
	do(DeletePersonalAccessToken{UserID: 1, Name: "nope"}, wire.StatusResourceNotFound)
	do(DeletePersonalAccessToken{UserID: 1, Name: "t5"}, wire.StatusOK)
	if len(s.Tokens(1)) != MaxTokensPerUser-1 {
		t.Fatalf("%d tokens after a delete", len(s.Tokens(1)))
	}
	before := s.Digest()
	do(DeleteUser{UserID: 1}, wire.StatusOK)
	if len(s.Tokens(1)) != 0 || s.Digest() == before {
		t.Fatal("a deleted user's tokens remain")
	}
	if _, ok := s.TokenByHash(HashToken("secret0")); ok {
		t.Fatal("a deleted user's token still resolves")
	}
}
