package history

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
)

// metaState is the state of the metadata model: stream name → its topic
// names, sorted. It is immutable: step returns a new one.
type metaState map[string][]string

// metaStep applies o to s and returns the new state and the Code (for
// writes) or the Found and Names (for reads) a correct server replies.
func metaStep(s metaState, o *Op) (metaState, Reply) {
	stream, topic := o.Args.Partition.Stream, o.Args.Partition.Topic
	topics, ok := s[stream]
	with := func(name string, ts []string) metaState {
		n := maps.Clone(s)
		if n == nil {
			n = metaState{}
		}
		if ts == nil {
			delete(n, name)
		} else {
			n[name] = ts
		}
		return n
	}
	switch o.Kind {
	case CreateStream:
		if ok {
			return s, Reply{Code: Exists}
		}
		return with(stream, []string{}), Reply{Code: OK}
	case DeleteStream:
		if !ok {
			return s, Reply{Code: NotFound}
		}
		return with(stream, nil), Reply{Code: OK}
	case CreateTopic:
		i, found := slices.BinarySearch(topics, topic)
		switch {
		case !ok:
			return s, Reply{Code: NotFound}
		case found:
			return s, Reply{Code: Exists}
		}
		return with(stream, slices.Insert(slices.Clone(topics), i, topic)), Reply{Code: OK}
	case DeleteTopic:
		i, found := slices.BinarySearch(topics, topic)
		if !ok || !found {
			return s, Reply{Code: NotFound}
		}
		return with(stream, slices.Delete(slices.Clone(topics), i, i+1)), Reply{Code: OK}
	case GetStream:
		return s, Reply{Found: ok, Names: topics}
	case ListStreams:
		return s, Reply{Names: slices.Sorted(maps.Keys(s))}
	}
	panic(fmt.Sprintf("history: %s in the metadata model", o.Kind))
}

// metaReplyMatches compares a recorded reply with the model's.
func metaReplyMatches(k Kind, got, want Reply) bool {
	switch k {
	case GetStream:
		return got.Found == want.Found && (!want.Found || slices.Equal(got.Names, want.Names))
	case ListStreams:
		return slices.Equal(got.Names, want.Names)
	}
	return got.Code == want.Code
}

// metadataModel is the sequential specification of streams and topics. It
// is split per stream unless the history lists streams, which reads them
// all.
var metadataModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		for _, op := range h {
			if op.Input.(*Op).Kind == ListStreams {
				return [][]porcupine.Operation{h}
			}
		}
		return partitionBy(func(o *Op) any { return o.Args.Partition.Stream })(h)
	},
	Init: func() any { return metaState(nil) },
	Step: func(state, in, _ any) (bool, any) {
		o := in.(*Op)
		next, want := metaStep(state.(metaState), o)
		if o.Result != Ok {
			return true, next // Unknown: it took effect here (or is placed last)
		}
		return metaReplyMatches(o.Kind, o.Reply, want), next
	},
	Equal: func(a, b any) bool {
		return maps.EqualFunc(a.(metaState), b.(metaState), slices.Equal)
	},
	DescribeOperation: describeOp,
	DescribeState: func(state any) string {
		s := state.(metaState)
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(s)) {
			parts = append(parts, fmt.Sprintf("%s%q", name, s[name]))
		}
		return "{" + strings.Join(parts, " ") + "}"
	},
}

// CheckMetadata checks the stream and topic operations of ops for
// linearizability against a map of names.
func CheckMetadata(ops []Op, opt Options) Verdict {
	return check("metadata", metadataModel, ops, opt, func(o *Op) (*Op, bool) {
		switch o.Kind {
		case CreateStream, DeleteStream, CreateTopic, DeleteTopic:
			return o, true
		case GetStream, ListStreams:
			return o, o.Result == Ok
		}
		return o, false
	})
}
