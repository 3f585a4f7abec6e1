package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/server/servertest"
	"github.com/shoal-io/shoal/internal/wire"
)

// Users and tokens through the typed API against a real server: the root
// user creates alice, alice makes a token, a second client logs in with it
// (and again after its connection is cut), and the token goes.
func TestUsersAndTokensAgainstServer(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	dial := func(opts ...Option) *Client {
		t.Helper()
		c, err := Dial(ctx, srv.Addr("tcp").String(), append([]Option{WithHeartbeat(0)}, opts...)...)
		must(err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	root := dial(WithCredentials(servertest.Username, servertest.Password))
	u, err := root.CreateUser(ctx, "alice", "secret1", 0)
	must(err)
	if u.Username != "alice" || u.Status != UserActive || u.CreatedAt.IsZero() {
		t.Fatalf("created %+v", u)
	}
	must(root.UpdateUser(ctx, NamedID("alice"), "alicia", 0))
	users, err := root.Users(ctx)
	must(err)
	if len(users) != 2 || users[1].Username != "alicia" {
		t.Fatalf("users %+v", users)
	}

	alice := dial(WithCredentials("alicia", "secret1"))
	if err := alice.ChangePassword(ctx, NamedID("alicia"), "wrong", "secret2"); !errors.Is(err, &StatusError{Status: wire.StatusInvalidCredentials}) {
		t.Fatalf("wrong current password: %v", err)
	}
	must(alice.ChangePassword(ctx, NamedID("alicia"), "secret1", "secret2"))
	token, err := alice.CreateToken(ctx, "ci", 0)
	must(err)
	_, err = alice.CreateToken(ctx, "hour", time.Hour)
	must(err)
	tokens, err := alice.Tokens(ctx)
	must(err)
	if len(tokens) != 2 || tokens[0].Name != "ci" || !tokens[0].ExpiresAt.IsZero() ||
		tokens[1].Name != "hour" || time.Until(tokens[1].ExpiresAt) <= 0 {
		t.Fatalf("tokens %+v", tokens)
	}

	bot := dial(WithToken(token))
	me, err := bot.Request(ctx, wire.OpNonReplicated, CodeMe, nil)
	must(err)
	if info, _, err := wire.DecodeClientInfo(me, true); err != nil || info.UserID != u.ID {
		t.Fatalf("token login is user %d (%v), want %d", info.UserID, err, u.ID)
	}
	// A dropped connection logs in again with the token.
	bot.mu.Lock()
	bot.dropLocked()
	bot.mu.Unlock()
	must(bot.Ping(ctx))
	if _, err := bot.Request(ctx, wire.OpNonReplicated, CodeMe, nil); err != nil {
		t.Fatalf("after reconnect: %v", err)
	}

	must(alice.DeleteToken(ctx, "ci"))
	other := dial(WithReconnect(false))
	var ee *EvictionError
	if _, err := other.LoginWithToken(ctx, token); !errors.As(err, &ee) || ee.Reason != wire.EvictInvalidToken {
		t.Fatalf("deleted token: %v", err)
	}
	must(root.DeleteUser(ctx, NamedID("alicia")))
}
