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
func CheckOffsets(ops []Op, opt Options) Verdict {
	return check("offsets", offsetsModel, ops, opt, func(o *Op) bool {
		return o.Kind == StoreOffset || o.Kind == GetOffset && o.Result == Ok
	})
}
