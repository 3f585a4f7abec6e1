package server

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/vfs"
)

// TestStartsFromLegacyJournal starts a node on a data directory whose
// metadata was written by its own journal, before the metadata moved to
// the VSR log: the users and streams in it are there, new operations
// commit through the group, and both survive a restart.
func TestStartsFromLegacyJournal(t *testing.T) {
	dir := t.TempDir()
	store, err := metadata.Open(vfs.Default, dir, metadata.Options{HashParams: metadata.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Bootstrap(metadata.RootCredentials{Username: "old-root", Password: "old-secret"}, time.Unix(1, 0), nil); err != nil {
		t.Fatal(err)
	}
	if r, err := store.Propose(metadata.CreateStream{Timestamp: 2, Name: "legacy"}); err != nil || !r.OK() {
		t.Fatalf("legacy stream: %v %v", r.Status, err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	ts := startServer(t, dir)
	c := ts.dial()
	if _, err := c.Login(ctx, "old-root", "old-secret"); err != nil {
		t.Fatalf("legacy root: %v", err)
	}
	if _, err := c.GetStream(ctx, client.NamedID("legacy")); err != nil {
		t.Fatalf("legacy stream: %v", err)
	}
	if _, err := c.CreateStream(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ts.stop()

	ts = startServer(t, dir)
	c = ts.dial()
	if _, err := c.Login(ctx, "old-root", "old-secret"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"legacy", "new"} {
		if _, err := c.GetStream(ctx, client.NamedID(name)); err != nil {
			t.Fatalf("stream %s after restart: %v", name, err)
		}
	}
}
