package metadata

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

func testHash(t testing.TB, password string) PasswordHash {
	t.Helper()
	h, err := HashPassword(password, TestHashParams, bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func sampleOps(t testing.TB) []Op {
	return []Op{
		CreateUser{Timestamp: 1_700_000_000_000_000, Status: UserActive, Username: "root", Password: testHash(t, "secret")},
		CreateUser{Timestamp: 2, Status: UserInactive, Username: "alice", Password: testHash(t, "pw1"), Permissions: []byte{1, 0, 1}},
		UpdateUser{UserID: 1, Username: "alicia"},
		UpdateUser{UserID: 1, Status: UserActive},
		UpdateUser{UserID: 1, Username: "al", Status: UserInactive},
		UpdateUser{UserID: 1},
		ChangePassword{UserID: 1, Password: testHash(t, "pw2")},
		UpdatePermissions{UserID: 1, Permissions: []byte{9}},
		UpdatePermissions{UserID: 1},
		CreatePersonalAccessToken{UserID: 1, Name: "ci", Hash: HashToken("t1"), ExpiryAt: 5},
		CreatePersonalAccessToken{UserID: 0, Name: "ci", Hash: HashToken("t2")},
		CreatePersonalAccessToken{UserID: 0, Name: "ops", Hash: HashToken("t3")},
		DeletePersonalAccessToken{UserID: 0, Name: "ci"},
		DeleteUser{UserID: 1},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, op := range sampleOps(t) {
		b := Encode(op)
		if b[0] != EncodingVersion || Kind(b[1]) != op.Kind() {
			t.Fatalf("%v: prefix % x", op.Kind(), b[:2])
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", op.Kind(), err)
		}
		if !reflect.DeepEqual(got, op) {
			t.Fatalf("%v: round trip\n got %#v\nwant %#v", op.Kind(), got, op)
		}
		// Every strict prefix and any trailing byte is malformed.
		for n := range len(b) {
			if _, err := Decode(b[:n]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%v: prefix of %d/%d bytes: %v", op.Kind(), n, len(b), err)
			}
		}
		if _, err := Decode(append(bytes.Clone(b), 0)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%v: trailing byte accepted", op.Kind())
		}
		bad := bytes.Clone(b)
		bad[0] = 2
		if _, err := Decode(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%v: version 2 accepted", op.Kind())
		}
	}
}

// TestCreateUserLayout pins the documented byte layout.
func TestCreateUserLayout(t *testing.T) {
	op := CreateUser{Timestamp: 0x0102030405060708, Status: UserActive, Username: "bob",
		Password:    PasswordHash{Time: 1, Memory: 8, Threads: 1, Salt: bytes.Repeat([]byte{0xaa}, 8), Key: bytes.Repeat([]byte{0xbb}, 16)},
		Permissions: []byte{0xcc}}
	want := []byte{1, 141, 8, 7, 6, 5, 4, 3, 2, 1, 1, 3, 'b', 'o', 'b',
		1, 1, 0, 0, 0, 8, 0, 0, 0, 1, 8}
	want = append(want, bytes.Repeat([]byte{0xaa}, 8)...)
	want = append(want, 16)
	want = append(want, bytes.Repeat([]byte{0xbb}, 16)...)
	want = append(want, 1, 0, 0, 0, 0xcc)
	if got := Encode(op); !bytes.Equal(got, want) {
		t.Fatalf("encoding\n got % x\nwant % x", got, want)
	}
}

func TestKindsMatchWireOperations(t *testing.T) {
	for k, o := range map[Kind]wire.Operation{
		KindCreateUser: wire.OpCreateUser, KindUpdateUser: wire.OpUpdateUser, KindDeleteUser: wire.OpDeleteUser,
		KindChangePassword: wire.OpChangePassword, KindUpdatePermissions: wire.OpUpdatePermissions,
		KindCreateStream: wire.OpCreateStream, KindStoreConsumerOffset: wire.OpStoreConsumerOffset,
	} {
		if uint8(k) != uint8(o) || k.String() != o.String() {
			t.Errorf("%v = %d, wire %v = %d", k, k, o, o)
		}
	}
	if Kind(7).String() != "Kind(7)" {
		t.Error(Kind(7).String())
	}
}

func TestDecodeRejects(t *testing.T) {
	h := testHash(t, "pw1")
	for name, b := range map[string][]byte{
		"empty":             nil,
		"one byte":          {1},
		"unimplemented":     {1, byte(KindCreateStream)},
		"unknown kind":      {1, 250},
		"bad update flags":  {1, byte(KindUpdateUser), 1, 0, 0, 0, 0x80},
		"empty name flag":   {1, byte(KindUpdateUser), 1, 0, 0, 0, 1, 0},
		"status 0 flag":     {1, byte(KindUpdateUser), 1, 0, 0, 0, 2, 0},
		"bad hash algo":     append([]byte{1, byte(KindChangePassword), 0, 0, 0, 0, 2}, appendHash(nil, h)[1:]...),
		"huge permissions":  {1, byte(KindUpdatePermissions), 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},
		"zero time in hash": Encode(ChangePassword{Password: PasswordHash{Memory: 8, Threads: 1, Salt: h.Salt, Key: h.Key}}),
		"short salt":        Encode(ChangePassword{Password: PasswordHash{Time: 1, Memory: 8, Threads: 1, Salt: h.Salt[:4], Key: h.Key}}),
	} {
		if _, err := Decode(b); !errors.Is(err, ErrMalformed) && !errors.Is(err, errUnimplemented) {
			t.Errorf("%s: Decode = %v", name, err)
		}
	}
}

// FuzzDecode: Decode never panics, and whatever it accepts re-encodes to
// the same bytes (the encoding is canonical).
func FuzzDecode(f *testing.F) {
	for _, op := range sampleOps(f) {
		f.Add(Encode(op))
	}
	f.Add([]byte{1, byte(KindUpdateUser), 1, 0, 0, 0, 3, 1, 'x', 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		op, err := Decode(b)
		if err != nil {
			return
		}
		if got := Encode(op); !bytes.Equal(got, b) {
			t.Fatalf("re-encoding differs\n in % x\nout % x", b, got)
		}
		NewState().Apply(b) // must not panic either
	})
}
