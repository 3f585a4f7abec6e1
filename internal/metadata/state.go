package metadata

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
	"github.com/zeebo/xxh3"
)

// RootUserID is the root user's id: the first user ever created.
const RootUserID uint32 = 0

// User is one user as the state machine holds it.
type User struct {
	ID          uint32
	Username    string
	Status      UserStatus
	CreatedAt   uint64 // µs since the Unix epoch, from the CreateUser op
	Password    PasswordHash
	Permissions []byte
	perms       *wire.Permissions // Permissions decoded; nil when empty or malformed
}

// Result is the outcome of applying an operation: StatusOK, or the
// IggyError status of a deterministic business rejection (which changes
// nothing). It is part of the reply, so it must be the same on every
// replica.
type Result struct {
	Status wire.Status
	UserID uint32     // CreateUser: the new user's id; Register: the bound user
	Epoch  wire.Epoch // Register: the session epoch
	// ID is the new stream, topic or group id of CreateStream, CreateTopic
	// and CreateConsumerGroup, and the group id of Join and Leave.
	ID uint32
	// Effects are what the operation asks of partition storage (effects.go);
	// empty for a rejected operation.
	Effects []Effect
}

// OK reports whether the operation took effect.
func (r Result) OK() bool { return r.Status == wire.StatusOK }

// State is the metadata state machine. The zero value is not usable; call
// NewState. It is not safe for concurrent use.
//
// Invariants, checked by the package tests after every Apply:
//  1. byName[u.Username] == u.ID for every user u, and byName has no other
//     entries.
//  2. nextUserID > every user id, and ids are never reused.
type State struct {
	users      map[uint32]*User
	byName     map[string]uint32
	nextUserID uint32
	applied    uint64 // operations applied, rejected ones included
	at         uint64 // consensus op of the latest Commit; 0 before any (the legacy journal)
	// sessions is the client table (sessions.go).
	sessions map[wire.ClientID]*Session
	// streams holds streams, topics, partitions and consumer groups
	// (streams.go, groups.go).
	streams streamTable
	// tokens holds the personal access tokens (tokens.go).
	tokens tokenTable
	// Consumer offsets live with their partitions (internal/partition).
}

// NewState returns an empty state.
func NewState() *State {
	return &State{users: map[uint32]*User{}, byName: map[string]uint32{}, sessions: map[wire.ClientID]*Session{}}
}

// Applied returns how many operations have been applied.
func (s *State) Applied() uint64 { return s.applied }

// CommitOp returns the consensus op of the latest operation committed into
// s (Store.Commit), 0 if none was.
func (s *State) CommitOp() uint64 { return s.at }

// User returns a copy of user id.
func (s *State) User(id uint32) (User, bool) {
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return u.clone(), true
}

// UserByName returns a copy of the user named name.
func (s *State) UserByName(name string) (User, bool) {
	id, ok := s.byName[name]
	if !ok {
		return User{}, false
	}
	return s.User(id)
}

// Users returns copies of every user, by id.
func (s *State) Users() []User {
	out := make([]User, 0, len(s.users))
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		out = append(out, s.users[id].clone())
	}
	return out
}

// UserPermissions returns user id's decoded permissions, or nil when it
// has none (or no such user). The result is never modified: an update
// replaces it.
func (s *State) UserPermissions(id uint32) *wire.Permissions {
	if u, ok := s.users[id]; ok {
		return u.perms
	}
	return nil
}

// decodedPermissions decodes b, or returns nil when it is empty or does
// not decode (proposers refuse malformed bodies; an old journal may hold
// one, and it grants nothing).
func decodedPermissions(b []byte) *wire.Permissions {
	if len(b) == 0 {
		return nil
	}
	p, err := wire.DecodePermissions(b)
	if err != nil {
		return nil
	}
	return &p
}

// UserCount returns the number of users.
func (s *State) UserCount() int { return len(s.users) }

func (u *User) clone() User {
	c := *u
	c.Password.Salt = slices.Clone(u.Password.Salt)
	c.Password.Key = slices.Clone(u.Password.Key)
	c.Permissions = slices.Clone(u.Permissions)
	return c
}

// Apply decodes and applies one encoded operation. It is pure and
// deterministic: the same state and bytes give the same result and the
// same new state on every replica and on every replay.
func (s *State) Apply(op []byte) Result {
	s.applied++
	o, err := Decode(op)
	if err != nil {
		return Result{Status: decodeStatus(err)}
	}
	return s.ApplyOp(o)
}

// ApplyOp applies a decoded operation (see Apply).
func (s *State) ApplyOp(o Op) Result {
	if r := s.Check(o); !r.OK() {
		return r
	}
	switch o := o.(type) {
	case CreateUser:
		id := s.nextUserID
		s.nextUserID++
		s.users[id] = &User{ID: id, Username: o.Username, Status: o.Status, CreatedAt: o.Timestamp,
			Password: o.Password, Permissions: o.Permissions, perms: decodedPermissions(o.Permissions)}
		s.byName[o.Username] = id
		return Result{UserID: id}
	case UpdateUser:
		u := s.users[o.UserID]
		if o.Username != "" {
			delete(s.byName, u.Username)
			u.Username = o.Username
			s.byName[u.Username] = u.ID
		}
		if o.Status != 0 {
			u.Status = o.Status
		}
	case DeleteUser:
		u := s.users[o.UserID]
		delete(s.byName, u.Username)
		delete(s.users, o.UserID)
		s.dropTokens(o.UserID)
	case CreatePersonalAccessToken, DeletePersonalAccessToken:
		s.applyToken(o)
	case ChangePassword:
		s.users[o.UserID].Password = o.Password
	case UpdatePermissions:
		s.users[o.UserID].Permissions = o.Permissions
		s.users[o.UserID].perms = decodedPermissions(o.Permissions)
	case Register, Logout:
		if lo, ok := o.(Logout); ok {
			s.onLogout(lo) // before the session entry goes
		}
		return s.applySession(o)
	default:
		return s.applyStreams(o)
	}
	return Result{}
}

// Check reports whether o would take effect, without changing s. A
// proposer calls it to reject an operation before journaling it; Apply
// calls it again, so a journaled operation that fails it is a no-op.
func (s *State) Check(o Op) Result {
	switch o := o.(type) {
	case CreateUser:
		switch {
		case ValidateUsername(o.Username) != nil:
			return Result{Status: wire.StatusInvalidUsername}
		case !o.Status.Valid():
			return Result{Status: wire.StatusInvalidUserStatus}
		case s.nameTaken(o.Username):
			return Result{Status: wire.StatusUserAlreadyExists}
		case s.nextUserID == ^uint32(0):
			return Result{Status: wire.StatusUsersLimitReached}
		}
	case UpdateUser:
		u, ok := s.users[o.UserID]
		switch {
		case !ok:
			return Result{Status: wire.StatusResourceNotFound}
		case o.Username != "" && ValidateUsername(o.Username) != nil:
			return Result{Status: wire.StatusInvalidUsername}
		case o.Username != "" && o.Username != u.Username && s.nameTaken(o.Username):
			return Result{Status: wire.StatusUserAlreadyExists}
		case o.Status != 0 && !o.Status.Valid():
			return Result{Status: wire.StatusInvalidUserStatus}
		}
	case DeleteUser:
		if _, ok := s.users[o.UserID]; !ok {
			return Result{Status: wire.StatusResourceNotFound}
		}
		if o.UserID == RootUserID {
			return Result{Status: wire.StatusCannotDeleteUser}
		}
	case ChangePassword:
		if _, ok := s.users[o.UserID]; !ok {
			return Result{Status: wire.StatusResourceNotFound}
		}
	case UpdatePermissions:
		if _, ok := s.users[o.UserID]; !ok {
			return Result{Status: wire.StatusResourceNotFound}
		}
		if o.UserID == RootUserID {
			return Result{Status: wire.StatusCannotChangePermissions}
		}
	case CreatePersonalAccessToken, DeletePersonalAccessToken:
		return s.checkToken(o)
	case Register, Logout:
		return s.checkSession(o)
	default:
		return s.checkStreams(o)
	}
	return Result{}
}

func (s *State) nameTaken(name string) bool {
	_, ok := s.byName[name]
	return ok
}

// decodeStatus maps a Decode error to a reply status.
func decodeStatus(err error) wire.Status {
	if errors.Is(err, errUnimplemented) {
		return wire.StatusFeatureUnavailable
	}
	return wire.StatusInvalidCommand
}

// Digest returns an XXH3 hash of a canonical encoding of the state, equal
// on two states exactly when they hold the same data. Replicas (and the
// simulator's storage checker) compare digests.
func (s *State) Digest() uint64 {
	var tmp []byte
	tmp = binary.LittleEndian.AppendUint32(tmp, s.nextUserID)
	tmp = binary.LittleEndian.AppendUint64(tmp, s.applied)
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		u := s.users[id]
		tmp = binary.LittleEndian.AppendUint32(tmp, u.ID)
		tmp = AppendOp(tmp, CreateUser{Timestamp: u.CreatedAt, Status: u.Status, Username: u.Username,
			Password: u.Password, Permissions: u.Permissions})
	}
	tmp = s.appendSessions(tmp)
	tmp = s.appendStreams(tmp)
	tmp = s.appendTokens(tmp)
	return xxh3.Hash(tmp)
}
