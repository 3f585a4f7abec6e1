package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/shoal-io/shoal/client"
)

func runUser(ctx context.Context, c *client.Client, out io.Writer, args []string) error {
	sub, args, err := subcommand("user", args, "create", "list", "update", "passwd", "delete")
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
