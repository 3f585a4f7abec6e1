package service

import (
	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// canManageUsers is the root user or a user granted manage_users.
func canManageUsers(st *metadata.State, c Caller) wire.Status {
	if auth.Allowed(st, c.UserID, (*wire.Permissions).ManageUser) {
		return wire.StatusOK
	}
	return wire.StatusUnauthorized
}

// CanReadUsers reports whether c may read other users.
func (s *Service) CanReadUsers(c Caller) bool {
	return auth.Allowed(s.State(), c.UserID, (*wire.Permissions).ReadUser)
}

// ResolveUser finds the user an identifier names in st.
func ResolveUser(st *metadata.State, id wire.Identifier) (uint32, bool) {
	switch id.Kind {
	case wire.IdentifierNumeric:
		_, ok := st.User(id.ID)
		return id.ID, ok
	case wire.IdentifierString:
		u, ok := st.UserByName(string(id.Name))
		return u.ID, ok
	}
	return 0, false
}

// CreateUser hashes the password off the writer, then creates the user
// (Status 0 means active; Permissions are Iggy's permissions body, nil for
// none). Outcome.Result.UserID is its id.
func (s *Service) CreateUser(c Caller, req wire.CreateUser, done Done) error {
	switch {
	case canManageUsers(s.State(), c) != wire.StatusOK:
		done(failed(wire.StatusUnauthorized))
		return nil
	case !validPermissions(req.Permissions):
		done(failed(wire.StatusInvalidCommand))
		return nil
	case metadata.ValidatePassword(req.Password) != nil:
		done(failed(wire.StatusInvalidPassword))
		return nil
	}
	if req.Status == 0 {
		req.Status = metadata.UserActive
	}
	var hash metadata.PasswordHash
	var err error
	return s.offload(func() { hash, err = s.store.HashPassword(req.Password, nil) }, func() {
		if err != nil {
			s.logger.Error("password hash failed", "err", err)
			done(failed(wire.StatusError))
			return
		}
		done(s.propose(metadata.CreateUser{Timestamp: s.micros(), Status: req.Status, Username: req.Username,
			Password: hash, Permissions: req.Permissions}))
	}, done)
}

func validPermissions(b []byte) bool {
	_, err := wire.DecodePermissions(b)
	return err == nil
}

// UpdateUser renames a user and/or changes its status ("" and 0:
// unchanged). Users have no option keys: any is
// StatusUnsupportedOptionKey, answered before the caller's permissions.
func (s *Service) UpdateUser(c Caller, req wire.UpdateUser, done Done) error {
	if st := metadata.ParseUserOptions(req.Options); st != wire.StatusOK {
		return refuse(st, done)
	}
	return s.userWrite(c, req.User, func(id uint32) metadata.Op {
		return metadata.UpdateUser{UserID: id, Username: req.Username, Status: req.Status}
	}, done)
}

// DeleteUser deletes a user and its tokens.
func (s *Service) DeleteUser(c Caller, req wire.UserRequest, done Done) error {
	return s.userWrite(c, req.User, func(id uint32) metadata.Op { return metadata.DeleteUser{UserID: id} }, done)
}

// UpdatePermissions replaces a user's permissions (Iggy's permissions
// body; empty: none). The root user's cannot change.
func (s *Service) UpdatePermissions(c Caller, req wire.UpdatePermissions, done Done) error {
	if !validPermissions(req.Permissions) {
		return refuse(wire.StatusInvalidCommand, done)
	}
	return s.userWrite(c, req.User, func(id uint32) metadata.Op {
		return metadata.UpdatePermissions{UserID: id, Permissions: req.Permissions}
	}, done)
}

// userWrite is a write that takes manage_users and names one user.
func (s *Service) userWrite(c Caller, user wire.Identifier, build func(id uint32) metadata.Op, done Done) error {
	return s.submit(func() {
		st := s.store.Current()
		if code := canManageUsers(st, c); code != wire.StatusOK {
			done(failed(code))
			return
		}
		id, ok := ResolveUser(st, user)
		if !ok {
			done(failed(wire.StatusResourceNotFound))
			return
		}
		done(s.propose(build(id)))
	})
}

// ChangePassword changes a user's password. A user may change their own;
// another user's takes manage_users. Either way the current password must
// match (as Iggy checks for self- and admin-initiated changes alike): a
// mismatch is StatusInvalidCredentials. Checking and hashing run off the
// writer.
func (s *Service) ChangePassword(c Caller, req wire.ChangePassword, done Done) error {
	current, next := req.Current, req.New
	st := s.State()
	id, ok := ResolveUser(st, req.User)
	switch {
	case !ok:
		done(failed(wire.StatusResourceNotFound))
		return nil
	case id != c.UserID && canManageUsers(st, c) != wire.StatusOK:
		done(failed(wire.StatusUnauthorized))
		return nil
	case metadata.ValidatePassword(next) != nil:
		done(failed(wire.StatusInvalidPassword))
		return nil
	}
	u, _ := st.User(id)
	stored := u.Password // immutable once stored: a change replaces it
	var match bool
	var hash metadata.PasswordHash
	var err error
	return s.offload(func() {
		if match = stored.Verify(current); match {
			hash, err = s.store.HashPassword(next, nil)
		}
	}, func() {
		switch {
		case !match:
			done(failed(wire.StatusInvalidCredentials))
		case err != nil:
			s.logger.Error("password hash failed", "err", err)
			done(failed(wire.StatusError))
		default:
			done(s.propose(metadata.ChangePassword{UserID: id, Password: hash}))
		}
	}, done)
}
