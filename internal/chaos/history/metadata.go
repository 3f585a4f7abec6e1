package history

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
)

// metaState is the state of the metadata model: stream name → its topic
// names, sorted, and userKey(name) → nil for each user. It is immutable:
// step returns a new one.
type metaState map[string][]string

// userPrefix starts the state keys of users, so they never collide with a
// stream name (stream names in a history must not start with a NUL byte).
const userPrefix = "\x00user:"

func userKey(name string) string { return userPrefix + name }

// streams lists the state's stream names, sorted.
func (s metaState) streams() []string {
	var out []string
	for k := range s {
		if !strings.HasPrefix(k, userPrefix) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// with returns a copy of s with key set to ts, or deleted when ts is nil.
func (s metaState) with(key string, ts []string) metaState {
	n := maps.Clone(s)
	if n == nil {
		n = metaState{}
	}
	if ts == nil {
		delete(n, key)
	} else {
		n[key] = ts
	}
	return n
}

// metaStep applies o to s and returns the new state and the Code (for
// writes) or the Found and Names (for reads) a correct server replies.
func metaStep(s metaState, o *Op) (metaState, Reply) {
	stream, topic := o.Args.Partition.Stream, o.Args.Partition.Topic
	topics, ok := s[stream]
	switch o.Kind {
	case CreateStream:
		if ok {
			return s, Reply{Code: Exists}
		}
		return s.with(stream, []string{}), Reply{Code: OK}
	case DeleteStream:
		if !ok {
			return s, Reply{Code: NotFound}
		}
		return s.with(stream, nil), Reply{Code: OK}
	case RenameStream:
		_, taken := s[o.Args.Name]
		switch {
		case !ok:
			return s, Reply{Code: NotFound}
		case o.Args.Name == stream:
			return s, Reply{Code: OK}
		case taken:
			return s, Reply{Code: Exists}
		}
		return s.with(stream, nil).with(o.Args.Name, topics), Reply{Code: OK}
	case CreateUser:
		if _, ok := s[userKey(o.Args.Name)]; ok {
			return s, Reply{Code: Exists}
		}
		return s.with(userKey(o.Args.Name), []string{}), Reply{Code: OK}
	case CreateTopic:
		i, found := slices.BinarySearch(topics, topic)
		switch {
		case !ok:
			return s, Reply{Code: NotFound}
		case found:
			return s, Reply{Code: Exists}
		}
		return s.with(stream, slices.Insert(slices.Clone(topics), i, topic)), Reply{Code: OK}
	case DeleteTopic:
		i, found := slices.BinarySearch(topics, topic)
		if !ok || !found {
			return s, Reply{Code: NotFound}
		}
		return s.with(stream, slices.Delete(slices.Clone(topics), i, i+1)), Reply{Code: OK}
	case GetStream:
		return s, Reply{Found: ok, Names: topics}
	case ListStreams:
		return s, Reply{Names: s.streams()}
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

// metaKeys are the state keys o touches; none for ListStreams, which reads
// them all.
func metaKeys(o *Op) []string {
	switch o.Kind {
	case ListStreams:
		return nil
	case RenameStream:
		return []string{o.Args.Partition.Stream, o.Args.Name}
	case CreateUser:
		return []string{userKey(o.Args.Name)}
	}
	return []string{o.Args.Partition.Stream}
}

// metaGroups splits the operations that touch keys into groups closed
// under shared keys (a rename joins its two names), in order of each
// group's first operation, and returns each group's key set.
func metaGroups(h []porcupine.Operation) ([][]porcupine.Operation, []map[string]bool) {
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok || p == k {
			parent[k] = k
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	for _, op := range h {
		ks := metaKeys(op.Input.(*Op))
		for _, k := range ks[min(1, len(ks)):] {
			parent[find(k)] = find(ks[0])
		}
	}
	index := map[string]int{}
	var groups [][]porcupine.Operation
	var keys []map[string]bool
	for _, op := range h {
		ks := metaKeys(op.Input.(*Op))
		if len(ks) == 0 {
			continue
		}
		root := find(ks[0])
		i, ok := index[root]
		if !ok {
			i = len(groups)
			index[root] = i
			groups, keys = append(groups, nil), append(keys, map[string]bool{})
		}
		groups[i] = append(groups[i], op)
		for _, k := range ks {
			keys[i][k] = true
		}
	}
	return groups, keys
}

// projectLists adds to each group the list reads that concern it, each
// with its names cut down to the group's keys. To keep the check linear
// in practice, it leaves out lists whose verdict another one decides:
//
//   - a list that returned before the group's first invocation and names
//     none of its keys agrees with the initial state and precedes every
//     operation of the group (one that names a key is kept, and fails);
//   - after the group's last write returned (every write acknowledged),
//     the state is fixed: the first later list is kept, and a later one
//     only if its projection differs from that one's.
func projectLists(h []porcupine.Operation, groups [][]porcupine.Operation, keys []map[string]bool) [][]porcupine.Operation {
	type list struct {
		op    porcupine.Operation
		names map[string]bool
	}
	var lists []list
	for _, op := range h {
		if o := op.Input.(*Op); o.Kind == ListStreams {
			set := make(map[string]bool, len(o.Reply.Names))
			for _, n := range o.Reply.Names {
				set[n] = true
			}
			lists = append(lists, list{op, set})
		}
	}
	slices.SortFunc(lists, func(a, b list) int { return cmp.Compare(a.op.Call, b.op.Call) })
	for gi, g := range groups {
		first, settled := g[0].Call, int64(math.MinInt64)
		for _, op := range g {
			first = min(first, op.Call)
			if k := op.Input.(*Op).Kind; k != GetStream {
				settled = max(settled, op.Return) // Infinity for an unknown write
			}
		}
		gkeys := slices.Sorted(maps.Keys(keys[gi]))
		var late []string
		lateSeen := false
		for _, l := range lists {
			var names []string
			for _, k := range gkeys {
				if l.names[k] {
					names = append(names, k)
				}
			}
			switch {
			case l.op.Return < first && len(names) == 0:
				continue
			case l.op.Call > settled:
				if lateSeen && slices.Equal(names, late) {
					continue
				}
				late, lateSeen = names, true
			}
			c := *l.op.Input.(*Op)
			c.Reply.Names = names
			op := l.op
			op.Input = &c
			g = append(g, op)
		}
		groups[gi] = g
	}
	return groups
}

// metadataModel is the sequential specification of streams, topics and
// users. It is split into groups of related names (metaGroups) unless the
// history lists streams, which reads them all; with split, a list is
// checked in every group, projected (projectLists).
func metadataModel(split bool) porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			listed := slices.ContainsFunc(h, func(op porcupine.Operation) bool { return op.Input.(*Op).Kind == ListStreams })
			if listed && !split {
				return [][]porcupine.Operation{h}
			}
			groups, keys := metaGroups(h)
			if !listed {
				return groups
			}
			if len(groups) == 0 {
				return [][]porcupine.Operation{h} // only lists: of an empty state
			}
			return projectLists(h, groups, keys)
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
				if u, ok := strings.CutPrefix(name, userPrefix); ok {
					parts = append(parts, "user:"+u)
					continue
				}
				parts = append(parts, fmt.Sprintf("%s%q", name, s[name]))
			}
			return "{" + strings.Join(parts, " ") + "}"
		},
	}
}

// CheckMetadata checks the stream, topic and user operations of ops for
// linearizability against a map of names (see Options.SplitLists).
func CheckMetadata(ops []Op, opt Options) Verdict {
	return check("metadata", metadataModel(opt.SplitLists), ops, opt, func(o *Op) (*Op, bool) {
		switch o.Kind {
		case CreateStream, DeleteStream, CreateTopic, DeleteTopic, RenameStream, CreateUser:
			return o, true
		case GetStream, ListStreams:
			return o, o.Result == Ok
		}
		return o, false
	})
}
