package replica

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"lukechampine.com/blake3"
)

// SecretSize is the length of the cluster pre-shared key in bytes.
const SecretSize = 32

// Secret is the cluster pre-shared key every replica holds. The handshake
// never sends it: MACs are keyed with a subkey derived from it.
type Secret [SecretSize]byte

// Environment variables the secret is read from. The IGGY_ names are read
// too so that an Iggy deployment's environment works unchanged.
const (
	EnvSecret         = "SHOAL_CLUSTER_SECRET"      // 64 hex characters
	EnvSecretFile     = "SHOAL_CLUSTER_SECRET_FILE" // path to a file holding them
	EnvIggySecret     = "IGGY_CLUSTER_SECRET"
	EnvIggySecretFile = "IGGY_CLUSTER_SECRET_FILE"
)

// Errors from LoadSecret and ParseSecret.
var (
	// ErrNoSecret means none of the environment variables is set.
	ErrNoSecret = errors.New("replica: no cluster secret (set " + EnvSecret + " or " + EnvSecretFile + ")")
	// ErrSecretBothSet means a literal secret and a secret file are both set.
	ErrSecretBothSet = errors.New("replica: cluster secret given both literally and as a file")
	// ErrSecretConflict means the SHOAL_ and IGGY_ variables name different secrets.
	ErrSecretConflict = errors.New("replica: " + EnvSecret + " and " + EnvIggySecret + " disagree")
	// ErrSecretFormat means the secret is not 64 hex characters.
	ErrSecretFormat = errors.New("replica: cluster secret must be 64 hex characters")
)

// ParseSecret decodes 64 hex characters (either case; surrounding
// whitespace is ignored).
func ParseSecret(s string) (Secret, error) {
	var k Secret
	s = strings.TrimSpace(s)
	if len(s) != 2*SecretSize {
		return k, fmt.Errorf("%w: got %d characters", ErrSecretFormat, len(s))
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, fmt.Errorf("%w: %v", ErrSecretFormat, err)
	}
	return k, nil
}

// LoadSecret reads the cluster secret from the environment through getenv
// (os.Getenv in production): SHOAL_CLUSTER_SECRET or
// SHOAL_CLUSTER_SECRET_FILE, else IGGY_CLUSTER_SECRET or
// IGGY_CLUSTER_SECRET_FILE. Within one prefix, setting both the literal and
// the file is an error; a secret found under both prefixes must be the same.
func LoadSecret(getenv func(string) string) (Secret, error) {
	shoal, okS, err := loadPair(getenv, EnvSecret, EnvSecretFile)
	if err != nil {
		return Secret{}, err
	}
	iggy, okI, err := loadPair(getenv, EnvIggySecret, EnvIggySecretFile)
	if err != nil {
		return Secret{}, err
	}
	switch {
	case okS && okI && shoal != iggy:
		return Secret{}, ErrSecretConflict
	case okS:
		return shoal, nil
	case okI:
		return iggy, nil
	}
	return Secret{}, ErrNoSecret
}

func loadPair(getenv func(string) string, litKey, fileKey string) (Secret, bool, error) {
	lit, file := getenv(litKey), getenv(fileKey)
	switch {
	case lit != "" && file != "":
		return Secret{}, false, fmt.Errorf("%w: %s and %s", ErrSecretBothSet, litKey, fileKey)
	case lit != "":
		k, err := ParseSecret(lit)
		if err != nil {
			return k, false, fmt.Errorf("%s: %w", litKey, err)
		}
		return k, true, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return Secret{}, false, fmt.Errorf("replica: %s: %w", fileKey, err)
		}
		k, err := ParseSecret(string(b))
		if err != nil {
			return k, false, fmt.Errorf("%s %s: %w", fileKey, file, err)
		}
		return k, true, nil
	}
	return Secret{}, false, nil
}

// SecretFromPassphrase turns cluster.auth.shared_secret (Iggy's key: a
// string of at least 32 bytes, the same on every node) into the cluster
// secret: 64 hex characters are the secret itself (as SHOAL_CLUSTER_SECRET
// takes it); any other string is hashed into one with BLAKE3's key
// derivation, so every node that holds the string derives the same key.
func SecretFromPassphrase(s string) Secret {
	if k, err := ParseSecret(s); err == nil {
		return k
	}
	var k Secret
	blake3.DeriveKey(k[:], "shoal cluster.auth.shared_secret v1", []byte(s))
	return k
}
