package shard

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// taskFunc adapts a function to Task.
type taskFunc func(s *Shard)

func (f taskFunc) Run(s *Shard) { f(s) }

// TestTasksRunOnTarget: a Task posted on the data or reply lane runs on
// the target shard's goroutine (S5), and the reply lane is served before
// the data lane.
func TestTasksRunOnTarget(t *testing.T) {
	rt := newRuntime(t, 2, Handlers{})
	target := rt.Shard(1)
	hold, held := make(chan struct{}), make(chan struct{})
	if err := target.Post(func(*Shard) { close(held); <-hold }); err != nil {
		t.Fatal(err)
	}
	<-held // the shard is busy: what follows queues
	ran := make(chan string, 2)
	if err := target.PostData(taskFunc(func(s *Shard) { ran <- fmt.Sprint("data on ", s.ID()) })); err != nil {
		t.Fatal(err)
	}
	if err := target.PostReply(taskFunc(func(s *Shard) { ran <- fmt.Sprint("reply on ", s.ID()) })); err != nil {
		t.Fatal(err)
	}
	close(hold)
	if a, b := <-ran, <-ran; a != "reply on 1" || b != "data on 1" {
		t.Fatalf("ran %q then %q, want the reply first, both on shard 1", a, b)
	}
	stop(t, rt)
}

// TestDataLaneFull: a full data lane refuses at once (S1), and a Task
// still queued at shutdown runs, so what it holds is released.
func TestDataLaneFull(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Shards, cfg.DataLane = 1, 2
	rt, err := New(cfg, Handlers{})
	if err != nil {
		t.Fatal(err)
	}
	hold, held := make(chan struct{}), make(chan struct{})
	if err := rt.Shard(0).Post(func(*Shard) { close(held); <-hold }); err != nil {
		t.Fatal(err)
	}
	<-held
	runs := 0
	for range 2 {
		if err := rt.Shard(0).PostData(taskFunc(func(*Shard) { runs++ })); err != nil {
			t.Fatal(err)
		}
	}
	if err := rt.Shard(0).PostData(taskFunc(func(*Shard) { runs++ })); !errors.Is(err, ErrInboxFull) {
		t.Fatalf("third post: %v, want ErrInboxFull", err)
	}
	close(hold)
	stop(t, rt)
	if runs != 2 {
		t.Fatalf("%d queued tasks ran, want 2", runs)
	}
}

// TestClientInstalledBeforeAnyRequest: a connection that has sent nothing
// is reported to its owner once installed, so the server counts and lists
// it (issue 15: shoal_client_connections counted only connections that had
// sent a request).
func TestClientInstalledBeforeAnyRequest(t *testing.T) {
	installed := make(chan wire.ShardID, 1)
	rt := newRuntime(t, 2, Handlers{OnClientInstalled: func(s *Shard, id wire.ClientID) {
		if id.Shard() != s.ID() {
			t.Errorf("installed on shard %d, owned by %d", s.ID(), id.Shard())
		}
		installed <- s.ID()
	}})
	addr := serveTCP(t, rt)
	c := dial(t, addr)
	<-installed
	c.Close()
	stop(t, rt)
}
