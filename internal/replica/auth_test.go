package replica

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

const sampleHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func sampleSecret() Secret {
	var k Secret
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseSecret(t *testing.T) {
	for _, s := range []string{sampleHex, strings.ToUpper(sampleHex), "  " + sampleHex + "\n"} {
		k, err := ParseSecret(s)
		if err != nil || k != sampleSecret() {
			t.Errorf("ParseSecret(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", sampleHex[:62], sampleHex + "00", "zz" + sampleHex[2:]} {
		if _, err := ParseSecret(s); !errors.Is(err, ErrSecretFormat) {
			t.Errorf("ParseSecret(%q) err = %v, want ErrSecretFormat", s, err)
		}
	}
}

func TestLoadSecret(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("  "+sampleHex+"  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		env  map[string]string
		err  error
	}{
		{"shoal literal", map[string]string{EnvSecret: sampleHex}, nil},
		{"shoal file", map[string]string{EnvSecretFile: file}, nil},
		{"iggy literal", map[string]string{EnvIggySecret: sampleHex}, nil},
		{"iggy file", map[string]string{EnvIggySecretFile: file}, nil},
		{"both prefixes agree", map[string]string{EnvSecret: sampleHex, EnvIggySecretFile: file}, nil},
		{"none", nil, ErrNoSecret},
		{"shoal literal and file", map[string]string{EnvSecret: sampleHex, EnvSecretFile: file}, ErrSecretBothSet},
		{"iggy literal and file", map[string]string{EnvIggySecret: sampleHex, EnvIggySecretFile: file}, ErrSecretBothSet},
		{"prefixes disagree", map[string]string{EnvSecret: sampleHex, EnvIggySecret: other}, ErrSecretConflict},
		{"bad hex", map[string]string{EnvSecret: other[:10]}, ErrSecretFormat},
		{"missing file", map[string]string{EnvSecretFile: file + ".missing"}, os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := LoadSecret(env(tc.env))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || k != sampleSecret() {
				t.Fatalf("LoadSecret = %x, %v", k, err)
			}
		})
	}
}

func TestClusterID(t *testing.T) {
	a, b := ClusterID("shoal-cluster"), ClusterID("other")
	if a == b || a.IsZero() {
		t.Fatalf("ClusterID: %v %v", a, b)
	}
	if ClusterID("shoal-cluster") != a {
		t.Fatal("ClusterID not deterministic")
	}
}

func sampleTranscript() transcript {
	t := transcript{dialer: 1, acceptor: 4, tsD: 1_700_000_000_000_000_000, tsA: 1_700_000_000_000_000_500}
	for i := range t.nonceD {
		t.nonceD[i], t.nonceA[i] = byte(i), byte(255-i)
	}
	return t
}

// Every transcript field, the direction, the key and the cluster change
// the MAC.
func TestMACCoversTranscript(t *testing.T) {
	a := NewAuth(sampleSecret(), "c")
	base := sampleTranscript()
	ref := a.mac(&base, dirDialer)
	if ref != a.mac(&base, dirDialer) {
		t.Fatal("MAC not deterministic")
	}
	if ref == a.mac(&base, dirAcceptor) {
		t.Error("direction not covered")
	}
	muts := map[string]func(*transcript){
		"dialer":   func(t *transcript) { t.dialer++ },
		"acceptor": func(t *transcript) { t.acceptor++ },
		"nonce_d":  func(t *transcript) { t.nonceD[7] ^= 1 },
		"nonce_a":  func(t *transcript) { t.nonceA[31] ^= 1 },
		"ts_d":     func(t *transcript) { t.tsD++ },
		"ts_a":     func(t *transcript) { t.tsA++ },
		"mode":     func(t *transcript) { t.tls = true },
		"exporter": func(t *transcript) { t.tls = true; t.exporter[0] = 1 },
	}
	for name, mut := range muts {
		tr := base
		mut(&tr)
		if a.mac(&tr, dirDialer) == ref {
			t.Errorf("%s not covered by the MAC", name)
		}
	}
	var other Secret
	other[0] = 1
	if NewAuth(other, "c").mac(&base, dirDialer) == ref {
		t.Error("secret not covered")
	}
	if NewAuth(sampleSecret(), "d").mac(&base, dirDialer) == ref {
		t.Error("cluster not covered")
	}
	if !a.verify(&base, dirDialer, ref) {
		t.Error("verify rejects the right MAC")
	}
	ref[0] ^= 1
	if a.verify(&base, dirDialer, ref) {
		t.Error("verify accepts a flipped MAC")
	}
}

func TestTimestampWindow(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	ts := uint64(now.UnixNano())
	for _, tc := range []struct {
		now time.Time
		ok  bool
	}{
		{now, true},
		{now.Add(TimestampWindow), true},
		{now.Add(-TimestampWindow), true},
		{now.Add(TimestampWindow + 1), false},
		{now.Add(-TimestampWindow - 1), false},
	} {
		if re := checkTimestamp(ts, tc.now); (re == nil) != tc.ok {
			t.Errorf("checkTimestamp at %v: %v, want ok=%v", tc.now.Sub(now), re, tc.ok)
		}
	}
}

func nonceOf(b byte) (n [NonceSize]byte) {
	n[0] = b
	return n
}

func TestNonceRing(t *testing.T) {
	var r nonceRing
	if !r.insert(nonceOf(0)) || r.insert(nonceOf(0)) {
		t.Fatal("zero nonce: first insert must succeed, second fail")
	}
	for i := 1; i < NonceRingSize; i++ {
		if !r.insert(nonceOf(byte(i))) {
			t.Fatalf("insert %d failed", i)
		}
	}
	// Full: the next insert evicts the oldest (0), FIFO.
	if !r.insert(nonceOf(200)) {
		t.Fatal("insert into a full ring failed")
	}
	if r.contains(nonceOf(0)) || !r.contains(nonceOf(1)) || !r.contains(nonceOf(200)) {
		t.Fatal("FIFO eviction broken")
	}
	if !r.insert(nonceOf(0)) || r.contains(nonceOf(1)) {
		t.Fatal("evicted nonce must be insertable again, evicting the next oldest")
	}
}

func TestNonceStoreIsolatesPeers(t *testing.T) {
	s := NewNonceStore()
	n := nonceOf(9)
	if !s.Insert(1, n) || !s.Insert(2, n) || s.Insert(1, n) {
		t.Fatal("rings must be per peer")
	}
	if !s.Seen(1, n) || s.Seen(3, n) {
		t.Fatal("Seen")
	}
}

func TestHandshakeFrameLayout(t *testing.T) {
	h := newHandshaker(NewAuth(sampleSecret(), "c"), 3, nil, func() time.Time { return time.Unix(0, 42) })
	var b frameBuf
	h.put(&b, wire.CommandReplicaChallenge, nonceOf(7), [MACSize]byte{1: 9}, ReasonDirectional, 42)
	var hh wire.HandshakeHeader
	if err := hh.Decode(b[:]); err != nil {
		t.Fatal(err)
	}
	if hh.Command != wire.CommandReplicaChallenge || hh.Replica != 3 || hh.Cluster != ClusterID("c") ||
		hh.Nonce != nonceOf(7) || hh.MAC[1] != 9 || hh.Status != uint8(ReasonDirectional) || hh.Timestamp != 42 {
		t.Fatalf("decoded %+v", hh)
	}
	if b[128] != 7 || b[161] != 9 || b[192] != 3 || b[200] != 42 || !bytes.Equal(b[208:], make([]byte, 48)) {
		t.Fatal("offsets differ from wire.md §1.8")
	}
}

func TestReasonStrings(t *testing.T) {
	for r, s := range map[Reason]string{
		ReasonOK: "ok", ReasonClusterMismatch: "cluster_mismatch", ReasonDirectional: "directional_rule",
		ReasonMACMismatch: "mac_mismatch", ReasonStaleTimestamp: "stale_timestamp",
		ReasonReplayedNonce: "replayed_nonce", ReasonAlreadyConnected: "already_connected", Reason(99): "reason(99)",
	} {
		if r.String() != s {
			t.Errorf("%d: %q, want %q", r, r.String(), s)
		}
	}
	err := error(&RejectError{Reason: ReasonMACMismatch, Detail: "x"})
	if !errors.Is(err, &RejectError{Reason: ReasonMACMismatch}) || errors.Is(err, &RejectError{Reason: ReasonMACMismatch, Remote: true}) {
		t.Fatal("RejectError.Is")
	}
}
