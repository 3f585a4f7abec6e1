package ws

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// fragments writes payload as a fragmented binary message cut at the
// given offsets: the first fragment is binary, the others continuations,
// the last with FIN set. between, if set, runs after fragment i is sent.
func (rp *rawPeer) fragments(t *testing.T, payload []byte, cuts []int, between func(i int)) {
	t.Helper()
	bounds := append(append([]int{0}, cuts...), len(payload))
	for i := range len(bounds) - 1 {
		op := byte(opContinuation)
		if i == 0 {
			op = opBinary
		}
		if i == len(bounds)-2 {
			op |= 0x80
		}
		rp.write(t, op, payload[bounds[i]:bounds[i+1]])
		if between != nil {
			between(i)
		}
	}
}

func readExact(t *testing.T, rp *rawPeer, want []byte) {
	t.Helper()
	f, err := rp.server.ReadFrame()
	if err != nil {
		t.Fatalf("ReadFrame: %v", err)
	}
	defer f.Release()
	if !bytes.Equal(f.Bytes(), want) {
		t.Fatalf("reassembled frame differs (%d bytes, want %d)", f.Len(), len(want))
	}
}

// TestFragmentedMessageReassembled (RFC 6455 §5.4): a frame sent as
// fragments of 1, 99, 156, 0 and the rest bytes, with a ping and a pong
// between fragments, is read as the one frame, and the ping is answered
// meanwhile; an empty final continuation ends a message too.
func TestFragmentedMessageReassembled(t *testing.T) {
	rp := newRawPeer(t, 0)
	a := transporttest.Frame(wire.CommandRequest, 1000, 7)
	rp.fragments(t, a, []int{1, 100, 256, 256}, func(i int) {
		switch i {
		case 1:
			rp.write(t, 0x80|opPing, []byte("mid-message"))
		case 2:
			rp.write(t, 0x80|opPong, nil)
		}
	})
	b := transporttest.Frame(wire.CommandRequest, 10, 8)
	rp.fragments(t, b, []int{len(b)}, nil)
	readExact(t, rp, a)
	readExact(t, rp, b)
	if op, p := rp.read(t); op != opPong || string(p) != "mid-message" {
		t.Fatalf("got opcode %#x payload %q, want the pong", op, p)
	}
}

// TestFragmentedLargeMessage: a frame above wire.LargeFrame arrives in
// three fragments and is reassembled whole.
func TestFragmentedLargeMessage(t *testing.T) {
	rp := newRawPeer(t, 0)
	big := transporttest.Frame(wire.CommandRequest, 2<<20+1000, 3)
	done := make(chan struct{})
	go func() {
		defer close(done)
		readExact(t, rp, big)
	}()
	rp.fragments(t, big, []int{700 << 10, 1400 << 10}, nil)
	<-done
}

// TestFragmentedOverLimitClosed1009 (S8): fragments that each fit but
// together exceed the frame limit are refused at the fragment that crosses
// it, before its payload is read; a wire header announcing more than the
// limit is refused as soon as its 256 bytes have arrived.
func TestFragmentedOverLimitClosed1009(t *testing.T) {
	t.Run("sum", func(t *testing.T) {
		rp := newRawPeer(t, 4096)
		f := transporttest.Frame(wire.CommandRequest, 4096, 1) // 4352 bytes
		rp.write(t, opBinary, f[:2000])
		rp.write(t, opContinuation, f[2000:4000])
		// Only the header of the crossing fragment.
		hdr := []byte{opContinuation, 0x80 | 126, 0x01, 0x60, 1, 2, 3, 4}
		if _, err := rp.nc.Write(hdr); err != nil {
			t.Fatal(err)
		}
		expectClose(t, rp, closeTooBig, serverRead(rp), wire.ErrFrameTooLarge)
	})
	t.Run("header", func(t *testing.T) {
		rp := newRawPeer(t, 4096)
		f := transporttest.Frame(wire.CommandRequest, 8192, 1)
		rp.write(t, opBinary, f[:wire.HeaderSize]) // and nothing more
		expectClose(t, rp, closeTooBig, serverRead(rp), wire.ErrFrameTooLarge)
	})
}

// TestFragmentedMalformedClosed1002: the wire header is checked once its
// 256 bytes are in (an unknown command is refused without waiting for the
// rest); fragments adding up to less or more than the frame, or to less
// than a header, and a data message started inside another all close with
// 1002.
func TestFragmentedMalformedClosed1002(t *testing.T) {
	good := transporttest.Frame(wire.CommandRequest, 500, 1)
	badCmd := bytes.Clone(good)
	badCmd[60] = 0xff
	cases := map[string]struct {
		send func(*testing.T, *rawPeer)
		want error
	}{
		"bad-command": {func(t *testing.T, rp *rawPeer) { rp.write(t, opBinary, badCmd[:wire.HeaderSize]) }, wire.ErrUnknownCommand},
		"short": {func(t *testing.T, rp *rawPeer) {
			rp.fragments(t, good[:len(good)-1], []int{300}, nil)
		}, wire.ErrFrameMismatch},
		"long": {func(t *testing.T, rp *rawPeer) {
			rp.fragments(t, append(bytes.Clone(good), 0), []int{300}, nil)
		}, wire.ErrFrameMismatch},
		"below-header": {func(t *testing.T, rp *rawPeer) { rp.fragments(t, good[:200], []int{100}, nil) }, wire.ErrFrameTooSmall},
		"binary-inside": {func(t *testing.T, rp *rawPeer) {
			rp.write(t, opBinary, good[:300])
			rp.write(t, 0x80|opBinary, good)
		}, ErrProtocol},
		"text-inside": {func(t *testing.T, rp *rawPeer) {
			rp.write(t, opBinary, good[:300])
			rp.write(t, 0x80|opText, []byte("x"))
		}, ErrProtocol},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rp := newRawPeer(t, 0)
			tc.send(t, rp)
			err := serverRead(rp)
			expectClose(t, rp, closeProtocol, err, tc.want)
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("%v is not ErrProtocol", err)
			}
		})
	}
}

// TestCloseInsideFragmentedMessage: a close frame between fragments is
// echoed and ends the stream inside a frame (io.ErrUnexpectedEOF).
func TestCloseInsideFragmentedMessage(t *testing.T) {
	rp := newRawPeer(t, 0)
	good := transporttest.Frame(wire.CommandRequest, 500, 1)
	rp.write(t, opBinary, good[:300])
	rp.write(t, 0x80|opClose, closePayload(closeNormal, ""))
	if err := serverRead(rp); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadFrame: %v, want io.ErrUnexpectedEOF", err)
	}
	if op, _ := rp.read(t); op != opClose {
		t.Fatalf("got opcode %#x, want the close echoed", op)
	}
}
