package transport

import (
	"context"
	"errors"
	"net"

	"github.com/shoal-io/shoal/internal/wire"
)

// Kind names a transport.
type Kind uint8

const (
	KindTCP  Kind = iota + 1 // plain TCP
	KindTLS                  // TCP + TLS
	KindWS                   // WebSocket
	KindWSS                  // WebSocket over TLS
	KindQUIC                 // QUIC
	KindMem                  // in-memory, tests only
)

var kindNames = [...]string{"", "tcp", "tls", "ws", "wss", "quic", "mem"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "kind?"
}

// ErrClosed is returned by a Conn or Listener used after Close.
var ErrClosed = errors.New("transport: closed")

// Conn is an established framed connection.
//
// ReadFrame is called by one goroutine at a time (the bus reader). SendBatch
// and Close are safe for concurrent use: each SendBatch reaches the peer
// contiguously, never interleaved with another batch. Close unblocks a
// pending ReadFrame and SendBatch and may be called more than once.
type Conn interface {
	// ReadFrame returns the next frame, validated before it is handed out
	// (S8: size within 256..max and a defined command). The caller owns the
	// frame and releases it. It returns io.EOF when the stream ends at a
	// frame boundary and io.ErrUnexpectedEOF when it ends inside a frame.
	ReadFrame() (*wire.Frame, error)

	// SendBatch writes every frame in order, in one write where the
	// transport allows it (S2: writev on plain TCP). It is atomic or an
	// error (S3): on error the batch is lost and the connection must be
	// closed. SendBatch may overwrite the elements of frames (net.Buffers
	// does) and does not retain them after it returns.
	SendBatch(frames [][]byte) error

	// Close closes the connection. Frames already accepted by SendBatch are
	// handed to the operating system (or peer) before the stream ends.
	Close() error

	// Kind reports the transport.
	Kind() Kind

	// RemoteAddr reports the peer's address.
	RemoteAddr() net.Addr
}

// Pending is an accepted connection whose handshake has not run yet. Shard 0
// accepts it and hands it, untouched, to the owning shard, which calls
// Handshake under a deadline (S6); a slow or silent peer then costs the
// owner one goroutine and never the accept loop.
type Pending interface {
	// Handshake performs the transport's handshake (socket options, TLS,
	// WS upgrade, QUIC stream acceptance) and returns the established Conn.
	// It honours ctx's deadline. On error the connection is closed.
	Handshake(ctx context.Context) (Conn, error)

	// Close abandons the connection without a handshake.
	Close() error

	// Kind reports the transport.
	Kind() Kind

	// RemoteAddr reports the peer's address.
	RemoteAddr() net.Addr
}

// Listener accepts raw connections. Accept does no protocol work (S6).
// Close unblocks a pending Accept, which then returns an error wrapping
// ErrClosed or net.ErrClosed.
type Listener interface {
	Accept() (Pending, error)
	Close() error
	Addr() net.Addr
	Kind() Kind
}

// ReadCloser is a Conn whose read side can be shut while its writes go
// on: a graceful shutdown stops reading new requests, answers the ones
// already read, then closes (issue 15). Reads after CloseRead return an
// error; bytes not read yet are dropped.
type ReadCloser interface {
	CloseRead() error
}
