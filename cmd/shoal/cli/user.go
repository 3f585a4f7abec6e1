package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-io/shoal/client"
)

func runUser(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	sub, args, err := subcommand("user", args, "create", "list", "get", "update", "passwd", "permissions", "delete")
	if err != nil {
		return err
	}
	fs := cmdFlags("user "+sub, out)
	switch sub {
	case "create":
		password := fs.String("new-password", "", "the user's password")
		inactive := fs.Bool("inactive", false, "create the user inactive (it cannot log in)")
		pos, err := parseArgs(fs, args, "NAME --new-password P [--inactive]", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		if *password == "" {
			return errors.New("shoal user create: --new-password is required")
		}
		status := client.UserActive
		if *inactive {
			status = client.UserInactive
		}
		u, err := c.CreateUser(ctx, pos[0], *password, status)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created user %s (id %d, %s)\n", u.Username, u.ID, u.Status)
		return nil
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseArgs(fs, args, "", 0, 0); err != nil {
			return helpOK(err)
		}
		users, err := c.Users(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(out, nonNil(users))
		}
		w := newTable(out)
		fmt.Fprintln(w, "ID\tUSERNAME\tSTATUS\tCREATED")
		for _, u := range users {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", u.ID, u.Username, u.Status, formatTime(u.CreatedAt))
		}
		return w.Flush()
	case "get":
		asJSON := fs.Bool("json", false, "print JSON")
		pos, err := parseArgs(fs, args, "USER", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		u, err := c.GetUser(ctx, client.ParseIdentifier(pos[0]))
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(out, u)
		}
		return printUser(out, u)
	case "update":
		name := fs.String("name", "", "new username")
		status := fs.String("status", "", "active or inactive")
		pos, err := parseArgs(fs, args, "USER [--name N] [--status active|inactive]", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		var st client.UserStatus
		switch *status {
		case "":
		case "active":
			st = client.UserActive
		case "inactive":
			st = client.UserInactive
		default:
			return fmt.Errorf("shoal user update: --status %q: want active or inactive", *status)
		}
		if *name == "" && st == 0 {
			return errors.New("shoal user update: nothing to change: give --name or --status")
		}
		if err := c.UpdateUser(ctx, client.ParseIdentifier(pos[0]), *name, st); err != nil {
			return err
		}
		fmt.Fprintf(out, "updated user %s\n", pos[0])
		return nil
	case "passwd":
		current := fs.String("current-password", "", "the user's current password")
		next := fs.String("new-password", "", "the new password")
		pos, err := parseArgs(fs, args, "USER --current-password C --new-password P", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		if *next == "" {
			return errors.New("shoal user passwd: --new-password is required")
		}
		if err := c.ChangePassword(ctx, client.ParseIdentifier(pos[0]), *current, *next); err != nil {
			return err
		}
		fmt.Fprintf(out, "changed the password of %s\n", pos[0])
		return nil
	case "permissions":
		var g grantFlags
		fs.Var(&g.global, "global", "global grants, comma separated: "+strings.Join(globalGrants, ", "))
		fs.Var(&g.stream, "stream", "ID:grants for one stream, repeatable: "+strings.Join(streamGrants, ", "))
		fs.Var(&g.topic, "topic", "STREAM/TOPIC:grants for one topic (ids), repeatable: "+strings.Join(topicGrants, ", "))
		pos, err := parseArgs(fs, args, "USER [--global g,...] [--stream ID:g,...]... [--topic S/T:g,...]... (none: revoke all)", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		p, err := g.permissions()
		if err != nil {
			return fmt.Errorf("shoal user permissions: %w", err)
		}
		if err := c.UpdatePermissions(ctx, client.ParseIdentifier(pos[0]), p); err != nil {
			return err
		}
		if p == nil {
			fmt.Fprintf(out, "revoked every permission of %s\n", pos[0])
		} else {
			fmt.Fprintf(out, "set the permissions of %s\n", pos[0])
		}
		return nil
	default: // delete
		pos, err := parseArgs(fs, args, "USER", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		if err := c.DeleteUser(ctx, client.ParseIdentifier(pos[0])); err != nil {
			return err
		}
		fmt.Fprintf(out, "deleted user %s\n", pos[0])
		return nil
	}
}

func runToken(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	sub, args, err := subcommand("token", args, "create", "list", "delete")
	if err != nil {
		return err
	}
	fs := cmdFlags("token "+sub, out)
	switch sub {
	case "create":
		expiry := fs.Duration("expiry", 0, "how long the token is valid (0: forever)")
		pos, err := parseArgs(fs, args, "NAME [--expiry D]", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		token, err := c.CreateToken(ctx, pos[0], *expiry)
		if err != nil {
			return err
		}
		// The token alone on stdout, so it can be captured; the server
		// keeps only its hash.
		fmt.Fprintln(out, token)
		return nil
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseArgs(fs, args, "", 0, 0); err != nil {
			return helpOK(err)
		}
		tokens, err := c.Tokens(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(out, nonNil(tokens))
		}
		w := newTable(out)
		fmt.Fprintln(w, "NAME\tEXPIRES")
		for _, t := range tokens {
			exp := "never"
			if !t.ExpiresAt.IsZero() {
				exp = t.ExpiresAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\n", t.Name, exp)
		}
		return w.Flush()
	default: // delete
		pos, err := parseArgs(fs, args, "NAME", 1, 1)
		if err != nil {
			return helpOK(err)
		}
		if err := c.DeleteToken(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(out, "deleted token %s\n", pos[0])
		return nil
	}
}

// The grant names, as Iggy's permissions spell them.
var (
	globalGrants = []string{"manage_servers", "read_servers", "manage_users", "read_users", "manage_streams",
		"read_streams", "manage_topics", "read_topics", "poll_messages", "send_messages"}
	streamGrants = []string{"manage_stream", "read_stream", "manage_topics", "read_topics", "poll_messages", "send_messages"}
	topicGrants  = []string{"manage_topic", "read_topic", "poll_messages", "send_messages"}
)

// listFlag collects repeated string flags.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// grantFlags are user permissions' --global, --stream and --topic flags.
type grantFlags struct{ global, stream, topic listFlag }

// permissions builds the permissions the flags describe, or nil for none.
func (g *grantFlags) permissions() (*client.Permissions, error) {
	if len(g.global)+len(g.stream)+len(g.topic) == 0 {
		return nil, nil
	}
	var p client.Permissions
	for _, v := range g.global {
		if err := grant(v, globalGrants, &p.ManageServers, &p.ReadServers, &p.ManageUsers, &p.ReadUsers, &p.ManageStreams,
			&p.ReadStreams, &p.ManageTopics, &p.ReadTopics, &p.PollMessages, &p.SendMessages); err != nil {
			return nil, fmt.Errorf("--global: %w", err)
		}
	}
	stream := func(id uint32) client.StreamPermissions {
		if p.Streams == nil {
			p.Streams = map[uint32]client.StreamPermissions{}
		}
		return p.Streams[id]
	}
	for _, v := range g.stream {
		idText, grants, ok := strings.Cut(v, ":")
		id, err := strconv.ParseUint(idText, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("--stream %q: want ID:grants", v)
		}
		s := stream(uint32(id))
		if err := grant(grants, streamGrants, &s.ManageStream, &s.ReadStream, &s.ManageTopics, &s.ReadTopics,
			&s.PollMessages, &s.SendMessages); err != nil {
			return nil, fmt.Errorf("--stream %q: %w", v, err)
		}
		p.Streams[uint32(id)] = s
	}
	for _, v := range g.topic {
		ids, grants, ok := strings.Cut(v, ":")
		sText, tText, ok2 := strings.Cut(ids, "/")
		sid, err1 := strconv.ParseUint(sText, 10, 32)
		tid, err2 := strconv.ParseUint(tText, 10, 32)
		if !ok || !ok2 || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("--topic %q: want STREAM/TOPIC:grants", v)
		}
		s := stream(uint32(sid))
		var t client.TopicPermissions
		if err := grant(grants, topicGrants, &t.ManageTopic, &t.ReadTopic, &t.PollMessages, &t.SendMessages); err != nil {
			return nil, fmt.Errorf("--topic %q: %w", v, err)
		}
		if s.Topics == nil {
			s.Topics = map[uint32]client.TopicPermissions{}
		}
		s.Topics[uint32(tid)] = t
		p.Streams[uint32(sid)] = s
	}
	return &p, nil
}

// grant sets the flags named in list (comma separated) among names.
func grant(list string, names []string, flags ...*bool) error {
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		i := slices.Index(names, name)
		if i < 0 {
			return fmt.Errorf("unknown grant %q (want one of %s)", name, strings.Join(names, ", "))
		}
		*flags[i] = true
	}
	return nil
}

// printUser prints a user and the grants its permissions hold.
func printUser(out io.Writer, u *client.UserDetails) error {
	w := newTable(out)
	fmt.Fprintf(w, "id\t%d\nusername\t%s\nstatus\t%s\ncreated\t%s\n", u.ID, u.Username, u.Status, formatTime(u.CreatedAt))
	p := u.Permissions
	if p == nil {
		fmt.Fprintln(w, "permissions\tnone")
		return w.Flush()
	}
	fmt.Fprintf(w, "global\t%s\n", granted(globalGrants, p.ManageServers, p.ReadServers, p.ManageUsers, p.ReadUsers,
		p.ManageStreams, p.ReadStreams, p.ManageTopics, p.ReadTopics, p.PollMessages, p.SendMessages))
	for _, sid := range slices.Sorted(maps.Keys(p.Streams)) {
		s := p.Streams[sid]
		fmt.Fprintf(w, "stream %d\t%s\n", sid, granted(streamGrants, s.ManageStream, s.ReadStream, s.ManageTopics,
			s.ReadTopics, s.PollMessages, s.SendMessages))
		for _, tid := range slices.Sorted(maps.Keys(s.Topics)) {
			t := s.Topics[tid]
			fmt.Fprintf(w, "topic %d/%d\t%s\n", sid, tid, granted(topicGrants, t.ManageTopic, t.ReadTopic, t.PollMessages, t.SendMessages))
		}
	}
	return w.Flush()
}

// granted lists the names whose flag is set, or "-".
func granted(names []string, flags ...bool) string {
	var out []string
	for i, f := range flags {
		if f {
			out = append(out, names[i])
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}
