package history

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// offsetState is the per-(consumer, partition) state of the offsets model.
type offsetState struct {
	offset uint64
	stored bool
}

type offsetKey struct {
	consumer  string
	partition Partition
}

// offsetsModel is the sequential specification of consumer offsets: a
// register per (consumer, partition), absent until the first store.
var offsetsModel = porcupine.Model{
	Partition: partitionBy(func(o *Op) any { return offsetKey{o.Args.Consumer, o.Args.Partition} }),
	Init:      func() any { return offsetState{} },
	Step: func(state, in, _ any) (bool, any) {
		s, o := state.(offsetState), in.(*Op)
		switch o.Kind {
		case StoreOffset:
			return true, offsetState{offset: o.Args.Offset, stored: true}
		case GetOffset:
			return o.Reply.Found == s.stored && (!s.stored || o.Reply.Offset == s.offset), s
		}
		panic(fmt.Sprintf("history: %s in the offsets model", o.Kind))
	},
	DescribeOperation: describeOp,
	DescribeState: func(state any) string {
		if s := state.(offsetState); s.stored {
			return fmt.Sprint(s.offset)
		}
		return "none"
	},
}

// CheckOffsets checks the StoreOffset and GetOffset operations of ops for
// linearizability, per (consumer, partition).
//
// Unknown stores are resolved first, as CheckLog does with produces. One
// whose value a get of its key returned, when no other store of the key
// wrote that value, took effect before that get returned: it is checked as
// Ok with that return time (exact). One whose value no get of its key
// returned is left out: a linearization without it extends to one with it
// placed last, and a store that took effect but was never read was
// overwritten or outlived the history unseen, so leaving it out cannot fail
// a correct history.
func CheckOffsets(ops []Op, opt Options) Verdict {
	type kv struct {
		key   offsetKey
		value uint64
	}
	read := map[kv]int64{} // earliest return of a get that returned the value
	writers := map[kv]int{}
	for i := range ops {
		o := &ops[i]
		x := kv{offsetKey{o.Args.Consumer, o.Args.Partition}, o.Args.Offset}
		switch {
		case o.Kind == GetOffset && o.Result == Ok && o.Reply.Found:
			x.value = o.Reply.Offset
			if t, ok := read[x]; !ok || o.Return < t {
				read[x] = o.Return
			}
		case o.Kind == StoreOffset && o.Result != Failed:
			writers[x]++
		}
	}
	return check("offsets", offsetsModel, ops, opt, func(o *Op) (*Op, bool) {
		switch {
		case o.Kind == GetOffset:
			return o, o.Result == Ok
		case o.Kind != StoreOffset:
			return o, false
		case o.Result == Ok:
			return o, true
		}
		x := kv{offsetKey{o.Args.Consumer, o.Args.Partition}, o.Args.Offset}
		t, seen := read[x]
		if seen && writers[x] == 1 {
			return placed(o, Reply{}, t), true
		}
		return o, seen
	})
}
