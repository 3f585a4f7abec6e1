package metadata

import (
	"errors"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// controlNames hold a control character (Unicode Cc: C0, DEL, C1) at the
// start, in the middle or at the end. Each is valid UTF-8 of a valid
// length, so only the character rule refuses it (issue #15 item 14).
var controlNames = []string{
	"\x00", "a\x00b", "name\x00", "\x00name",
	"a\x01b", "a\x1fb", "tab\there", "new\nline", "cr\rhere", "esc\x1b[31m",
	"del\x7f", "nel\u0085", "c1\u009f",
}

// edgeNames are valid names at the edges of the rules: one byte, 255
// bytes (also of two-byte runes), a space, the characters just outside
// the control ranges, and U+FFFD, which is valid UTF-8.
var edgeNames = []string{
	"x", strings.Repeat("x", maxNameLen), strings.Repeat("é", maxNameLen/2) + "x",
	"with space", "sp\u00a0nbsp", "a b~c", "\u00a0", "\ufffd", "日本語", "a.b-c_d",
}

// badLengthNames break the length or encoding rule.
var badLengthNames = []string{
	"", strings.Repeat("x", maxNameLen+1), strings.Repeat("x", maxNameLen-1) + "é", "\xff", "a\xc3",
}

// TestNamesRefuseControlCharacters covers every name a client chooses:
// streams and topics (create and rename), consumer groups and tokens
// refuse control characters with Iggy's status for the kind, through
// Check and through Apply of the journaled encoding.
func TestNamesRefuseControlCharacters(t *testing.T) {
	kinds := []struct {
		name   string
		status wire.Status
		op     func(name string) Op
	}{
		{"CreateStream", wire.StatusInvalidStreamName, func(n string) Op { return CreateStream{Name: n} }},
		{"UpdateStream", wire.StatusInvalidStreamName, func(n string) Op { return UpdateStream{Stream: num(0), Name: n} }},
		{"CreateTopic", wire.StatusInvalidTopicName, func(n string) Op { return CreateTopic{Stream: num(0), Partitions: 1, Name: n} }},
		{"UpdateTopic", wire.StatusInvalidTopicName, func(n string) Op { return UpdateTopic{Stream: num(0), Topic: num(0), Name: n} }},
		{"CreateConsumerGroup", wire.StatusInvalidConsumerGroupName, func(n string) Op {
			return CreateConsumerGroup{Stream: num(0), Topic: num(0), Name: n}
		}},
		{"CreatePersonalAccessToken", wire.StatusInvalidPersonalAccessTokenName, func(n string) Op {
			return CreatePersonalAccessToken{UserID: RootUserID, Name: n, Hash: HashToken("secret " + n)}
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for _, n := range append(controlNames, badLengthNames...) {
				s := namesState(t)
				op := k.op(n)
				if r := s.Check(op); r.Status != k.status {
					t.Errorf("Check %q: %v, want %v", n, r.Status, k.status)
				}
				if len(n) > maxNameLen {
					continue // cannot be encoded: Check keeps it out of the journal
				}
				noop := s.Clone()
				noop.Apply(nil) // counts as applied, changes nothing
				if r := s.Apply(Encode(op)); r.Status != k.status {
					t.Errorf("Apply %q: %v, want %v", n, r.Status, k.status)
				}
				if s.Digest() != noop.Digest() {
					t.Errorf("refused %q changed the state", n)
				}
			}
			for _, n := range edgeNames {
				s := namesState(t)
				if r := s.Apply(Encode(k.op(n))); r.Status != wire.StatusOK {
					t.Errorf("valid name %q (%d bytes): %v", n, len(n), r.Status)
				}
				checkStreamInvariants(t, s)
			}
		})
	}
}

// namesState is a state with the root user, stream 0 "s", its topic 0
// "t", and nothing else.
func namesState(t *testing.T) *State {
	t.Helper()
	s := NewState()
	if r := s.ApplyOp(CreateUser{Status: UserActive, Username: "root", Password: testHash(t, "pass")}); !r.OK() {
		t.Fatal(r.Status)
	}
	apply(t, s, CreateStream{Name: "s"}, wire.StatusOK)
	apply(t, s, CreateTopic{Stream: num(0), Partitions: 1, Name: "t"}, wire.StatusOK)
	return s
}

// TestUsernamesRefuseControlCharacters checks ValidateUsername and the
// user operations: every control character (C1 included) and Unicode
// whitespace is refused with InvalidUsername; 3 and 50 bytes are the
// edges.
func TestUsernamesRefuseControlCharacters(t *testing.T) {
	bad := []string{"", "ab", strings.Repeat("x", MaxUsernameLen+1), strings.Repeat("x", MaxUsernameLen-1) + "é",
		"\xff\xfe\xfd", "sp ace", "nb\u00a0sp", "em\u2003sp", "ide\u3000o"}
	for _, n := range controlNames {
		bad = append(bad, n, n+"xyz") // a username is at least 3 bytes
	}
	for _, n := range bad {
		if err := ValidateUsername(n); !errors.Is(err, ErrInvalidUsername) {
			t.Errorf("ValidateUsername(%q) = %v", n, err)
		}
		s := namesState(t)
		ops := []Op{CreateUser{Status: UserActive, Username: n, Password: testHash(t, "pass")}}
		if n != "" { // an empty UpdateUser name keeps the name
			ops = append(ops, UpdateUser{UserID: RootUserID, Username: n})
		}
		for _, op := range ops {
			if r := s.Check(op); r.Status != wire.StatusInvalidUsername {
				t.Errorf("Check %T %q: %v", op, n, r.Status)
			}
			if len(n) > maxNameLen {
				continue
			}
			if r := s.Apply(Encode(op)); r.Status != wire.StatusInvalidUsername {
				t.Errorf("Apply %T %q: %v", op, n, r.Status)
			}
		}
	}
	for _, n := range []string{"abc", strings.Repeat("x", MaxUsernameLen), strings.Repeat("é", MaxUsernameLen/2), "ünï", "a.b-c_d"} {
		if err := ValidateUsername(n); err != nil {
			t.Errorf("ValidateUsername(%q): %v", n, err)
		}
		s := namesState(t)
		if r := s.Apply(Encode(CreateUser{Status: UserActive, Username: n, Password: testHash(t, "pass")})); !r.OK() {
			t.Errorf("CreateUser %q: %v", n, r.Status)
		}
	}
}

// TestNamedIdentifiersStillDecode: the character rule is for new names
// only. An operation that names an existing stream still decodes whatever
// the name holds (a journal written before the rule replays unchanged),
// and simply does not find it.
func TestNamedIdentifiersStillDecode(t *testing.T) {
	s := namesState(t)
	op := DeleteStream{Stream: named("a\x00b")}
	if _, err := Decode(Encode(op)); err != nil {
		t.Fatalf("decode: %v", err)
	}
	apply(t, s, op, wire.StatusStreamIdNotFound)
}
