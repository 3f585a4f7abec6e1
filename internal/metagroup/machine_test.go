package metagroup

import (
	"testing"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// logStorage records the ops whose effects it was asked for; with log set
// it is an EffectsLog whose record is done.
type logStorage struct {
	ops  []uint64
	done uint64
}

func (s *logStorage) Apply(op uint64, _ []metadata.Effect) { s.ops = append(s.ops, op) }

type withLog struct{ *logStorage }

func (s withLog) EffectsDone() (uint64, bool) { return s.done, true }

// TestReplayEffectsAboveRecord replays four ops with effects: without an
// EffectsLog none carries out its effects before Live; with one recording
// op 3, ops 4 and 5 do (a restart may replay ops whose effects never
// reached this replica's disk).
func TestReplayEffectsAboveRecord(t *testing.T) {
	s0, t0 := wire.NumericID(0), wire.NumericID(0)
	ops := []metadata.Op{
		metadata.CreateStream{Name: "s"},
		metadata.CreateTopic{Stream: s0, Partitions: 1, Shards: 1, Name: "t"},
		metadata.PurgeTopic{Stream: s0, Topic: t0},
		metadata.PurgeTopic{Stream: s0, Topic: t0},
		metadata.DeleteTopic{Stream: s0, Topic: t0},
	}
	replay := func(st Storage) {
		store, err := metadata.NewStore(nil, metadata.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m := NewMachine(store, st)
		for i, o := range ops {
			m.Apply(wire.Op(i+1), &wire.PrepareHeader{}, metadata.Encode(o))
		}
	}
	plain := &logStorage{}
	replay(plain)
	if len(plain.ops) != 0 {
		t.Fatalf("replay without an EffectsLog carried out effects of ops %v", plain.ops)
	}
	logged := &logStorage{done: 3}
	replay(withLog{logged})
	if want := []uint64{4, 5}; len(logged.ops) != 2 || logged.ops[0] != 4 || logged.ops[1] != 5 {
		t.Fatalf("replay above record 3 carried out effects of ops %v, want %v", logged.ops, want)
	}
}
