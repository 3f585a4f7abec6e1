package ws

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"github.com/shoal-io/shoal/internal/wire"
)

// rawPeer is an upgraded client that writes hand-made frames and reads the
// server's frames byte by byte, to test RFC 6455 edge cases.
type rawPeer struct {
	nc     net.Conn
	br     *bufio.Reader
	server transport.Conn
}

func newRawPeer(t *testing.T, max uint32) *rawPeer {
	t.Helper()
	l := listen(t, false, max)
	defer l.Close()
	nc := dialRaw(t, l)
	up := "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Protocol: " + Subprotocol + "\r\n\r\n"
	if _, err := io.WriteString(nc, up); err != nil {
		t.Fatal(err)
	}
	p, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, err := p.Handshake(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatal(resp, err)
	}
	rp := &rawPeer{nc: nc, br: br, server: server}
	t.Cleanup(func() { nc.Close(); server.Close() })
	return rp
}

// write sends one masked frame with the given first byte (FIN, RSV, opcode).
func (rp *rawPeer) write(t *testing.T, b0 byte, payload []byte) {
	t.Helper()
	cl := &Conn{client: true}
	enc := cl.appendFrame(nil, 0, payload)
	enc[0] = b0
	if _, err := rp.nc.Write(enc); err != nil {
		t.Fatal(err)
	}
}

// read returns the next server frame's opcode and payload.
func (rp *rawPeer) read(t *testing.T) (byte, []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(rp.br, h[:]); err != nil {
		t.Fatal(err)
	}
	if h[1]&0x80 != 0 {
		t.Fatal("server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		io.ReadFull(rp.br, e[:])
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		io.ReadFull(rp.br, e[:])
		n = binary.BigEndian.Uint64(e[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(rp.br, p); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0f, p
}

// expectClose reads the server's close frame and checks its code; the
// server's ReadFrame must have failed with want.
func expectClose(t *testing.T, rp *rawPeer, code uint16, readErr, want error) {
	t.Helper()
	if !errors.Is(readErr, want) {
		t.Fatalf("ReadFrame: %v, want %v", readErr, want)
	}
	op, p := rp.read(t)
	if op != opClose || len(p) < 2 || binary.BigEndian.Uint16(p) != code {
		t.Fatalf("got opcode %#x payload %q, want close %d", op, p, code)
	}
}

func serverRead(rp *rawPeer) error {
	f, err := rp.server.ReadFrame()
	if f != nil {
		f.Release()
	}
	return err
}

// TestTextMessageClosed1003: a text message closes with 1003.
func TestTextMessageClosed1003(t *testing.T) {
	rp := newRawPeer(t, 0)
	rp.write(t, 0x80|opText, []byte("hello"))
	expectClose(t, rp, closeUnsupported, serverRead(rp), ErrTextMessage)
}

// TestMalformedFrameClosed1002: a binary message that is not one valid
// frame (size field differs from the message length; too short; unknown
// command), a continuation with no message to continue, an unmasked client
// frame and reserved bits all close with 1002 (S8). Fragmented messages
// are reassembled (fragment_test.go).
func TestMalformedFrameClosed1002(t *testing.T) {
	good := transporttest.Frame(wire.CommandRequest, 10, 1)
	mismatch := append(append([]byte(nil), good...), 0)
	badCmd := append([]byte(nil), good...)
	badCmd[60] = 0xff
	cases := map[string]struct {
		b0      byte
		payload []byte
		want    error
	}{
		"size-mismatch": {0x80 | opBinary, mismatch, wire.ErrFrameMismatch},
		"too-short":     {0x80 | opBinary, good[:100], wire.ErrFrameTooSmall},
		"bad-command":   {0x80 | opBinary, badCmd, wire.ErrUnknownCommand},
		"continuation":  {0x80 | opContinuation, good, ErrProtocol},
		"reserved-bits": {0x80 | 0x40 | opBinary, good, ErrProtocol},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rp := newRawPeer(t, 0)
			rp.write(t, tc.b0, tc.payload)
			err := serverRead(rp)
			expectClose(t, rp, closeProtocol, err, tc.want)
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("%v is not ErrProtocol", err)
			}
		})
	}
	t.Run("unmasked", func(t *testing.T) {
		rp := newRawPeer(t, 0)
		s := &Conn{}
		if _, err := rp.nc.Write(s.appendFrame(nil, opBinary, good)); err != nil {
			t.Fatal(err)
		}
		expectClose(t, rp, closeProtocol, serverRead(rp), ErrProtocol)
	})
}

// TestOversizedClosed1009: a message longer than the maximum frame size is
// refused from its WS header, before its payload is sent in full (S8).
func TestOversizedClosed1009(t *testing.T) {
	rp := newRawPeer(t, 4096)
	// Only the header of a 1 MiB message: the server must refuse it
	// without waiting for the payload.
	hdr := []byte{0x80 | opBinary, 0x80 | 127, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4}
	if _, err := rp.nc.Write(hdr); err != nil {
		t.Fatal(err)
	}
	expectClose(t, rp, closeTooBig, serverRead(rp), wire.ErrFrameTooLarge)
}

// TestPingAnsweredWithPong: a ping gets a pong with the same payload while
// the reader keeps delivering frames around it.
func TestPingAnsweredWithPong(t *testing.T) {
	rp := newRawPeer(t, 0)
	rp.write(t, 0x80|opPing, []byte("are you there"))
	rp.write(t, 0x80|opPong, []byte("unsolicited"))
	req := transporttest.Frame(wire.CommandRequest, 20, 5)
	rp.write(t, 0x80|opBinary, req)
	f, err := rp.server.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if transporttest.Seq(f.Bytes()) != 5 {
		t.Fatal("wrong frame after ping")
	}
	f.Release()
	op, p := rp.read(t)
	if op != opPong || string(p) != "are you there" {
		t.Fatalf("got opcode %#x payload %q, want the pong", op, p)
	}
}

// TestCloseFrameEchoedAndEOF: the peer's close frame is echoed with its
// code and ends the stream with io.EOF; later sends fail.
func TestCloseFrameEchoedAndEOF(t *testing.T) {
	rp := newRawPeer(t, 0)
	rp.write(t, 0x80|opClose, closePayload(closeNormal, "bye"))
	if err := serverRead(rp); !errors.Is(err, io.EOF) {
		t.Fatalf("ReadFrame: %v, want io.EOF", err)
	}
	op, p := rp.read(t)
	if op != opClose || binary.BigEndian.Uint16(p) != closeNormal {
		t.Fatalf("got opcode %#x payload %q, want close 1000", op, p)
	}
	if err := rp.server.SendBatch([][]byte{transporttest.Frame(wire.CommandReply, 0, 0)}); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}

// TestCloseSendsCloseFrame: Close says goodbye with 1000 before closing
// the socket.
func TestCloseSendsCloseFrame(t *testing.T) {
	rp := newRawPeer(t, 0)
	rp.server.Close()
	op, p := rp.read(t)
	if op != opClose || binary.BigEndian.Uint16(p) != closeNormal {
		t.Fatalf("got opcode %#x payload %q, want close 1000", op, p)
	}
	if _, err := rp.br.ReadByte(); err != io.EOF {
		t.Fatalf("after close frame: %v, want EOF", err)
	}
}

// TestBatchIsOneWrite: a batch of many messages arrives as back-to-back
// frames (encoded into one buffer by the writer) and in order.
func TestBatchIsOneWrite(t *testing.T) {
	rp := newRawPeer(t, 0)
	var batch [][]byte
	for i := range uint64(64) {
		batch = append(batch, transporttest.Frame(wire.CommandReply, 100, i))
	}
	if err := rp.server.SendBatch(batch); err != nil {
		t.Fatal(err)
	}
	for i := range uint64(64) {
		op, p := rp.read(t)
		if op != opBinary || transporttest.Seq(p) != i {
			t.Fatalf("message %d: opcode %#x seq %d", i, op, transporttest.Seq(p))
		}
	}
}

// TestQueuedControlGoesFirstInBatch: a control frame queued while the
// write lock was busy leaves at the head of the next batch's writev.
func TestQueuedControlGoesFirstInBatch(t *testing.T) {
	rp := newRawPeer(t, 0)
	sc := rp.server.(*Conn)
	sc.queueControl(opPong, []byte("late"))
	big := transporttest.Frame(wire.CommandReply, 70000, 1) // 64-bit length header
	if err := rp.server.SendBatch([][]byte{transporttest.Frame(wire.CommandReply, 10, 0), big}); err != nil {
		t.Fatal(err)
	}
	if op, p := rp.read(t); op != opPong || string(p) != "late" {
		t.Fatalf("got opcode %#x payload %q, want the queued pong", op, p)
	}
	for i := range uint64(2) {
		if op, p := rp.read(t); op != opBinary || transporttest.Seq(p) != i {
			t.Fatalf("message %d: opcode %#x", i, op)
		}
	}
}
