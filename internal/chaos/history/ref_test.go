package history

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
)

// ref is a naive sequential implementation of one model, written apart from
// the porcupine models so the property tests compare two implementations.
type ref interface {
	// next returns a random operation; seq numbers fresh payloads and values.
	next(rng *rand.Rand, seq *int) (Kind, Args)
	// apply takes effect and returns what a correct server replies.
	apply(k Kind, a Args) Reply
	clone() ref
	// final is what a client reads after everything: the drain.
	final() []Args
}

// matches is the naive reply comparison: what "the reply is correct" means.
func matches(k Kind, got, want Reply) bool {
	switch k {
	case Produce:
		return got.Offset == want.Offset
	case Poll:
		return slices.Equal(got.Messages, want.Messages)
	case StoreOffset:
		return true
	case GetOffset:
		return got.Found == want.Found && (!got.Found || got.Offset == want.Offset)
	case GetStream:
		return got.Found == want.Found && (!got.Found || slices.Equal(got.Names, want.Names))
	case ListStreams:
		return slices.Equal(got.Names, want.Names)
	}
	return got.Code == want.Code
}

func isRead(k Kind) bool { return k == Poll || k == GetOffset || k == GetStream || k == ListStreams }

// logRef is partitions of plain slices.
type logRef struct {
	parts []Partition
	logs  map[Partition][]string
}

func newLogRef(parts ...Partition) *logRef {
	return &logRef{parts: parts, logs: map[Partition][]string{}}
}

func (r *logRef) next(rng *rand.Rand, seq *int) (Kind, Args) {
	p := r.parts[rng.IntN(len(r.parts))]
	if rng.IntN(2) == 0 {
		msgs := make([]string, 1+rng.IntN(3))
		for i := range msgs {
			*seq++
			msgs[i] = fmt.Sprintf("m%d", *seq)
		}
		return Produce, Args{Partition: p, Messages: msgs}
	}
	return Poll, Args{Partition: p, Offset: uint64(rng.IntN(len(r.logs[p]) + 2)), Count: 1 + rng.IntN(4)}
}

func (r *logRef) apply(k Kind, a Args) Reply {
	l := r.logs[a.Partition]
	if k == Produce {
		r.logs[a.Partition] = append(l, a.Messages...)
		return Reply{Offset: uint64(len(l))}
	}
	var out []string
	for i := a.Offset; i < uint64(len(l)) && len(out) < a.Count; i++ {
		out = append(out, l[i])
	}
	return Reply{Messages: out}
}

func (r *logRef) clone() ref {
	c := newLogRef(r.parts...)
	for p, l := range r.logs {
		c.logs[p] = slices.Clip(l)
	}
	return c
}

func (r *logRef) final() []Args {
	var out []Args
	for _, p := range r.parts {
		out = append(out, Args{Partition: p, Count: 1 << 20})
	}
	return out
}

// offsetsRef is a map of stored offsets.
type offsetsRef struct {
	keys []offsetKey
	vals map[offsetKey]uint64
}

func newOffsetsRef(keys ...offsetKey) *offsetsRef {
	return &offsetsRef{keys: keys, vals: map[offsetKey]uint64{}}
}

func (r *offsetsRef) next(rng *rand.Rand, seq *int) (Kind, Args) {
	k := r.keys[rng.IntN(len(r.keys))]
	a := Args{Consumer: k.consumer, Partition: k.partition}
	if rng.IntN(2) == 0 {
		*seq++
		a.Offset = uint64(*seq)
		return StoreOffset, a
	}
	return GetOffset, a
}

func (r *offsetsRef) apply(k Kind, a Args) Reply {
	key := offsetKey{a.Consumer, a.Partition}
	if k == StoreOffset {
		r.vals[key] = a.Offset
		return Reply{}
	}
	v, ok := r.vals[key]
	return Reply{Offset: v, Found: ok}
}

func (r *offsetsRef) clone() ref { return &offsetsRef{keys: r.keys, vals: maps.Clone(r.vals)} }

func (r *offsetsRef) final() []Args { return nil }

// metaRef is a map of streams to sets of topics.
type metaRef struct {
	lists   bool   // whether next may list streams
	keep    string // a stream next never deletes (with "": none)
	streams map[string]map[string]bool
}

func newMetaRef(lists bool) *metaRef {
	return &metaRef{lists: lists, streams: map[string]map[string]bool{}}
}

func (r *metaRef) next(rng *rand.Rand, _ *int) (Kind, Args) {
	a := Args{Partition: Partition{Stream: []string{"a", "b", "c"}[rng.IntN(3)], Topic: []string{"x", "y"}[rng.IntN(2)]}}
	kinds := []Kind{CreateStream, DeleteStream, CreateTopic, CreateTopic, DeleteTopic, GetStream, GetStream}
	if r.lists {
		kinds = append(kinds, ListStreams)
	}
	k := kinds[rng.IntN(len(kinds))]
	if k == DeleteStream && a.Partition.Stream == r.keep {
		k = DeleteTopic
	}
	return k, a
}

func (r *metaRef) apply(k Kind, a Args) Reply {
	s, t := a.Partition.Stream, a.Partition.Topic
	topics, ok := r.streams[s]
	switch k {
	case CreateStream:
		if ok {
			return Reply{Code: Exists}
		}
		r.streams[s] = map[string]bool{}
	case DeleteStream:
		if !ok {
			return Reply{Code: NotFound}
		}
		delete(r.streams, s)
	case CreateTopic:
		if !ok {
			return Reply{Code: NotFound}
		}
		if topics[t] {
			return Reply{Code: Exists}
		}
		topics[t] = true
	case DeleteTopic:
		if !ok || !topics[t] {
			return Reply{Code: NotFound}
		}
		delete(topics, t)
	case GetStream:
		if !ok {
			return Reply{}
		}
		return Reply{Found: true, Names: slices.Sorted(maps.Keys(topics))}
	case ListStreams:
		return Reply{Names: slices.Sorted(maps.Keys(r.streams))}
	}
	return Reply{Code: OK}
}

func (r *metaRef) clone() ref {
	c := newMetaRef(r.lists)
	c.keep = r.keep
	for s, ts := range r.streams {
		c.streams[s] = maps.Clone(ts)
	}
	return c
}

func (r *metaRef) final() []Args { return nil }
