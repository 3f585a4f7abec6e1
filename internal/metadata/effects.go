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
