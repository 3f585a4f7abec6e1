package transporttest

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// FrameTimeout is the frame deadline the deadline tests set.
const FrameTimeout = 200 * time.Millisecond

func limiter(t *testing.T, c transport.Conn) transport.Limiter {
	t.Helper()
	l, ok := c.(transport.Limiter)
	if !ok {
		t.Skipf("%T does not implement transport.Limiter", c)
	}
	return l
}

// testLimitLowered: a limit lowered while the Conn runs refuses a larger
// frame from its header (S8), as the bus does before a client logs in.
func testLimitLowered(t *testing.T, mk MakePair) {
	const limit = 64 << 10
	p := pair(t, mk, 0)
	limiter(t, p.Server).SetReadLimits(transport.ReadLimits{MaxFrame: limit})
	at := Frame(wire.CommandRequest, limit-wire.HeaderSize, 1)
	over := Frame(wire.CommandRequest, limit-wire.HeaderSize+1, 2)
	var wg sync.WaitGroup
	wg.Go(func() { _ = p.Client.SendBatch([][]byte{at, over}) })
	if got := readOne(t, p.Server); !bytes.Equal(got, at) {
		t.Fatal("frame at the limit differs")
	}
	expectTooLarge(t, p, &wg)
}

// testLimitLifted: MaxFrame 0 restores the configured maximum, as the bus
// does once a client has logged in.
func testLimitLifted(t *testing.T, mk MakePair) {
	p := pair(t, mk, 0)
	l := limiter(t, p.Server)
	l.SetReadLimits(transport.ReadLimits{MaxFrame: 64 << 10})
	l.SetReadLimits(transport.ReadLimits{})
	big := Frame(wire.CommandRequest, 1<<20, 3)
	var wg sync.WaitGroup
	var sendErr error
	wg.Go(func() { sendErr = p.Client.SendBatch([][]byte{big}) })
	if got := readOne(t, p.Server); !bytes.Equal(got, big) {
		t.Fatal("1 MiB frame differs")
	}
	wg.Wait()
	if sendErr != nil {
		t.Fatal(sendErr)
	}
}

// testStalledFrame: once a frame has started, the rest must arrive within
// FrameTimeout; a peer that stops mid-frame fails the read with
// transport.ErrFrameTimeout instead of holding the connection forever.
func testStalledFrame(t *testing.T, mk MakePair) {
	p := pair(t, mk, 0)
	if p.Partial == nil {
		t.Skip("transport cannot leave a frame unfinished")
	}
	limiter(t, p.Server).SetReadLimits(transport.ReadLimits{FrameTimeout: FrameTimeout})
	whole := Frame(wire.CommandRequest, 1000, 1)
	if err := p.Client.SendBatch([][]byte{whole}); err != nil {
		t.Fatal(err)
	}
	if got := readOne(t, p.Server); !bytes.Equal(got, whole) {
		t.Fatal("whole frame differs")
	}
	if err := p.Partial(Frame(wire.CommandRequest, 1000, 2), 600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Server.ReadFrame(); !errors.Is(err, transport.ErrFrameTimeout) {
		t.Fatalf("got %v, want transport.ErrFrameTimeout", err)
	}
}

// testIdleNotTimedOut: the wait for a frame to start is not bounded by the
// frame deadline, even once the deadline left by an earlier frame has
// passed. The test idles for several deadlines (that wait is the condition
// under test, not a synchronisation), then sends a frame.
func testIdleNotTimedOut(t *testing.T, mk MakePair) {
	p := pair(t, mk, 0)
	if p.Partial == nil {
		t.Skip("transport has no frame deadline")
	}
	const timeout = 50 * time.Millisecond
	limiter(t, p.Server).SetReadLimits(transport.ReadLimits{FrameTimeout: timeout})
	first := Frame(wire.CommandRequest, 3000, 4) // read in more than one piece
	if err := p.Client.SendBatch([][]byte{first}); err != nil {
		t.Fatal(err)
	}
	if got := readOne(t, p.Server); !bytes.Equal(got, first) {
		t.Fatal("first frame differs")
	}
	got := make(chan []byte, 1)
	errs := make(chan error, 1)
	go func() {
		f, err := p.Server.ReadFrame()
		if err != nil {
			errs <- err
			return
		}
		got <- bytes.Clone(f.Bytes())
		f.Release()
	}()
	<-time.After(6 * timeout)
	f := Frame(wire.CommandRequest, 100, 5)
	if err := p.Client.SendBatch([][]byte{f}); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, f) {
			t.Fatal("frame differs")
		}
	case err := <-errs:
		t.Fatalf("idle connection failed: %v", err)
	}
}

// DialFrom opens a TCP connection to addr from local IP from (any port;
// on Linux every 127.0.0.0/8 address is local), closed at the end of the
// test. Tests of per-address limits use it to appear as several hosts.
func DialFrom(t testing.TB, from, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}
