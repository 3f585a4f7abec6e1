package metadata

import (
	"maps"
	"slices"
)

// EffectKind names what an applied operation asks of partition storage.
type EffectKind uint8

// Effects of stream, topic and partition operations.
const (
	// EffectCreatePartitions: create Topic.Partitions[From:], wiping any
	// data left under the same ids by a deleted partition.
	EffectCreatePartitions EffectKind = iota + 1
	// EffectDropPartitions: close and remove Topic.Partitions[From:]; Topic
	// is the topic as it was before the operation.
	EffectDropPartitions
	// EffectPurgePartitions: delete every message of Topic's partitions,
	// keeping them.
	EffectPurgePartitions
)

func (k EffectKind) String() string {
	switch k {
	case EffectCreatePartitions:
		return "create-partitions"
	case EffectDropPartitions:
		return "drop-partitions"
	case EffectPurgePartitions:
		return "purge-partitions"
	}
	return "unknown"
}

// Effect is one thing an applied operation asks of partition storage.
// Apply computes effects and does no I/O: the caller that applies a
// committed operation (the standalone store's proposer today, every
// replica's apply loop in a cluster) carries them out, in order, before it
// reports the operation's result. Like the Result they belong to, effects
// are the same on every replica and every replay.
type Effect struct {
	Kind  EffectKind
	Topic TopicInfo
	From  int // the first partition index concerned
}

// effects returns one effect of kind k per topic of st, by topic id.
func (st *Stream) effects(k EffectKind) []Effect {
	var out []Effect
	for _, id := range slices.Sorted(maps.Keys(st.topics)) {
		out = append(out, Effect{Kind: k, Topic: st.topics[id].info()})
	}
	return out
}

// TransitionEffects returns the partition effects that take storage laid
// out for from's topics to to's, when to replaces from wholesale (a
// checkpoint installed by state transfer skips the operations between
// them): drops first, then creations, each in stream and topic id order.
// A topic (or partition) counts as the same in both only if its stream,
// topic and partition were created at the same time; one deleted and
// created again under the same ids is dropped and created. Purges between
// the two states leave no trace in them and are not among the effects.
func TransitionEffects(from, to *State) []Effect {
	var drops, creates []Effect
	each := func(s *State, fn func(st *Stream, tp *Topic)) {
		for _, sid := range slices.Sorted(maps.Keys(s.streams.streams)) {
			st := s.streams.streams[sid]
			for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
				fn(st, st.topics[tid])
			}
		}
	}
	// same returns how many leading partitions tp shares with its
	// counterpart in other (0 when the topic is not the same one).
	same := func(other *State, st *Stream, tp *Topic) int {
		ost := other.streams.streams[st.ID]
		if ost == nil || ost.CreatedAt != st.CreatedAt {
			return 0
		}
		otp := ost.topics[tp.ID]
		if otp == nil || otp.CreatedAt != tp.CreatedAt {
			return 0
		}
		n := 0
		for n < len(tp.Partitions) && n < len(otp.Partitions) && tp.Partitions[n].CreatedAt == otp.Partitions[n].CreatedAt {
			n++
		}
		return n
	}
	each(from, func(st *Stream, tp *Topic) {
		if n := same(to, st, tp); n < len(tp.Partitions) {
			drops = append(drops, Effect{Kind: EffectDropPartitions, Topic: tp.info(), From: n})
		}
	})
	each(to, func(st *Stream, tp *Topic) {
		if n := same(from, st, tp); n < len(tp.Partitions) {
			creates = append(creates, Effect{Kind: EffectCreatePartitions, Topic: tp.info(), From: n})
		}
	})
	return append(drops, creates...)
}
