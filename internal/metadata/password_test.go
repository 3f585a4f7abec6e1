package metadata

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h := testHash(t, "correct horse")
	if !h.Verify("correct horse") || h.Verify("correct horsE") || h.Verify("") {
		t.Fatal("Verify")
	}
	if h.Time != TestHashParams.Time || h.Memory != TestHashParams.Memory || len(h.Salt) != int(TestHashParams.SaltLen) || len(h.Key) != int(TestHashParams.KeyLen) {
		t.Fatalf("hash %+v does not carry its parameters", h)
	}
	// Same password, different salt: different key.
	h2, _ := HashPassword("correct horse", TestHashParams, nil)
	if bytes.Equal(h.Key, h2.Key) || !h2.Verify("correct horse") {
		t.Fatal("salt not random or not used")
	}
	// A damaged hash never verifies (and does not panic).
	bad := h
	bad.Time = 0
	if bad.Verify("correct horse") {
		t.Fatal("invalid parameters verified")
	}
	if _, err := HashPassword("x", TestHashParams, nil); !errors.Is(err, ErrInvalidPassword) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := HashPassword("okay", HashParams{Time: 1, Memory: 8, Threads: 1, SaltLen: 2, KeyLen: 16}, nil); err == nil {
		t.Fatal("2-byte salt accepted")
	}
}

// TestDefaultHashParams runs one hash at production cost.
func TestDefaultHashParams(t *testing.T) {
	h, err := HashPassword("production", DefaultHashParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.Memory != 19*1024 || h.Time != 2 || !h.Verify("production") {
		t.Fatalf("default hash %+v", h)
	}
}

func TestGeneratePassword(t *testing.T) {
	p, err := GeneratePassword(40, nil)
	if err != nil || len(p) != 40 {
		t.Fatalf("%q, %v", p, err)
	}
	for _, r := range p {
		if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", r) {
			t.Fatalf("%q has %q", p, r)
		}
	}
	if _, err := GeneratePassword(10, bytes.NewReader(nil)); err == nil {
		t.Fatal("empty random source accepted")
	}
}

func TestValidateUsername(t *testing.T) {
	for _, ok := range []string{"iggy", "root", "a.b-c_d", "ünï"} {
		if err := ValidateUsername(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "ab", strings.Repeat("x", 51), "tab\there", "new\nline", "sp ace", "\xff\xfe\xfd"} {
		if err := ValidateUsername(bad); !errors.Is(err, ErrInvalidUsername) {
			t.Errorf("%q accepted", bad)
		}
	}
}
