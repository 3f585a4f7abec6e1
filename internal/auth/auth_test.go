package auth

import (
	"testing"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// state holds root (0), a writer (1) granted send on topic 0/0 only, and
// stream 0 with topics 0 and 1.
func state(t testing.TB) *metadata.State {
	t.Helper()
	var perms wire.Permissions
	perms.Streams = map[uint32]wire.StreamPermissions{0: {Topics: map[uint32]wire.TopicPermissions{0: {SendMessages: true}}}}
	st := metadata.NewState()
	for _, op := range []metadata.Op{
		metadata.CreateUser{Status: metadata.UserActive, Username: "root"},
		metadata.CreateUser{Status: metadata.UserActive, Username: "writer", Permissions: perms.Append(nil)},
		metadata.CreateStream{Name: "s"},
		metadata.CreateTopic{Stream: wire.NumericID(0), Partitions: 1, Shards: 1, Name: "t0"},
		metadata.CreateTopic{Stream: wire.NumericID(0), Partitions: 1, Shards: 1, Name: "t1"},
	} {
		if r := st.ApplyOp(op); !r.OK() {
			t.Fatalf("%v: %v", op.Kind(), r.Status)
		}
	}
	return st
}

func body(ids ...wire.Identifier) []byte {
	var b []byte
	for _, id := range ids {
		b = id.Append(b)
	}
	return b
}

func TestAuthorize(t *testing.T) {
	st := state(t)
	s0, t0, t1, missing := wire.NumericID(0), wire.NumericID(0), wire.NumericID(1), wire.NumericID(9)
	const ok, no = wire.StatusOK, wire.StatusUnauthorized
	for _, tc := range []struct {
		name string
		user uint32
		sc   Scope
		body []byte
		want wire.Status
	}{
		{"root needs no grant", 0, NeedManage, body(s0), ok},
		{"granted topic", 1, NeedSend, body(s0, t0), ok},
		{"other topic", 1, NeedSend, body(s0, t1), no},
		{"poll is not send", 1, NeedPoll, body(s0, t0), no},
		{"server read", 1, NeedServer, nil, no},
		{"missing topic is left to the handler", 1, NeedSend, body(s0, missing), ok},
		{"malformed body is left to the handler", 1, NeedSend, []byte{9}, ok},
		{"no scope", 1, Scope{}, nil, ok},
	} {
		if got := Authorize(st, tc.user, tc.sc, tc.body); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if Allowed(st, 1, (*wire.Permissions).ManageUser) || !Allowed(st, 0, (*wire.Permissions).ManageUser) {
		t.Error("Allowed: only root may manage users here")
	}
}

// BenchmarkAuthorize measures the check a send or poll pays: nothing for
// the root user, a lookup and a rule for the others.
func BenchmarkAuthorize(b *testing.B) {
	st := state(b)
	for _, tc := range []struct {
		name string
		user uint32
	}{{"root", 0}, {"user", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s := AuthorizeTopic(st, tc.user, NeedSend, 0, 0); s != wire.StatusOK {
					b.Fatal(s)
				}
			}
		})
	}
}
