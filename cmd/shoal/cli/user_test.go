package cli

import (
	"strings"
	"testing"
)

func TestUserAndTokenCommands(t *testing.T) {
	srv := startServer(t)
	addr := srv.Addr("tcp").String()
	c := func(command string, args ...string) []string { return cmd(addr, "tcp", command, args...) }

	mustRun(t, c("user", "create", "bob", "--new-password", "bobpass1"), "created", "user", "bob")
	mustFail(t, c("user", "create", "carol"), "--new-password is required")
	mustRun(t, c("user", "list"), "1", "bob", "active")
	mustRun(t, c("user", "update", "bob", "--status", "inactive"), "updated", "user", "bob")
	mustRun(t, c("user", "list"), "1", "bob", "inactive")
	mustFail(t, c("user", "update", "bob", "--status", "sleepy"), "want active or inactive")
	mustRun(t, c("user", "update", "bob", "--status", "active", "--name", "robert"))
	mustFail(t, c("user", "passwd", "robert", "--current-password", "nope", "--new-password", "bobpass2"), "InvalidCredentials")
	mustRun(t, c("user", "passwd", "robert", "--current-password", "bobpass1", "--new-password", "bobpass2"), "changed")

	// robert makes a token and logs in with it.
	bob := map[string]string{"IGGY_USERNAME": "robert", "IGGY_PASSWORD": "bobpass2"}
	out, err := run(t, bob, c("token", "create", "ci", "--expiry", "1h")...)
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	token := strings.TrimSpace(out)
	if len(token) != 68 {
		t.Fatalf("token %q", token)
	}
	if out, err := run(t, bob, c("token", "list")...); err != nil || !hasLine(out, []string{"ci"}) || strings.Contains(out, "never") {
		t.Fatalf("token list: %v\n%s", err, out)
	}
	withToken := map[string]string{"IGGY_TOKEN": token}
	if out, err := run(t, withToken, c("me")...); err != nil || !hasLine(out, []string{"user", "id", "1"}) {
		t.Fatalf("me with a token: %v\n%s", err, out)
	}
	if _, err := run(t, bob, c("token", "delete", "ci")...); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, withToken, c("me")...); err == nil || !strings.Contains(err.Error(), "evicted") {
		t.Fatalf("me with a deleted token: %v", err)
	}
	// Permissions: robert may read streams only once granted.
	if _, err := run(t, bob, c("stream", "list")...); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("stream list without a grant: %v", err)
	}
	mustRun(t, c("user", "permissions", "robert", "--global", "read_streams,poll_messages", "--stream", "0:send_messages", "--topic", "0/1:manage_topic"),
		"set", "the", "permissions", "of", "robert")
	if out, err := run(t, bob, c("stream", "list")...); err != nil {
		t.Fatalf("stream list with read_streams: %v\n%s", err, out)
	}
	out = mustRun(t, c("user", "get", "robert"), "global", "read_streams,poll_messages")
	if !hasLine(out, []string{"stream", "0", "send_messages"}) || !hasLine(out, []string{"topic", "0/1", "manage_topic"}) {
		t.Fatalf("user get:\n%s", out)
	}
	if out, err := run(t, bob, c("user", "get", "robert")...); err != nil || !hasLine(out, []string{"username", "robert"}) {
		t.Fatalf("a user reads itself: %v\n%s", err, out)
	}
	mustFail(t, c("user", "permissions", "robert", "--global", "fly"), "unknown grant")
	mustFail(t, c("user", "permissions", "robert", "--stream", "x:send_messages"), "want ID:grants")
	mustRun(t, c("user", "permissions", "robert"), "revoked")
	if _, err := run(t, bob, c("stream", "list")...); err == nil {
		t.Fatal("stream list after the revoke")
	}
	mustRun(t, c("user", "delete", "robert"), "deleted", "user", "robert")

	// Renames.
	mustRun(t, c("stream", "create", "s"))
	mustRun(t, c("topic", "create", "s", "t"))
	mustRun(t, c("stream", "update", "s", "s2"), "renamed", "stream", "s", "to", "s2")
	mustRun(t, c("topic", "update", "s2", "t", "--option", "message_expiry=1h"), "message", "expiry", "1h0m0s")
	mustRun(t, c("topic", "update", "s2", "t", "--name", "t2"), "name", "t2")
	mustFail(t, c("topic", "update", "s2", "t2", "--option", "segment_size=2MiB"), "UnsupportedOptionKey")
}
