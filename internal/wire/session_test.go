package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestProtocolVersion(t *testing.T) {
	if PackVersion(0, 11, 0) != CurrentProtocolVersion || CurrentProtocolVersion != 11264 {
		t.Fatalf("pack(0,11,0) = %d", PackVersion(0, 11, 0))
	}
	if a, b, c := PackVersion(1, 2, 3).Parts(); a != 1 || b != 2 || c != 3 || PackVersion(1, 2, 3).String() != "1.2.3" {
		t.Fatal("parts")
	}
	for _, tc := range []struct {
		v    ProtocolVersion
		want bool
	}{
		{PackVersion(0, 11, 0), true},
		{PackVersion(0, 11, 9), true}, // a newer patch of our minor
		{PackVersion(0, 10, 9), false},
		{PackVersion(0, 12, 0), false},
		{PackVersion(1, 0, 0), false},
		{0, false},
	} {
		if tc.v.Compatible() != tc.want {
			t.Errorf("%v compatible = %v", tc.v, !tc.want)
		}
	}
}

func TestLoginBodiesRoundTrip(t *testing.T) {
	p := LoginPassword{Version: goVersionInfo("1.0"), Username: []byte("üser"), Password: []byte(""), Context: []byte("ctx")}
	b := p.Append(nil)
	var d LoginPassword
	if err := d.Decode(b); err != nil {
		t.Fatal(err)
	}
	if string(d.Username) != "üser" || len(d.Password) != 0 || string(d.Context) != "ctx" || string(d.Version.SDKVersion) != "1.0" {
		t.Fatalf("%+v", d)
	}
	// Every truncation fails; none panics.
	for n := range len(b) {
		if err := new(LoginPassword).Decode(b[:n]); !errors.Is(err, ErrMalformedBody) {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}

	tok := LoginToken{Version: goVersionInfo("1.0"), Token: []byte("secret-token")}
	b = tok.Append(nil)
	var dt LoginToken
	if err := dt.Decode(b); err != nil || string(dt.Token) != "secret-token" {
		t.Fatalf("%v %+v", err, dt)
	}
	for n := range len(b) {
		if err := new(LoginToken).Decode(b[:n]); !errors.Is(err, ErrMalformedBody) {
			t.Fatalf("token prefix %d: %v", n, err)
		}
	}
}

func TestLoginBodyRejectsBadNames(t *testing.T) {
	good := (&LoginPassword{Version: goVersionInfo("1"), Username: []byte("u"), Password: []byte("p")}).Append(nil)
	// sdk_name length 0.
	b := bytes.Clone(good)
	b[4] = 0
	if err := new(LoginPassword).Decode(b); !errors.Is(err, ErrMalformedBody) {
		t.Fatalf("empty sdk name: %v", err)
	}
	// Invalid UTF-8 in the username.
	b = bytes.Clone(good)
	i := bytes.IndexByte(b[5+6+2:], 'u') + 5 + 6 + 2
	b[i] = 0xFF
	if err := new(LoginPassword).Decode(b); !errors.Is(err, ErrMalformedBody) {
		t.Fatalf("bad utf-8: %v", err)
	}
}

func TestResultSection(t *testing.T) {
	payload, st, err := SplitResult(append(AppendResultOK(nil), 1, 2, 3))
	if err != nil || st != StatusOK || !bytes.Equal(payload, []byte{1, 2, 3}) {
		t.Fatalf("ok: %v %v %x", err, st, payload)
	}
	payload, st, err = SplitResult(AppendResultError(nil, StatusStreamNameAlreadyExists))
	if err != nil || st != StatusStreamNameAlreadyExists || len(payload) != 0 {
		t.Fatalf("error: %v %v %x", err, st, payload)
	}
	for _, bad := range [][]byte{nil, {1, 0}, {1, 0, 0, 0, 0, 0, 0}, {0xFF, 0xFF, 0xFF, 0xFF}} {
		if _, _, err := SplitResult(bad); !errors.Is(err, ErrMalformedBody) {
			t.Fatalf("%x: %v", bad, err)
		}
	}
}
