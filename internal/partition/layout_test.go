package partition

import (
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

func TestDirAndRemoveAll(t *testing.T) {
	if d := Dir("data", 1, 2, 3); d != "data/streams/1/topics/2/partitions/3" {
		t.Fatal(d)
	}
	m := vfs.NewMem()
	for _, p := range []uint32{0, 1} {
		pt, err := Open(m, Dir("data", 0, 0, p), p, Config{})
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, pt, makeBatch(t, 0, 3, 0), 1)
		pt.Close()
	}
	// A recreated partition starts empty whatever was left behind.
	pt, err := Create(m, Dir("data", 0, 0, 1), 1, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if pt.NextOffset() != 0 {
		t.Fatalf("Create kept %d messages", pt.NextOffset())
	}
	if err := pt.StoreOffset(ConsumerKey{Kind: wire.ConsumerSingle}, 0, AckQuorum); err == nil {
		t.Fatal("stored an offset in an empty partition")
	}
	pt.Close()
	if err := RemoveAll(m, StreamDir("data", 0)); err != nil {
		t.Fatal(err)
	}
	m.Crash(vfs.CrashOptions{})
	if _, err := m.Stat(TopicDir("data", 0, 0)); err == nil {
		t.Fatal("topic directory survived RemoveAll")
	}
	if err := RemoveAll(m, StreamDir("data", 7)); err != nil {
		t.Fatalf("removing a missing directory: %v", err)
	}
}
