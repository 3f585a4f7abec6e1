package history

import (
	"fmt"
	"hash/maphash"
	"math"
	"slices"

	"github.com/anishathalye/porcupine"
)

// logState is the per-partition state of the log model: the messages in
// offset order, as a chain of appended batches. States are immutable and
// share their common prefix, so a state costs one node however long the
// log is; the checker keeps many of them in its cache.
type logState struct {
	parent *logState // the log before batch; nil for the empty log
	batch  []string  // the messages the last step appended (an op's Args; read-only)
	n      int       // messages in the log
	hash   uint64    // chained over the messages, so equal logs hash equal
}

var hashSeed = maphash.MakeSeed()

func (s *logState) appended(msgs []string) *logState {
	n := &logState{parent: s, batch: msgs, n: s.n + len(msgs), hash: s.hash}
	for _, m := range msgs {
		n.hash = n.hash*1099511628211 ^ maphash.String(hashSeed, m)
	}
	return n
}

// readEquals reports whether got is exactly the messages at
// [offset, offset+count) clipped to the log, walking back from the newest
// batch without allocating.
func (s *logState) readEquals(offset uint64, count int, got []string) bool {
	lo := int(min(offset, uint64(s.n)))
	hi := min(lo+max(count, 0), s.n)
	if len(got) != hi-lo {
		return false
	}
	for b := s; b != nil && b.n > lo; b = b.parent {
		start := b.n - len(b.batch) // offset of b.batch[0]
		from, to := max(start, lo), min(b.n, hi)
		if from < to && !slices.Equal(b.batch[from-start:to-start], got[from-lo:to-lo]) {
			return false
		}
	}
	return true
}

// equal compares two logs message by message from the end, stopping early
// where their chains meet.
func (s *logState) equal(t *logState) bool {
	if s.n != t.n || s.hash != t.hash {
		return false
	}
	x, y := s, t
	i, j := len(x.batch), len(y.batch) // messages of x.batch, y.batch not yet compared
	for x != y || i != j {
		for x != nil && i == 0 {
			x = x.parent
			if x != nil {
				i = len(x.batch)
			}
		}
		for y != nil && j == 0 {
			y = y.parent
			if y != nil {
				j = len(y.batch)
			}
		}
		if x == nil || y == nil {
			return x == y
		}
		i, j = i-1, j-1
		if x.batch[i] != y.batch[j] {
			return false
		}
	}
	return true
}

// tail is up to the last k messages, oldest first.
func (s *logState) tail(k int) []string {
	var out []string
	for b := s; b != nil && len(out) < k; b = b.parent {
		out = append(slices.Clone(b.batch[max(0, len(b.batch)-(k-len(out))):]), out...)
	}
	return out
}

// logModel is the sequential specification of partition logs, split per
// partition. Inputs are *Op; outputs are unused (the reply is in the Op).
var logModel = porcupine.Model{
	Partition: partitionBy(func(o *Op) any { return o.Args.Partition }),
	Init:      func() any { return &logState{} },
	Step: func(state, in, _ any) (bool, any) {
		s, o := state.(*logState), in.(*Op)
		switch o.Kind {
		case Produce:
			if o.Result == Ok && o.Reply.Offset != uint64(s.n) {
				return false, s
			}
			return true, s.appended(o.Args.Messages)
		case Poll:
			return s.readEquals(o.Args.Offset, o.Args.Count, o.Reply.Messages), s
		}
		panic(fmt.Sprintf("history: %s in the log model", o.Kind))
	},
	Equal:             func(a, b any) bool { return a.(*logState).equal(b.(*logState)) },
	Hash:              func(s any) uint64 { return s.(*logState).hash },
	DescribeOperation: describeOp,
	DescribeState: func(state any) string {
		s := state.(*logState)
		if s.n > 8 {
			return fmt.Sprintf("%d messages, last %q", s.n, s.tail(4))
		}
		return fmt.Sprintf("%q", s.tail(8))
	},
}

// CheckLog checks the Produce and Poll operations of ops for
// linearizability against a log per partition. Failed operations and
// Unknown polls are left out: they constrain nothing (a failed produce's
// messages showing up is caught as a poll no linearization explains).
//
// Unknown produces would make the search explode, each placeable anywhere
// after its invocation, so they are resolved first (payloads are unique):
//
//   - One whose messages a poll returned took effect at the offset where
//     they were read, before that poll returned: it is checked as an Ok
//     produce with that base offset and that return time. Every
//     linearization of the history satisfies both, so this is exact.
//   - One none of whose messages any poll returned is left out. That never
//     hides a violation: a linearization without it extends to one with
//     it, placed last. It cannot report a false one when the history ends
//     with a read of every partition from offset 0, which CheckNoLostAcks
//     needs anyway: a produce that took effect before that read is seen.
//
// With Options.AtLeastOnce an Unknown produce is placed once at every base
// offset its messages were read at (see checkLogAtLeastOnce).
func CheckLog(ops []Op, opt Options) Verdict {
	if opt.AtLeastOnce {
		return checkLogAtLeastOnce(ops, opt)
	}
	type sighting struct {
		offset uint64 // where the message was first read
		ret    int64  // earliest return of a poll that read it
	}
	seen := map[string]sighting{}
	for i := range ops {
		o := &ops[i]
		if o.Kind != Poll || o.Result != Ok {
			continue
		}
		for j, m := range o.Reply.Messages {
			s, ok := seen[m]
			if !ok {
				s = sighting{offset: o.Args.Offset + uint64(j), ret: o.Return}
			}
			s.ret = min(s.ret, o.Return)
			seen[m] = s
		}
	}
	return check("log", logModel, ops, opt, func(o *Op) (*Op, bool) {
		switch {
		case o.Kind == Poll:
			return o, o.Result == Ok
		case o.Kind != Produce:
			return o, false
		case o.Result == Ok:
			return o, true
		}
		for j, m := range o.Args.Messages {
			if s, ok := seen[m]; ok {
				base := s.offset - uint64(j) // wraps to an impossible offset for a torn batch
				if s.offset < uint64(j) {
					base = math.MaxUint64
				}
				return placed(o, Reply{Offset: base}, s.ret), true
			}
		}
		return o, false
	})
}

// checkLogAtLeastOnce is CheckLog when an Unknown produce may have taken
// effect several times (a client's lost reply and its retry, or a
// server's own retransmission): it is checked as one Ok copy per distinct
// base offset its messages were read at (message j read at offset o gives
// base o-j), each returning when the earliest poll that read a message of
// that copy returned. A torn copy yields bases that do not agree, and so a
// copy no linearization explains. Ok produces and polls are checked as
// CheckLog does; with Options.ReplayDups an Ok produce also gets a copy
// at every other base its messages were read at.
func checkLogAtLeastOnce(ops []Op, opt Options) Verdict {
	type at struct {
		msg    string
		offset uint64
	}
	seen := map[at]int64{}         // earliest return of a poll that read msg at offset
	where := map[string][]uint64{} // msg → the distinct offsets it was read at, in reading order
	for i := range ops {
		o := &ops[i]
		if o.Kind != Poll || o.Result != Ok {
			continue
		}
		for j, m := range o.Reply.Messages {
			k := at{m, o.Args.Offset + uint64(j)}
			t, ok := seen[k]
			if !ok {
				where[m] = append(where[m], k.offset)
				t = o.Return
			}
			seen[k] = min(t, o.Return)
		}
	}
	return checkEach("log", logModel, ops, opt, func(o *Op) []*Op {
		switch {
		case o.Kind == Poll && o.Result == Ok, o.Kind == Produce && o.Result == Ok && !opt.ReplayDups:
			return []*Op{o}
		case o.Kind != Produce:
			return nil
		}
		rets := map[uint64]int64{} // base → earliest return
		var bases []uint64
		for j, m := range o.Args.Messages {
			for _, off := range where[m] {
				base := off - uint64(j)
				if off < uint64(j) {
					base = math.MaxUint64 // a torn copy: no linearization explains it
				}
				t := seen[at{m, off}]
				if r, ok := rets[base]; !ok {
					bases = append(bases, base)
					rets[base] = t
				} else {
					rets[base] = min(r, t)
				}
			}
		}
		out := make([]*Op, 0, len(bases)+1)
		if o.Result == Ok { // ReplayDups: the acknowledged copy, and any other
			out = append(out, o)
		}
		for _, b := range bases {
			if o.Result != Ok || b != o.Reply.Offset {
				out = append(out, placed(o, Reply{Offset: b}, rets[b]))
			}
		}
		return out
	})
}
