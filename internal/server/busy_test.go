package server

import (
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// When shard 0's inbox is full, a request that needs the metadata is
// answered TransientNotAccepted (clients replay it), never left parked
// without an answer (S11).
func TestShardZeroBusyIsAnswered(t *testing.T) {
	ts := startServer(t, "")
	conns := []*rawConn{ts.raw(), ts.raw()} // round robin: one on each shard
	epochs := make([]wire.Epoch, len(conns))
	for i, rc := range conns {
		epochs[i] = rc.login("iggy", "iggy")
	}
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the server stops, even if the test fails
	blocked := make(chan struct{})
	if err := ts.rt.Shard(0).Post(func(*shard.Shard) { close(blocked); <-release }); err != nil {
		t.Fatal(err)
	}
	<-blocked
	for ts.rt.Shard(0).Post(func(*shard.Shard) {}) == nil {
	}
	replies := make(chan wire.Status, len(conns))
	for i, rc := range conns {
		rc.send(wire.RequestHeader{Operation: wire.OpNonReplicated, Request: 1, Session: uint64(epochs[i]), Code: codeGetUsers}, nil)
		rc.c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound on failure, not a wait
		go func() {
			var h wire.ReplyHeader
			f, err := rc.r.ReadFrame()
			if err == nil {
				err = h.Decode(f.Bytes())
				f.Release()
			}
			if err != nil {
				h.Status = wire.StatusError
			}
			replies <- h.Status
		}()
	}
	// The connection on shard 1 is answered while shard 0 is still stuck.
	if st := <-replies; st != wire.StatusTransientNotAccepted {
		t.Fatalf("first answer %v, want TransientNotAccepted", st)
	}
	unblock()
	if st := <-replies; st != wire.StatusOK && st != wire.StatusTransientNotAccepted {
		t.Fatalf("second answer %v", st)
	}
}
