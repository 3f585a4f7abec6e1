package quicconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Header offsets of the request id (wire.md §1.5, §1.6).
const (
	offRequestID = 168 // Request.request
	offReplyID   = 200 // Reply.request
)

// closeTimeout bounds how long a client's Close waits for the server to
// acknowledge its goodbye, and a Close's final writes.
const closeTimeout = 2 * time.Second

// sticky makes a reader's first error permanent: every later read
// returns it.
type sticky struct{ err error }

func (s *sticky) read(next func() (*wire.Frame, error)) (*wire.Frame, error) {
	if s.err != nil {
		return nil, s.err
	}
	f, err := next()
	if err != nil {
		s.err = err
	}
	return f, err
}

// readStreamFrame reads one frame from a stream, checking its header
// before reading the body (S8). An empty stream is io.EOF.
func readStreamFrame(r io.Reader, max uint32) (*wire.Frame, error) {
	return readStreamFrameWith(r, func() uint32 { return max })
}

// readStreamFrameWith is readStreamFrame with the cap read once the header
// has arrived.
func readStreamFrameWith(r io.Reader, max func() uint32) (*wire.Frame, error) {
	var hdr [wire.HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if err := wire.CheckHeader(hdr[:], max()); err != nil {
		return nil, err
	}
	size := int(wire.PeekSize(hdr[:]))
	if size > wire.LargeFrame {
		return wire.ReadLargeFrame(r, size, hdr[:])
	}
	f := wire.NewFrame(size)
	b := f.Bytes()
	copy(b, hdr[:])
	if _, err := io.ReadFull(r, b[wire.HeaderSize:]); err != nil {
		f.Release()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return f, nil
}

// finishRead completes a stream's receive side after its one frame. It
// waits for the FIN, which follows the frame at once; data after the frame
// is refused with STOP_SENDING. It runs on the stream's own reader
// goroutine, after the frame was handed on, so waiting costs nobody.
func finishRead(s interface {
	io.Reader
	CancelRead(quic.StreamErrorCode)
}) {
	var one [1]byte
	if n, err := s.Read(one[:]); n == 0 && err != nil {
		return // io.EOF, or the stream or connection already failed
	}
	s.CancelRead(streamCodeRefused)
}

// requestKey returns the request id a frame from the server answers: the
// Reply's echo at byte 200, a Request's own id at byte 168 (echo servers in
// tests), and ok=false for server-initiated frames.
func requestKey(f []byte) (id uint64, ok bool) {
	switch wire.PeekCommand(f) {
	case wire.CommandReply:
		return binary.LittleEndian.Uint64(f[offReplyID:]), true
	case wire.CommandRequest:
		return binary.LittleEndian.Uint64(f[offRequestID:]), true
	}
	return 0, false
}

// connErr maps a quic-go connection error: the peer closing with
// CodeNoError or CodeShutdown is a clean end (io.EOF), a local close is
// transport.ErrClosed.
func connErr(err error) error {
	var ae *quic.ApplicationError
	if errors.As(err, &ae) {
		if !ae.Remote {
			return fmt.Errorf("%w: %w", transport.ErrClosed, err)
		}
		if ae.ErrorCode == CodeNoError || ae.ErrorCode == CodeShutdown {
			return io.EOF
		}
	}
	if errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%w: %w", transport.ErrClosed, err)
	}
	return err
}

// isStreamErr reports whether err concerns one stream only (the peer reset
// or stopped it), not the connection.
func isStreamErr(err error) bool {
	var se *quic.StreamError
	return errors.As(err, &se)
}

// sendStream is the send side of a quic.Stream or quic.SendStream.
type sendStream interface {
	Write([]byte) (int, error)
	Close() error
	CancelWrite(quic.StreamErrorCode)
}

// sendOn writes one frame on s and finishes its send side. A stream-level
// error (the client abandoned the request) is not a connection failure.
func sendOn(s sendStream, f []byte) error {
	if _, err := s.Write(f); err != nil {
		s.CancelWrite(streamCodeRefused)
		if isStreamErr(err) {
			return nil
		}
		return err
	}
	// Close fails only for a stream the peer already stopped: the frame
	// was written and the peer has read what it wanted.
	_ = s.Close()
	return nil
}
