package metadata

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Root credential sources.
const (
	EnvRootUsername      = "IGGY_ROOT_USERNAME"
	EnvRootPassword      = "IGGY_ROOT_PASSWORD"
	DefaultRootUsername  = "iggy"
	DefaultRootPassword  = "iggy" // only with the default-credentials option
	generatedPasswordLen = 24
)

// ErrRootCredentials is returned when the root credentials are unusable:
// one of the two variables set without the other, or a bad length.
var ErrRootCredentials = errors.New("metadata: invalid root credentials")

// RootSource says where root credentials came from.
type RootSource uint8

const (
	RootFromEnv   RootSource = iota + 1 // IGGY_ROOT_USERNAME and IGGY_ROOT_PASSWORD
	RootDefault                         // iggy/iggy, asked for explicitly
	RootGenerated                       // iggy with a random password
)

func (r RootSource) String() string {
	switch r {
	case RootFromEnv:
		return "environment"
	case RootDefault:
		return "default credentials"
	case RootGenerated:
		return "generated password"
	}
	return fmt.Sprintf("RootSource(%d)", uint8(r))
}

// RootCredentials are the root user's name and password for a first
// start.
type RootCredentials struct {
	Username string
	Password string
	Source   RootSource
}

// ResolveRoot picks the root credentials: both IGGY_ROOT_USERNAME and
// IGGY_ROOT_PASSWORD if set (one alone is an error); else iggy/iggy if
// withDefault (the --with-default-root-credentials option); else "iggy"
// with a random password read from random (nil means crypto/rand), which
// the caller prints once if Bootstrap creates the user. lookupEnv is
// os.LookupEnv in production.
func ResolveRoot(lookupEnv func(string) (string, bool), withDefault bool, random io.Reader) (RootCredentials, error) {
	user, hasUser := lookupEnv(EnvRootUsername)
	pass, hasPass := lookupEnv(EnvRootPassword)
	switch {
	case hasUser && hasPass:
		if err := ValidateUsername(user); err != nil {
			return RootCredentials{}, fmt.Errorf("%w: %s: %v", ErrRootCredentials, EnvRootUsername, err)
		}
		if err := ValidatePassword(pass); err != nil {
			return RootCredentials{}, fmt.Errorf("%w: %s: %v", ErrRootCredentials, EnvRootPassword, err)
		}
		return RootCredentials{Username: user, Password: pass, Source: RootFromEnv}, nil
	case hasUser:
		return RootCredentials{}, fmt.Errorf("%w: %s is set but %s is not; set both or neither", ErrRootCredentials, EnvRootUsername, EnvRootPassword)
	case hasPass:
		return RootCredentials{}, fmt.Errorf("%w: %s is set but %s is not; set both or neither", ErrRootCredentials, EnvRootPassword, EnvRootUsername)
	case withDefault:
		return RootCredentials{Username: DefaultRootUsername, Password: DefaultRootPassword, Source: RootDefault}, nil
	}
	pw, err := GeneratePassword(generatedPasswordLen, random)
	if err != nil {
		return RootCredentials{}, err
	}
	return RootCredentials{Username: DefaultRootUsername, Password: pw, Source: RootGenerated}, nil
}

// NeedsRoot reports whether s has never had a user: the root user is
// still to be created.
func (s *State) NeedsRoot() bool { return s.UserCount() == 0 && s.nextUserID == 0 }

// RootUser builds the operation that creates the root user from creds,
// for a proposer to commit when the state NeedsRoot. now is the creation
// time; random supplies the salt (nil means crypto/rand).
func (s *Store) RootUser(creds RootCredentials, now time.Time, random io.Reader) (CreateUser, error) {
	hash, err := s.HashPassword(creds.Password, random)
	if err != nil {
		return CreateUser{}, fmt.Errorf("%w: %v", ErrRootCredentials, err)
	}
	return CreateUser{Timestamp: uint64(now.UnixMicro()), Status: UserActive, Username: creds.Username, Password: hash}, nil
}

// Bootstrap creates the root user (id RootUserID) from creds if the store
// has no users, that is on the first start, and reports whether it did. On
// a restart it changes nothing: existing users and the root password are
// kept whatever creds say. now is the creation time recorded in the
// operation; random supplies the salt (nil means crypto/rand).
func (s *Store) Bootstrap(creds RootCredentials, now time.Time, random io.Reader) (bool, error) {
	var empty bool
	s.View(func(st *State) { empty = st.UserCount() == 0 && st.nextUserID == 0 })
	if !empty {
		return false, nil
	}
	hash, err := s.HashPassword(creds.Password, random)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrRootCredentials, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.Current(); st.UserCount() != 0 || st.nextUserID != 0 {
		return false, nil // lost a race with another bootstrap
	}
	r, err := s.proposeLocked(CreateUser{
		Timestamp: uint64(now.UnixMicro()),
		Status:    UserActive,
		Username:  creds.Username,
		Password:  hash,
	})
	if err != nil {
		return false, err
	}
	if !r.OK() || r.UserID != RootUserID {
		return false, fmt.Errorf("%w: create root user: %v", ErrRootCredentials, r.Status)
	}
	return true, nil
}
