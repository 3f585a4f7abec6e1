package history

import (
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/anishathalye/porcupine"
)

// logState is the per-partition state of the log model: the messages in
// offset order. It is immutable: step returns a new one.
type logState struct {
	msgs []string
	hash uint64 // chained over msgs, so equal logs hash equal
}

var hashSeed = maphash.MakeSeed()

func (s *logState) appended(msgs []string) *logState {
	n := &logState{msgs: append(s.msgs[:len(s.msgs):len(s.msgs)], msgs...), hash: s.hash}
	for _, m := range msgs {
		n.hash = n.hash*1099511628211 ^ maphash.String(hashSeed, m)
	}
	return n
}

// logModel is the sequential specification of partition logs, split per
// partition. Inputs and outputs are *Op.
var logModel = porcupine.Model{
	Partition: partitionBy(func(o *Op) any { return o.Args.Partition }),
	Init:      func() any { return &logState{} },
	Step: func(state, in, _ any) (bool, any) {
		s, o := state.(*logState), in.(*Op)
		switch o.Kind {
		case Produce:
			if o.Result == Ok && o.Reply.Offset != uint64(len(s.msgs)) {
				return false, s
			}
			return true, s.appended(o.Args.Messages)
		case Poll:
			return slices.Equal(o.Reply.Messages, readRange(s.msgs, o.Args.Offset, o.Args.Count)), s
		}
		panic(fmt.Sprintf("history: %s in the log model", o.Kind))
	},
	Equal: func(a, b any) bool {
		x, y := a.(*logState), b.(*logState)
		return x.hash == y.hash && slices.Equal(x.msgs, y.msgs)
	},
	Hash:              func(s any) uint64 { return s.(*logState).hash },
	DescribeOperation: describeOp,
	DescribeState: func(state any) string {
		s := state.(*logState)
		if len(s.msgs) > 8 {
			return fmt.Sprintf("%d messages, last %q", len(s.msgs), s.msgs[len(s.msgs)-4:])
		}
		return fmt.Sprintf("%q", s.msgs)
	},
}

// readRange is msgs[offset : offset+count], clipped to the log.
func readRange(msgs []string, offset uint64, count int) []string {
	n := uint64(len(msgs))
	lo := min(offset, n)
	hi := min(lo+uint64(max(count, 0)), n)
	return msgs[lo:hi]
}

// CheckLog checks the Produce and Poll operations of ops for
// linearizability against a log per partition. Failed operations and
// Unknown polls are left out: they constrain nothing (a failed produce's
// messages showing up is caught as a poll no linearization explains).
func CheckLog(ops []Op, opt Options) Verdict {
	return check("log", logModel, ops, opt, func(o *Op) bool {
		return o.Kind == Produce || o.Kind == Poll && o.Result == Ok
	})
}
