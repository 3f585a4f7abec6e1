package shard

import (
	"context"
	"errors"
	"testing"
)

// TestPostWait: with the owner busy and its lifecycle lane full, Post is
// refused but PostWait waits for room and its function runs; once the
// runtime stops, PostWait returns ErrStopped.
func TestPostWait(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Shards, cfg.LifecycleLane = 1, 1
	rt, err := New(cfg, Handlers{})
	if err != nil {
		t.Fatal(err)
	}
	s := rt.Shard(0)
	busy, release := make(chan struct{}), make(chan struct{})
	if err := s.Post(func(*Shard) { close(busy); <-release }); err != nil {
		t.Fatal(err)
	}
	<-busy
	if err := s.Post(func(*Shard) {}); err != nil { // fills the lane
		t.Fatal(err)
	}
	if err := s.Post(func(*Shard) {}); !errors.Is(err, ErrInboxFull) {
		t.Fatalf("Post to a full lane: %v", err)
	}
	ran := make(chan struct{})
	posted := make(chan error, 1)
	go func() { posted <- s.PostWait(func(*Shard) { close(ran) }) }()
	close(release)
	if err := <-posted; err != nil {
		t.Fatal(err)
	}
	<-ran
	rt.Shutdown(context.Background())
	if err := s.PostWait(func(*Shard) {}); !errors.Is(err, ErrStopped) {
		t.Fatalf("PostWait after shutdown: %v", err)
	}
}
