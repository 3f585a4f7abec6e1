package server

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// grants encodes a permissions body: global flags by index (0
// manage_servers .. 9 send_messages) and one stream's flags (0
// manage_stream .. 5 send_messages).
func grants(global []int, stream uint32, streamFlags []int) []byte {
	b := make([]byte, 10)
	for _, i := range global {
		b[i] = 1
	}
	if streamFlags == nil {
		return append(b, 0)
	}
	b = binary.LittleEndian.AppendUint32(append(b, 1), stream)
	f := make([]byte, 6)
	for _, i := range streamFlags {
		f[i] = 1
	}
	return append(append(b, f...), 0, 0) // no topics, no more streams
}

func createUserWith(name string, perms []byte) []byte {
	b := append(str8(name), str8("password1")...)
	b = append(b, 1, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(perms)))
	return append(b, perms...)
}

// Users other than root get what their permissions grant, by Iggy's
// rules, and nothing else.
func TestPermissionsEnforced(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	root := ts.dial(client.WithCredentials("iggy", "iggy"))
	must := mustFunc(t)
	for _, name := range []string{"a", "b"} {
		_, err := root.CreateStream(ctx, name)
		must(err)
		_, err = root.CreateTopic(ctx, client.NamedID(name), "t", 1, nil)
		must(err)
	}
	users := map[string][]byte{
		"nobody": nil,
		"reader": grants([]int{5}, 0, nil),    // read_streams
		"writer": grants(nil, 0, []int{5}),    // send_messages on stream 0 ("a")
		"admin":  grants([]int{1, 2}, 0, nil), // read_servers, manage_users
		"owner":  grants(nil, 1, []int{0}),    // manage_stream on stream 1 ("b")
	}
	for name, perms := range users {
		_, err := root.Request(ctx, wire.OpCreateUser, 0, createUserWith(name, perms))
		wantStatus(t, "create "+name, err, wire.StatusOK)
	}
	as := func(name string) *client.Client {
		c, err := login(t, ts, name, "password1")
		must(err)
		return c
	}
	send := func(c *client.Client, stream string) error {
		_, err := c.SendMessages(ctx, client.NamedID(stream), client.NamedID("t"), client.PartitionID(0), []client.Message{{Payload: []byte("m")}})
		return err
	}
	poll := func(c *client.Client, stream string) error {
		_, err := c.PollMessages(ctx, client.NamedID(stream), client.NamedID("t"), client.DefaultConsumer(), 0,
			client.PollingStrategy{Kind: wire.PollFirst}, 1, false)
		return err
	}
	read := func(c *client.Client, code wire.Code, body []byte) error {
		_, err := c.Request(ctx, wire.OpNonReplicated, uint32(code), body)
		return err
	}
	const ok, no = wire.StatusOK, wire.StatusUnauthorized

	nobody := as("nobody")
	wantStatus(t, "nobody: me", read(nobody, wire.CodeMe, nil), ok)
	wantStatus(t, "nobody: streams", read(nobody, wire.CodeGetStreams, nil), no)
	wantStatus(t, "nobody: stats", read(nobody, wire.CodeStats, nil), no)
	wantStatus(t, "nobody: users", read(nobody, wire.CodeGetUsers, nil), no)
	_, err := nobody.CreateStream(ctx, "c")
	wantStatus(t, "nobody: create stream", err, no)
	wantStatus(t, "nobody: delete stream", nobody.DeleteStream(ctx, client.NamedID("a")), no)
	wantStatus(t, "nobody: send", send(nobody, "a"), no)
	wantStatus(t, "nobody: poll", poll(nobody, "a"), no)
	if _, err := nobody.GetStream(ctx, client.NamedID("missing")); err == nil || wantNoStatus(err, no) {
		t.Fatalf("a missing stream should be not found, not unauthorized: %v", err)
	}

	reader := as("reader")
	wantStatus(t, "reader: streams", read(reader, wire.CodeGetStreams, nil), ok)
	_, err = reader.GetTopic(ctx, client.NamedID("b"), client.NamedID("t"))
	wantStatus(t, "reader: topic", err, ok)
	wantStatus(t, "reader: poll", poll(reader, "a"), ok)
	wantStatus(t, "reader: send", send(reader, "a"), no)
	_, err = reader.CreateTopic(ctx, client.NamedID("a"), "u", 1, nil)
	wantStatus(t, "reader: create topic", err, no)

	writer := as("writer")
	wantStatus(t, "writer: send to a", send(writer, "a"), ok)
	wantStatus(t, "writer: send to b", send(writer, "b"), no)
	wantStatus(t, "writer: poll a", poll(writer, "a"), no)

	owner := as("owner")
	wantStatus(t, "owner: update b", owner.UpdateStream(ctx, client.NamedID("b"), "b2"), ok)
	wantStatus(t, "owner: delete a's topic", owner.DeleteTopic(ctx, client.NamedID("a"), client.NamedID("t")), no)
	wantStatus(t, "owner: send to b2", send(owner, "b2"), ok) // manage_stream implies send
	wantStatus(t, "owner: topic of b2", owner.DeleteTopic(ctx, client.NamedID("b2"), client.NamedID("t")), ok)

	admin := as("admin")
	wantStatus(t, "admin: stats", read(admin, wire.CodeStats, nil), ok)
	wantStatus(t, "admin: users", read(admin, wire.CodeGetUsers, nil), ok)
	_, err = admin.Request(ctx, wire.OpCreateUser, 0, createUserWith("new", nil))
	wantStatus(t, "admin: create user", err, ok)
	_, err = admin.Request(ctx, wire.OpUpdatePermissions, 0, permissionsBody(wire.NamedID("nobody"), grants([]int{9}, 0, nil)))
	wantStatus(t, "admin: grant nobody send_messages", err, ok)
	wantStatus(t, "nobody: send after the grant", send(nobody, "a"), ok)
	_, err = admin.Request(ctx, wire.OpUpdatePermissions, 0, permissionsBody(wire.NamedID("nobody"), []byte{1, 2, 3}))
	wantStatus(t, "malformed permissions", err, wire.StatusInvalidCommand)
	_, err = admin.CreateStream(ctx, "c")
	wantStatus(t, "admin: create stream", err, no)
}

// wantNoStatus reports whether err is a status error with status st.
func wantNoStatus(err error, st wire.Status) bool {
	var se *client.StatusError
	return errors.As(err, &se) && se.Status == st
}
