package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// Users and personal access tokens. Managing users takes the root user
// or the manage_users permission; any user may change their own password
// and manage their own tokens.

// CodeTokens is GetPersonalAccessTokens' NonReplicated code.
const CodeTokens = uint32(wire.CodeGetAccessTokens)

// UserStatus is a user's status: active users may log in.
type UserStatus = wire.UserStatus

// User statuses.
const (
	UserActive   = wire.UserActive
	UserInactive = wire.UserInactive
)

// User is one user as GetUsers lists it.
type User struct {
	ID        uint32     `json:"id"`
	Username  string     `json:"username"`
	Status    UserStatus `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
}

// CreateUser creates a user with no permissions (it may log in, read its
// own session and manage its own tokens, nothing else); status 0 means
// active.
func (c *Client) CreateUser(ctx context.Context, username, password string, status UserStatus) (*User, error) {
	if err := checkName("username", username); err != nil {
		return nil, err
	}
	if len(password) == 0 || len(password) > 255 {
		return nil, errors.New("client: a password is 1..255 bytes")
	}
	if status == 0 {
		status = UserActive
	}
	req := wire.CreateUser{Username: username, Password: password, Status: status} // no permissions
	b, err := c.Request(ctx, wire.OpCreateUser, 0, req.Append(nil))
	if err != nil {
		return nil, fmt.Errorf("create user %q: %w", username, err)
	}
	var d wire.UserDetails
	if err := d.Decode(b); err != nil {
		return nil, malformed("CreateUser", err)
	}
	u := userOf(&d.UserInfo)
	return &u, nil
}

// UserDetails is a user and its permissions (nil: none).
type UserDetails struct {
	User
	Permissions *Permissions `json:"permissions,omitempty"`
}

// GetUser reads one user with its permissions; any user may read itself.
func (c *Client) GetUser(ctx context.Context, user Identifier) (*UserDetails, error) {
	if err := checkID("user", user); err != nil {
		return nil, err
	}
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeUser, (&wire.UserRequest{User: user}).Append(nil))
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, &NotFoundError{Resource: "user", Name: user.String()}
	}
	var wd wire.UserDetails
	if err := wd.Decode(b); err != nil {
		return nil, malformed("GetUser", err)
	}
	d := UserDetails{User: userOf(&wd.UserInfo)}
	if wd.Permissions != nil {
		p, err := wire.DecodePermissions(wd.Permissions)
		if err != nil {
			return nil, malformed("GetUser", err)
		}
		d.Permissions = &p
	}
	return &d, nil
}

// Users lists every user, by id.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeUsers, nil)
	if err != nil {
		return nil, err
	}
	infos, err := wire.DecodeUsers(b)
	if err != nil {
		return nil, malformed("GetUsers", err)
	}
	var out []User
	for i := range infos {
		out = append(out, userOf(&infos[i]))
	}
	return out, nil
}

// UpdateUser renames a user (name "" keeps it) and sets its status (0
// keeps it).
func (c *Client) UpdateUser(ctx context.Context, user Identifier, name string, status UserStatus) error {
	if err := checkID("user", user); err != nil {
		return err
	}
	if name != "" {
		if err := checkName("username", name); err != nil {
			return err
		}
	}
	req := wire.UpdateUser{User: user, Username: name, Status: status}
	_, err := c.Request(ctx, wire.OpUpdateUser, 0, req.Append(nil))
	return err
}

// DeleteUser deletes a user and its tokens.
func (c *Client) DeleteUser(ctx context.Context, user Identifier) error {
	if err := checkID("user", user); err != nil {
		return err
	}
	_, err := c.Request(ctx, wire.OpDeleteUser, 0, (&wire.UserRequest{User: user}).Append(nil))
	return err
}

// ChangePassword sets a user's password; the current one must match.
func (c *Client) ChangePassword(ctx context.Context, user Identifier, current, next string) error {
	if err := checkID("user", user); err != nil {
		return err
	}
	if len(current) > 255 || len(next) == 0 || len(next) > 255 {
		return errors.New("client: passwords are at most 255 bytes, the new one at least 1")
	}
	req := wire.ChangePassword{User: user, Current: current, New: next}
	_, err := c.Request(ctx, wire.OpChangePassword, 0, req.Append(nil))
	return err
}

// Token is one of the caller's personal access tokens.
type Token struct {
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never
}

// CreateToken creates a personal access token for the logged-in user and
// returns it; the server keeps only its hash, so it cannot be read again.
// expiry 0 means it never expires.
func (c *Client) CreateToken(ctx context.Context, name string, expiry time.Duration) (string, error) {
	if err := checkName("token", name); err != nil {
		return "", err
	}
	if expiry < 0 {
		return "", errors.New("client: a negative token expiry")
	}
	e := uint64(expiry.Microseconds())
	if expiry > 0 && e == 0 {
		e = 1
	}
	if expiry == 0 {
		e = math.MaxUint64
	}
	b, err := c.Request(ctx, wire.OpCreatePersonalAccessToken, 0, (&wire.CreateToken{Name: name, Expiry: e}).Append(nil))
	if err != nil {
		return "", fmt.Errorf("create token %q: %w", name, err)
	}
	var token wire.CreatedToken
	if err := token.Decode(b); err != nil {
		return "", malformed("CreatePersonalAccessToken", err)
	}
	return token.Token, nil
}

// Tokens lists the logged-in user's tokens, by name.
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeTokens, nil)
	if err != nil {
		return nil, err
	}
	infos, err := wire.DecodeTokens(b)
	if err != nil {
		return nil, malformed("GetPersonalAccessTokens", err)
	}
	var out []Token
	for _, info := range infos {
		t := Token{Name: info.Name}
		if info.ExpiryAt != 0 {
			t.ExpiresAt = micros(info.ExpiryAt)
		}
		out = append(out, t)
	}
	return out, nil
}

// DeleteToken deletes one of the logged-in user's tokens.
func (c *Client) DeleteToken(ctx context.Context, name string) error {
	if err := checkName("token", name); err != nil {
		return err
	}
	_, err := c.Request(ctx, wire.OpDeletePersonalAccessToken, 0, (&wire.DeleteToken{Name: name}).Append(nil))
	return err
}

func userOf(u *wire.UserInfo) User {
	return User{ID: u.ID, Username: u.Username, Status: u.Status, CreatedAt: micros(u.CreatedAt)}
}

// Permissions are a user's grants: global flags, and per stream and per
// topic ones (by id), as Iggy defines them.
type (
	Permissions       = wire.Permissions
	StreamPermissions = wire.StreamPermissions
	TopicPermissions  = wire.TopicPermissions
)

// UpdatePermissions replaces a user's permissions; nil removes them all.
// The root user's cannot change.
func (c *Client) UpdatePermissions(ctx context.Context, user Identifier, p *Permissions) error {
	if err := checkID("user", user); err != nil {
		return err
	}
	req := wire.UpdatePermissions{User: user}
	if p != nil {
		req.Permissions = p.Append(nil)
	}
	_, err := c.Request(ctx, wire.OpUpdatePermissions, 0, req.Append(nil))
	return err
}
