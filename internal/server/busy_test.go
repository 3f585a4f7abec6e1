package server

import (
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// A write the metadata service does not take (its queue is full, or it is
// closing) is answered TransientNotAccepted, which clients replay; the
// connection is never left parked without an answer (S11).
func TestRefusedWriteIsAnswered(t *testing.T) {
	ts := startServer(t, "")
	rc := ts.raw()
	epoch := rc.login("iggy", "iggy")
	ts.svc.Close() // from now on the service takes nothing (service.ErrClosed)
	rc.send(wire.RequestHeader{Operation: wire.OpCreateStream, Request: 1, Session: uint64(epoch)}, streamBody("s"))
	h, _ := rc.reply()
	if h.Status != wire.StatusTransientNotAccepted {
		t.Fatalf("answer %v, want TransientNotAccepted", h.Status)
	}
}

// streamBody is CreateStream's body: [name_len u8][name].
func streamBody(name string) []byte { return append([]byte{byte(len(name))}, name...) }
