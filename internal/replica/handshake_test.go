package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

func newSide(secret Secret, cluster string, self wire.ReplicaID, now func() time.Time) *handshaker {
	return newHandshaker(NewAuth(secret, cluster), self, nil, now)
}

// fixedNonces makes h draw the same nonce on every handshake, as a replay
// attacker would send it.
func fixedNonces(h *handshaker, b byte) {
	h.rand = bytes.NewReader(bytes.Repeat([]byte{b}, 1<<12))
}

// flipWrite corrupts byte off of the n-th Write (1-based).
type flipWrite struct {
	net.Conn
	n, off int
}

func (f *flipWrite) Write(b []byte) (int, error) {
	f.n--
	if f.n == 0 {
		b = bytes.Clone(b)
		b[f.off] ^= 0xff
	}
	return f.Conn.Write(b)
}

type result struct {
	dialErr, acceptErr error
	peer               wire.ReplicaID
}

// run runs one handshake over a pipe: d dials acceptor a (a.self), with
// wrap applied to the dialer's end.
func run(t *testing.T, d, a *handshaker, wrap func(net.Conn) net.Conn) result {
	t.Helper()
	dc, ac := net.Pipe()
	defer ac.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		var c net.Conn = dc
		if wrap != nil {
			c = wrap(dc)
		}
		err := d.dial(ctx, c, a.self, binding{})
		if err != nil {
			dc.Close() // the dialer drops the connection, as Outbound does
		}
		errc <- err
	}()
	peer, aerr := a.accept(ctx, ac, nil, binding{})
	if aerr != nil {
		ac.Close()
	}
	derr := <-errc
	dc.Close()
	return result{dialErr: derr, acceptErr: aerr, peer: peer}
}

func isReject(err error, r Reason, remote bool) bool {
	return errors.Is(err, &RejectError{Reason: r, Remote: remote})
}

func TestHandshakeOK(t *testing.T) {
	d := newSide(sampleSecret(), "c", 1, nil)
	a := newSide(sampleSecret(), "c", 2, nil)
	r := run(t, d, a, nil)
	if r.dialErr != nil || r.acceptErr != nil || r.peer != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestHandshakeWrongSecret(t *testing.T) {
	var other Secret
	other[0] = 0xee
	d := newSide(other, "c", 0, nil)
	a := newSide(sampleSecret(), "c", 1, nil)
	r := run(t, d, a, nil)
	// The dialer catches it at the Challenge and never sends a Finish.
	if !isReject(r.dialErr, ReasonMACMismatch, false) || r.acceptErr == nil {
		t.Fatalf("%+v", r)
	}
}

func TestHandshakeWrongCluster(t *testing.T) {
	d := newSide(sampleSecret(), "other", 0, nil)
	a := newSide(sampleSecret(), "c", 1, nil)
	r := run(t, d, a, nil)
	if !isReject(r.acceptErr, ReasonClusterMismatch, false) || !isReject(r.dialErr, ReasonClusterMismatch, true) {
		t.Fatalf("%+v", r)
	}
}

func TestHandshakeStaleTimestamp(t *testing.T) {
	for _, skew := range []time.Duration{-TimestampWindow - time.Second, TimestampWindow + time.Second} {
		d := newSide(sampleSecret(), "c", 0, func() time.Time { return time.Now().Add(skew) })
		a := newSide(sampleSecret(), "c", 1, nil)
		r := run(t, d, a, nil)
		if !isReject(r.acceptErr, ReasonStaleTimestamp, false) || !isReject(r.dialErr, ReasonStaleTimestamp, true) {
			t.Fatalf("skew %v: %+v", skew, r)
		}
	}
	// The dialer checks the Challenge's timestamp too.
	d := newSide(sampleSecret(), "c", 0, nil)
	var calls int
	a := newSide(sampleSecret(), "c", 1, func() time.Time {
		calls++
		if calls == 1 {
			return time.Now() // checking the Hello
		}
		return time.Now().Add(time.Hour) // stamping the Challenge
	})
	r := run(t, d, a, nil)
	if !isReject(r.dialErr, ReasonStaleTimestamp, false) {
		t.Fatalf("%+v", r)
	}
}

func TestHandshakeDirectionalRule(t *testing.T) {
	for _, ids := range [][2]wire.ReplicaID{{2, 1}, {1, 1}} {
		d := newSide(sampleSecret(), "c", ids[0], nil)
		a := newSide(sampleSecret(), "c", ids[1], nil)
		r := run(t, d, a, nil)
		if !isReject(r.acceptErr, ReasonDirectional, false) || !isReject(r.dialErr, ReasonDirectional, true) {
			t.Fatalf("%d dials %d: %+v", ids[0], ids[1], r)
		}
	}
}

func TestHandshakeReplayedNonce(t *testing.T) {
	a := newSide(sampleSecret(), "c", 1, nil)
	d := newSide(sampleSecret(), "c", 0, nil)
	fixedNonces(d, 0x5a)
	if r := run(t, d, a, nil); r.dialErr != nil || r.acceptErr != nil {
		t.Fatalf("first: %+v", r)
	}
	fixedNonces(d, 0x5a)
	r := run(t, d, a, nil)
	if !isReject(r.acceptErr, ReasonReplayedNonce, false) || !isReject(r.dialErr, ReasonReplayedNonce, true) {
		t.Fatalf("replay: %+v", r)
	}
	// Another peer may use the same nonce: rings are per peer.
	d2 := newSide(sampleSecret(), "c", 1, nil)
	a2 := newSide(sampleSecret(), "c", 2, nil)
	a2.nonces = a.nonces
	fixedNonces(d2, 0x5a)
	if r := run(t, d2, a2, nil); r.dialErr != nil || r.acceptErr != nil {
		t.Fatalf("other peer: %+v", r)
	}
}

// The dialer checks the acceptor's nonce too: a Challenge replayed to it
// (the same nonce_a twice) is refused.
func TestHandshakeDialerRejectsReplayedChallengeNonce(t *testing.T) {
	d := newSide(sampleSecret(), "c", 0, nil)
	a := newSide(sampleSecret(), "c", 1, nil)
	fixedNonces(a, 0x11)
	if r := run(t, d, a, nil); r.dialErr != nil {
		t.Fatalf("first: %+v", r)
	}
	fixedNonces(a, 0x11)
	if r := run(t, d, a, nil); !isReject(r.dialErr, ReasonReplayedNonce, false) {
		t.Fatalf("%+v", r)
	}
}

// A forged Finish MAC is refused and does not use up the nonce: the honest
// handshake with the same nonce succeeds afterwards.
func TestHandshakeForgedMACDoesNotConsumeNonce(t *testing.T) {
	a := newSide(sampleSecret(), "c", 1, nil)
	d := newSide(sampleSecret(), "c", 0, nil)
	fixedNonces(d, 0x77)
	forge := func(c net.Conn) net.Conn { return &flipWrite{Conn: c, n: 2, off: 160} } // 2nd write: Finish MAC
	r := run(t, d, a, forge)
	if !isReject(r.acceptErr, ReasonMACMismatch, false) {
		t.Fatalf("forged: %+v", r)
	}
	if a.nonces.Seen(0, repeatNonce(0x77)) {
		t.Fatal("forged MAC consumed a ring slot")
	}
	fixedNonces(d, 0x77)
	if r := run(t, d, a, nil); r.dialErr != nil || r.acceptErr != nil {
		t.Fatalf("honest after forged: %+v", r)
	}
	// A forged Challenge MAC is caught by the dialer.
	d = newSide(sampleSecret(), "c", 0, nil)
	dc, ac := net.Pipe()
	go func() {
		a.accept(context.Background(), &flipWrite{Conn: ac, n: 1, off: 170}, nil, binding{})
		ac.Close()
	}()
	err := d.dial(context.Background(), dc, 1, binding{})
	dc.Close()
	if !isReject(err, ReasonMACMismatch, false) {
		t.Fatalf("forged challenge: %v", err)
	}
}

func repeatNonce(b byte) [NonceSize]byte {
	var n [NonceSize]byte
	for i := range n {
		n[i] = b
	}
	return n
}

// A frame of the wrong command or a malformed one is refused before any
// crypto.
func TestHandshakeGarbage(t *testing.T) {
	a := newSide(sampleSecret(), "c", 1, nil)
	for name, frame := range map[string][]byte{
		"request": func() []byte {
			b := make([]byte, wire.HeaderSize)
			b[60] = byte(wire.CommandRequest)
			return b
		}(),
		"hello with reserved bytes": func() []byte {
			var b frameBuf
			newSide(sampleSecret(), "c", 0, nil).put(&b, wire.CommandReplicaHello, nonceOf(1), [MACSize]byte{}, 0, 1)
			b[250] = 1
			return b[:]
		}(),
	} {
		dc, ac := net.Pipe()
		go func() {
			dc.Write(frame)
			var reply [wire.HeaderSize]byte
			dc.Read(reply[:])
			dc.Close()
		}()
		_, err := a.accept(context.Background(), ac, nil, binding{})
		ac.Close()
		var re *RejectError
		if !errors.As(err, &re) || (re.Reason != ReasonUnknownCommand && re.Reason != ReasonMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A silent dialer holds its handshake until the deadline and no longer,
// and does not delay a concurrent honest handshake (S6). Under synctest the
// deadline elapses in fake time, so nothing here waits for real.
func TestHandshakeSilentDialerTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newSide(sampleSecret(), "c", 1, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()

		silent, ac := net.Pipe()
		defer silent.Close()
		silentErr := make(chan error, 1)
		go func() {
			_, err := a.accept(ctx, ac, nil, binding{})
			ac.Close()
			silentErr <- err
		}()

		d := newSide(sampleSecret(), "c", 0, nil)
		dc, ac2 := net.Pipe()
		go func() {
			d.dial(ctx, dc, 1, binding{})
			dc.Close()
		}()
		peer, err := a.accept(ctx, ac2, nil, binding{})
		ac2.Close()
		if err != nil || peer != 0 {
			t.Fatalf("honest handshake: %d %v", peer, err)
		}
		if time.Since(start) != 0 {
			t.Fatalf("honest handshake waited %v for the silent one", time.Since(start))
		}
		select {
		case err := <-silentErr:
			t.Fatalf("silent handshake ended early: %v", err)
		default:
		}
		err = <-silentErr
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("silent handshake: %v, want deadline exceeded", err)
		}
		if got := time.Since(start); got != 10*time.Second {
			t.Fatalf("silent handshake ended after %v, want the 10s deadline", got)
		}
	})
}

// Cancelling the context (shutdown) unblocks a handshake at once.
func TestHandshakeCancel(t *testing.T) {
	a := newSide(sampleSecret(), "c", 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	silent, ac := net.Pipe()
	defer silent.Close()
	done := make(chan error, 1)
	go func() {
		_, err := a.accept(ctx, ac, nil, binding{})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", err)
	}
	ac.Close()
}

// busy, given the Hello's sender and timestamp, refuses a connected peer
// at its Hello, with a status the dialer sees; it is asked once the Hello
// has passed the cheaper checks, and a peer that is not busy gets through. (Claiming the peer is the owner's
// work after the handshake: shard.TestInboundReplicaClaimsAfterHandshake.)
func TestHandshakeBusy(t *testing.T) {
	a := newSide(sampleSecret(), "c", 1, nil)
	d := newSide(sampleSecret(), "c", 0, nil)
	var calls []string
	connected := true
	busy := func(r wire.ReplicaID, ts uint64) bool {
		calls = append(calls, fmt.Sprint("busy ", r, ts > 0))
		return connected
	}
	errc := make(chan error, 1)
	for _, want := range []bool{true, false} {
		connected = want
		dc, ac := net.Pipe()
		go func(dc net.Conn) { errc <- d.dial(context.Background(), dc, 1, binding{}); dc.Close() }(dc)
		peer, err := a.accept(context.Background(), ac, busy, binding{})
		ac.Close()
		derr := <-errc
		switch {
		case want && (!isReject(err, ReasonAlreadyConnected, false) || !isReject(derr, ReasonAlreadyConnected, true)):
			t.Fatalf("busy: acceptor %v, dialer %v", err, derr)
		case !want && (err != nil || derr != nil || peer != 0):
			t.Fatalf("not busy: acceptor %d %v, dialer %v", peer, err, derr)
		}
	}
	if want := []string{"busy 0 true", "busy 0 true"}; fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
}

// TestHandshakeKeyRotation walks the three-roll rotation from key A to key
// B (Auth.WithPrevious): at every step, nodes on the old and the new
// configuration authenticate each other both ways; a node that only
// accepts (previous) a key never signs with it, so after the last roll a
// node still on A alone is refused.
func TestHandshakeKeyRotation(t *testing.T) {
	var keyA, keyB Secret
	keyA[0], keyB[0] = 0xaa, 0xbb
	type conf struct {
		shared   Secret
		previous *Secret
	}
	side := func(c conf, self wire.ReplicaID) *handshaker {
		a := NewAuth(c.shared, "c")
		if c.previous != nil {
			a.WithPrevious(*c.previous)
		}
		return newHandshaker(a, self, nil, nil)
	}
	confs := map[string]conf{
		"A":   {shared: keyA},
		"A+B": {shared: keyA, previous: &keyB},
		"B+A": {shared: keyB, previous: &keyA},
		"B":   {shared: keyB},
	}
	pairs := []struct {
		x, y string
		ok   bool
	}{
		{"A", "A+B", true},   // roll 1 in progress
		{"A+B", "B+A", true}, // roll 2 in progress
		{"B+A", "B", true},   // roll 3 in progress
		{"A+B", "A+B", true}, // between rolls
		{"A", "B+A", false},  // B+A signs with B, which A alone does not accept: roll 1 must finish first
		{"A", "B", false},
		{"A+B", "B", false},
	}
	for _, p := range pairs {
		for _, dir := range [][2]string{{p.x, p.y}, {p.y, p.x}} {
			d, a := side(confs[dir[0]], 0), side(confs[dir[1]], 1)
			r := run(t, d, a, nil)
			ok := r.dialErr == nil && r.acceptErr == nil
			if ok != p.ok {
				t.Errorf("%s dials %s: connected %v, want %v (%+v)", dir[0], dir[1], ok, p.ok, r)
			}
		}
	}
}
