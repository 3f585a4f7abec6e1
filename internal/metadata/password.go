package metadata

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id's cost parameters. They are stored with every
// hash, so changing the defaults affects only new hashes.
type HashParams struct {
	Time    uint32 // iterations
	Memory  uint32 // KiB
	Threads uint8  // lanes
	SaltLen uint8  // bytes
	KeyLen  uint8  // bytes
}

// DefaultHashParams are the production costs: OWASP's argon2id baseline
// (19 MiB, 2 iterations, 1 lane), a 16-byte salt and a 32-byte key.
var DefaultHashParams = HashParams{Time: 2, Memory: 19 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32}

// TestHashParams are the cheapest valid costs, for tests only (argon2 at
// production cost is slow under the race detector).
var TestHashParams = HashParams{Time: 1, Memory: 8, Threads: 1, SaltLen: 8, KeyLen: 16}

// Limits on stored hashes; a decoded hash outside them is invalid.
const (
	hashArgon2id = 1 // PasswordHash algorithm byte

	minSaltLen, maxSaltLen = 8, 64
	minKeyLen, maxKeyLen   = 16, 64
	maxHashMemory          = 4 << 20 // KiB: 4 GiB
	maxHashTime            = 1 << 10
)

// Credential lengths, in bytes, as Iggy's server enforces them.
const (
	MinUsernameLen, MaxUsernameLen = 3, 50
	MinPasswordLen, MaxPasswordLen = 3, 100
)

var (
	// ErrInvalidPassword is returned for a password of the wrong length.
	ErrInvalidPassword = errors.New("metadata: invalid password")
	// ErrInvalidUsername is returned for a username of the wrong length or
	// with whitespace or control characters.
	ErrInvalidUsername = errors.New("metadata: invalid username")
)

// PasswordHash is an argon2id hash with its salt and parameters. It is
// computed by the proposer, never inside Apply.
type PasswordHash struct {
	Time    uint32
	Memory  uint32
	Threads uint8
	Salt    []byte
	Key     []byte
}

// HashPassword hashes password with a fresh salt read from random (nil
// means crypto/rand).
func HashPassword(password string, p HashParams, random io.Reader) (PasswordHash, error) {
	if err := ValidatePassword(password); err != nil {
		return PasswordHash{}, err
	}
	if random == nil {
		random = rand.Reader
	}
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return PasswordHash{}, fmt.Errorf("metadata: read salt: %w", err)
	}
	h := PasswordHash{Time: p.Time, Memory: p.Memory, Threads: p.Threads, Salt: salt}
	if err := h.validate(int(p.KeyLen)); err != nil {
		return PasswordHash{}, err
	}
	h.Key = argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(p.KeyLen))
	return h, nil
}

// Verify reports whether password matches h, comparing in constant time.
func (h PasswordHash) Verify(password string) bool {
	if h.validate(len(h.Key)) != nil {
		return false
	}
	key := argon2.IDKey([]byte(password), h.Salt, h.Time, h.Memory, h.Threads, uint32(len(h.Key)))
	return subtle.ConstantTimeCompare(key, h.Key) == 1
}

// validate checks the parameters a stored hash may carry.
func (h PasswordHash) validate(keyLen int) error {
	switch {
	case h.Time < 1 || h.Time > maxHashTime:
		return fmt.Errorf("metadata: argon2 time %d out of range", h.Time)
	case h.Memory < 8*uint32(max(h.Threads, 1)) || h.Memory > maxHashMemory:
		return fmt.Errorf("metadata: argon2 memory %d KiB out of range", h.Memory)
	case h.Threads < 1:
		return errors.New("metadata: argon2 needs at least one thread")
	case len(h.Salt) < minSaltLen || len(h.Salt) > maxSaltLen:
		return fmt.Errorf("metadata: salt of %d bytes out of range", len(h.Salt))
	case keyLen < minKeyLen || keyLen > maxKeyLen:
		return fmt.Errorf("metadata: key of %d bytes out of range", keyLen)
	}
	return nil
}

// ValidateUsername checks a username's length (3..50 bytes, as Iggy),
// encoding and characters: no control character (C0, DEL or C1) and no
// whitespace (ASCII or Unicode), a rule stricter than Iggy's length-only
// check (issue #15 item 14). Apply uses the same rule.
func ValidateUsername(name string) error {
	if len(name) < MinUsernameLen || len(name) > MaxUsernameLen || !utf8.ValidString(name) {
		return fmt.Errorf("%w: %q must be %d..%d bytes of UTF-8", ErrInvalidUsername, name, MinUsernameLen, MaxUsernameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError {
			return fmt.Errorf("%w: %q contains whitespace or a control character", ErrInvalidUsername, name)
		}
	}
	return nil
}

// ValidatePassword checks a password's length (3..100 bytes).
func ValidatePassword(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return fmt.Errorf("%w: must be %d..%d bytes", ErrInvalidPassword, MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// GeneratePassword returns a random password of n characters from letters
// and digits, read from random (nil means crypto/rand).
func GeneratePassword(n int, random io.Reader) (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	if random == nil {
		random = rand.Reader
	}
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		if _, err := io.ReadFull(random, buf[:]); err != nil {
			return "", fmt.Errorf("metadata: generate password: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps the choice uniform.
			if b < 248 && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}
