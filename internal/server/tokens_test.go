package server

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

func createTokenBody(name string, expiry uint64) []byte {
	return binary.LittleEndian.AppendUint64(str8(name), expiry)
}

// loginToken sends a Register with a token body and returns the reply
// header and payload, or the eviction reason (0 if none).
func (rc *rawConn) loginToken(token string) (wire.Epoch, wire.EvictionReason) {
	rc.t.Helper()
	body := (&wire.LoginToken{Version: wire.ClientVersionInfo{Protocol: wire.CurrentProtocolVersion,
		SDKName: []byte("raw"), SDKVersion: []byte("1")}, Token: []byte(token)}).Append(nil)
	rc.send(wire.RequestHeader{Operation: wire.OpRegister}, body)
	f := rc.next()
	defer f.Release()
	if f.Command() == wire.CommandEviction {
		var h wire.EvictionHeader
		if err := h.Decode(f.Bytes()); err != nil {
			rc.t.Fatal(err)
		}
		return 0, h.Reason
	}
	payload, st, err := wire.SplitResult(f.Body())
	var lr wire.LoginReply
	if st != 0 || err != nil || lr.Decode(payload) != nil {
		rc.t.Fatalf("token login: %v %v", st, err)
	}
	return lr.Session, 0
}

// Personal access tokens: create, list, log in with one, refuse an
// expired, deleted or unknown one, and keep them across a restart.
func TestPersonalAccessTokens(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	ctx := context.Background()
	root := ts.dial(client.WithCredentials("iggy", "iggy"))
	req := func(c *client.Client, op wire.Operation, code uint32, body []byte) ([]byte, error) {
		return c.Request(ctx, op, code, body)
	}
	_, err := req(root, wire.OpCreateUser, 0, createUserBody("alice", "secret1"))
	wantStatus(t, "create alice", err, wire.StatusOK)
	alice, err := login(t, ts, "alice", "secret1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := req(alice, wire.OpCreatePersonalAccessToken, 0, createTokenBody("ci", 0))
	wantStatus(t, "create ci", err, wire.StatusOK)
	if len(b) != 69 || int(b[0]) != 68 {
		t.Fatalf("token reply %q", b)
	}
	token := string(b[1:])
	_, err = req(alice, wire.OpCreatePersonalAccessToken, 0, createTokenBody("ci", 0))
	wantStatus(t, "same name", err, wire.StatusPersonalAccessTokenAlreadyExists)
	_, err = req(alice, wire.OpCreatePersonalAccessToken, 0, createTokenBody("", 0))
	wantStatus(t, "empty name", err, wire.StatusInvalidPersonalAccessTokenName)
	b, err = req(alice, wire.OpCreatePersonalAccessToken, 0, createTokenBody("gone", 1)) // expires in 1 µs
	wantStatus(t, "create gone", err, wire.StatusOK)
	expired := string(b[1:])
	_, err = req(alice, wire.OpCreatePersonalAccessToken, 0, createTokenBody("far", math.MaxUint64-1))
	wantStatus(t, "expiry overflows", err, wire.StatusInvalidPersonalAccessTokenExpiry)
	_, err = req(root, wire.OpCreatePersonalAccessToken, 0, createTokenBody("ci", math.MaxUint64))
	wantStatus(t, "root's own ci", err, wire.StatusOK) // names are per user

	list, err := req(alice, wire.OpNonReplicated, client.CodeTokens, nil)
	wantStatus(t, "list", err, wire.StatusOK)
	if len(list) != 2*(1+8)+len("ci")+len("gone") || string(list[1:3]) != "ci" || binary.LittleEndian.Uint64(list[3:]) != 0 {
		t.Fatalf("list %x", list)
	}

	rc := ts.raw()
	if _, reason := rc.loginToken(token); reason != 0 {
		t.Fatalf("login with ci: eviction %v", reason)
	}
	for name, tok := range map[string]string{"expired": expired, "unknown": "not-a-token"} {
		if _, reason := ts.raw().loginToken(tok); reason != wire.EvictInvalidToken {
			t.Fatalf("%s token: eviction %v, want InvalidToken", name, reason)
		}
	}
	_, err = req(alice, wire.OpDeletePersonalAccessToken, 0, str8("nope"))
	wantStatus(t, "delete unknown", err, wire.StatusResourceNotFound)
	_, err = req(alice, wire.OpDeletePersonalAccessToken, 0, str8("gone"))
	wantStatus(t, "delete gone", err, wire.StatusOK)

	// Deactivating the user refuses its tokens with UserInactive.
	_, err = req(root, wire.OpUpdateUser, 0, updateUserBody(wire.NamedID("alice"), "", 2))
	wantStatus(t, "deactivate", err, wire.StatusOK)
	if _, reason := ts.raw().loginToken(token); reason != wire.EvictUserInactive {
		t.Fatalf("inactive user's token: eviction %v", reason)
	}
	_, err = req(root, wire.OpUpdateUser, 0, updateUserBody(wire.NamedID("alice"), "", 1))
	wantStatus(t, "activate", err, wire.StatusOK)

	ts.stop()
	ts2 := startServer(t, dir)
	if _, reason := ts2.raw().loginToken(token); reason != 0 {
		t.Fatalf("token after restart: eviction %v", reason)
	}
	root2 := ts2.dial(client.WithCredentials("iggy", "iggy"))
	_, err = req(root2, wire.OpDeleteUser, 0, wire.NamedID("alice").Append(nil))
	wantStatus(t, "delete alice", err, wire.StatusOK)
	if _, reason := ts2.raw().loginToken(token); reason != wire.EvictInvalidToken {
		t.Fatalf("deleted user's token: eviction %v", reason)
	}
}
