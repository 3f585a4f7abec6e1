package transporttest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Pair is a connected pair of one transport.
type Pair struct {
	Client, Server transport.Conn
	// Truncate writes the first n bytes of frame on the client's stream in
	// the transport's own encoding and then closes the client. Nil skips
	// the peer-close-mid-frame test.
	Truncate func(frame []byte, n int) error
	// Partial writes the first n bytes of frame on the client's stream in
	// the transport's own encoding and leaves the stream open. Nil skips
	// the frame-deadline tests.
	Partial func(frame []byte, n int) error
}

// MakePair returns a fresh pair whose readers refuse frames above max bytes
// (0 means wire.DefaultMaxMessageSize). Run closes both ends.
type MakePair func(t *testing.T, max uint32) Pair

// Run runs the conformance suite against mk.
func Run(t *testing.T, mk MakePair) {
	tests := []struct {
		name string
		fn   func(*testing.T, MakePair)
	}{
		{"RoundTrip", testRoundTrip},
		{"Pipelined1000", testPipelined},
		{"BigFrame", testBigFrame},
		{"OversizedRefused", testOversized},
		{"PeerCloseMidFrame", testPeerCloseMidFrame},
		{"ConcurrentSenders", testConcurrentSenders},
		{"ShutdownDrains", testShutdownDrains},
		{"CloseUnblocksRead", testCloseUnblocksRead},
		{"LimitLoweredRefuses", testLimitLowered},
		{"LimitLifted", testLimitLifted},
		{"StalledFrameTimesOut", testStalledFrame},
		{"IdleIsNotAFrame", testIdleNotTimedOut},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, mk) })
	}
}

func pair(t *testing.T, mk MakePair, max uint32) Pair {
	p := mk(t, max)
	t.Cleanup(func() {
		p.Client.Close()
		p.Server.Close()
	})
	return p
}

// Frame returns a frame of command cmd with a body of bodyLen bytes; the
// body starts with seq (8 bytes, when it fits) and is filled with a pattern.
func Frame(cmd wire.Command, bodyLen int, seq uint64) []byte {
	b := make([]byte, wire.HeaderSize+bodyLen)
	h := wire.GenericHeader{Prefix: wire.Prefix{Size: uint32(len(b)), Command: cmd}}
	h.Put(b)
	body := b[wire.HeaderSize:]
	for i := range body {
		body[i] = byte(i*7) ^ byte(seq)
	}
	if len(body) >= 8 {
		binary.LittleEndian.PutUint64(body, seq)
	}
	return b
}

// Seq returns the sequence number Frame stored in f's body.
func Seq(f []byte) uint64 { return binary.LittleEndian.Uint64(f[wire.HeaderSize:]) }

func readOne(t *testing.T, c transport.Conn) []byte {
	t.Helper()
	f, err := c.ReadFrame()
	if err != nil {
		t.Fatalf("ReadFrame: %v", err)
	}
	b := bytes.Clone(f.Bytes())
	f.Release()
	return b
}

func testRoundTrip(t *testing.T, mk MakePair) {
	p := pair(t, mk, 0)
	req := Frame(wire.CommandRequest, 100, 1)
	if err := p.Client.SendBatch([][]byte{req}); err != nil {
		t.Fatal(err)
	}
	if got := readOne(t, p.Server); !bytes.Equal(got, req) {
		t.Fatal("server read a different request")
	}
	rep := Frame(wire.CommandReply, 0, 0)
	if err := p.Server.SendBatch([][]byte{rep}); err != nil {
		t.Fatal(err)
	}
	if got := readOne(t, p.Client); !bytes.Equal(got, rep) {
		t.Fatal("client read a different reply")
	}
}

// testPipelined sends 1000 frames in batches of 1..64 without waiting; the
// server echoes each; the client sees all 1000 in order.
func testPipelined(t *testing.T, mk MakePair) {
	const n = 1000
	p := pair(t, mk, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Go(func() {
		seq := uint64(0)
		for size := 1; seq < n; size = size%64 + 1 {
			var batch [][]byte
			for range size {
				if seq == n {
					break
				}
				batch = append(batch, Frame(wire.CommandRequest, int(seq%300)+8, seq))
				seq++
			}
			if err := p.Client.SendBatch(batch); err != nil {
				errs <- fmt.Errorf("client send: %w", err)
				return
			}
		}
	})
	wg.Go(func() {
		for range n {
			f, err := p.Server.ReadFrame()
			if err != nil {
				errs <- fmt.Errorf("server read: %w", err)
				return
			}
			err = p.Server.SendBatch([][]byte{f.Bytes()})
			f.Release()
			if err != nil {
				errs <- fmt.Errorf("server send: %w", err)
				return
			}
		}
	})
	for i := range uint64(n) {
		got := readOne(t, p.Client)
		if Seq(got) != i || !bytes.Equal(got, Frame(wire.CommandRequest, int(i%300)+8, i)) {
			t.Fatalf("frame %d: got seq %d", i, Seq(got))
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func testBigFrame(t *testing.T, mk MakePair) {
	p := pair(t, mk, 0)
	big := Frame(wire.CommandRequest, 16<<20, 42)
	var wg sync.WaitGroup
	var sendErr error
	wg.Go(func() { sendErr = p.Client.SendBatch([][]byte{big}) })
	got := readOne(t, p.Server)
	wg.Wait()
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	if !bytes.Equal(got, big) {
		t.Fatal("16 MiB frame differs")
	}
}

// testOversized: a frame above the reader's maximum is refused before its
// body is read (S8).
func testOversized(t *testing.T, mk MakePair) {
	const max = 64 << 10
	p := pair(t, mk, max)
	var wg sync.WaitGroup
	wg.Go(func() { _ = p.Client.SendBatch([][]byte{Frame(wire.CommandRequest, max, 0)}) })
	expectTooLarge(t, p, &wg)
}

// expectTooLarge reads the next frame, which must be refused with
// wire.ErrFrameTooLarge, then closes both ends and waits for wg (the
// sender, which may block until the close).
func expectTooLarge(t *testing.T, p Pair, wg *sync.WaitGroup) {
	t.Helper()
	_, err := p.Server.ReadFrame()
	p.Server.Close()
	p.Client.Close()
	wg.Wait()
	if !errors.Is(err, wire.ErrFrameTooLarge) {
		t.Fatalf("got %v, want wire.ErrFrameTooLarge", err)
	}
}

func testPeerCloseMidFrame(t *testing.T, mk MakePair) {
	p := pair(t, mk, 0)
	if p.Truncate == nil {
		t.Skip("transport cannot write a partial frame")
	}
	f := Frame(wire.CommandRequest, 1000, 3)
	if err := p.Truncate(f, 600); err != nil {
		t.Fatal(err)
	}
	_, err := p.Server.ReadFrame()
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want an error other than io.EOF (truncated frame)", err)
	}
}

// testConcurrentSenders: batches sent from several goroutines at once reach
// the peer whole, never interleaved (S3), and in order per sender.
func testConcurrentSenders(t *testing.T, mk MakePair) {
	const senders, batches, per = 8, 50, 4
	p := pair(t, mk, 0)
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := range uint64(senders) {
		wg.Go(func() {
			for b := range uint64(batches) {
				batch := make([][]byte, per)
				for i := range batch {
					batch[i] = Frame(wire.CommandRequest, 64, s<<32|b<<8|uint64(i))
				}
				if err := p.Client.SendBatch(batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	next := make([]uint64, senders)
	for range senders * batches {
		first := Seq(readOne(t, p.Server))
		s, b := first>>32, first>>8&0xffffff
		if first&0xff != 0 || b != next[s] {
			t.Fatalf("batch start %#x: want sender %d batch %d", first, s, next[s])
		}
		next[s]++
		for i := uint64(1); i < per; i++ {
			if got := Seq(readOne(t, p.Server)); got != first+i {
				t.Fatalf("batch interleaved: got %#x after %#x", got, first)
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// testShutdownDrains: frames sent before Close all arrive, then io.EOF.
func testShutdownDrains(t *testing.T, mk MakePair) {
	const n = 200
	p := pair(t, mk, 0)
	var wg sync.WaitGroup
	var sendErr error
	wg.Go(func() {
		for i := range uint64(n) {
			if sendErr = p.Client.SendBatch([][]byte{Frame(wire.CommandRequest, 512, i)}); sendErr != nil {
				return
			}
		}
		sendErr = p.Client.Close()
	})
	for i := range uint64(n) {
		if got := Seq(readOne(t, p.Server)); got != i {
			t.Fatalf("frame %d: got %d", i, got)
		}
	}
	if _, err := p.Server.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("after drain: got %v, want io.EOF", err)
	}
	wg.Wait()
	if sendErr != nil {
		t.Fatal(sendErr)
	}
}

func testCloseUnblocksRead(t *testing.T, mk MakePair) {
	p := pair(t, mk, 0)
	done := make(chan error)
	go func() {
		_, err := p.Server.ReadFrame()
		done <- err
	}()
	p.Server.Close()
	if err := <-done; err == nil {
		t.Fatal("ReadFrame after Close returned a frame")
	}
}
