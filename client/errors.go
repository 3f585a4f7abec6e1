package client

import (
	"errors"
	"fmt"

	"github.com/shoal-io/shoal/internal/wire"
)

var (
	// ErrClosed is returned by calls on a closed Client.
	ErrClosed = errors.New("client: closed")
	// ErrNotLoggedIn is returned by a replicated operation before login;
	// nothing is sent (the server would evict the session).
	ErrNotLoggedIn = errors.New("client: not logged in")
	// ErrDisconnected means the connection failed and reconnection is off.
	ErrDisconnected = errors.New("client: disconnected")
	// ErrProtocol means the server sent something the protocol forbids (a
	// reply to another request, an unknown command); the connection is
	// closed.
	ErrProtocol = errors.New("client: protocol violation")
)

// StatusError is a reply status other than OK, from the reply header or a
// result section. Match a status with
// errors.Is(err, &client.StatusError{Status: client.StatusX}). It is an
// alias: its field is a Status and its methods are Error and Is.
type StatusError = wire.Error

// EvictionError reports that the server ended the session with an Eviction
// frame. The connection is closed; with reconnection enabled the next call
// dials again.
type EvictionError struct {
	Reason EvictionReason
	// MinVersion and MaxVersion are the server's protocol window, set for
	// EvictIncompatibleProtocol.
	MinVersion, MaxVersion ProtocolVersion
}

func (e *EvictionError) Error() string {
	if e.Reason == EvictIncompatibleProtocol {
		return fmt.Sprintf("client: evicted: %v (server accepts %v..%v)", e.Reason, e.MinVersion, e.MaxVersion)
	}
	return fmt.Sprintf("client: evicted: %v", e.Reason)
}

// Is matches another *EvictionError with the same reason.
func (e *EvictionError) Is(target error) bool {
	t, ok := target.(*EvictionError)
	return ok && t.Reason == e.Reason
}
