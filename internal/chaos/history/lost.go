package history

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// ErrLostAck is wrapped by Report.Err when CheckNoLostAcks found a
// violation.
var ErrLostAck = errors.New("history: acknowledged messages not read back exactly once")

// ViolationKind classifies a Violation.
type ViolationKind uint8

const (
	// Lost: an acknowledged message was never read back.
	Lost ViolationKind = iota + 1
	// Duplicated: a message was read at two different offsets.
	Duplicated
	// Misplaced: an acknowledged message was read at an offset other than
	// its acknowledged base offset plus its index in the batch.
	Misplaced
	// Torn: two messages of one batch were read, but not next to each
	// other in batch order.
	Torn
	// Reordered: produce A was acknowledged before produce B was invoked,
	// yet B's base offset is not after A's.
	Reordered
	// Diverged: two reads returned different messages at one offset.
	Diverged
	// Resurrected: a message of a Failed produce was read.
	Resurrected
	// Phantom: a read message was never produced, or produced to another
	// partition.
	Phantom
	// Reused: two produces carried the same payload; the history cannot be
	// checked for that message (a workload bug).
	Reused
)

var violationNames = [...]string{
	Lost: "lost", Duplicated: "duplicated", Misplaced: "misplaced", Torn: "torn",
	Reordered: "reordered", Diverged: "diverged", Resurrected: "resurrected", Phantom: "phantom",
	Reused: "reused",
}

func (k ViolationKind) String() string {
	if int(k) < len(violationNames) && violationNames[k] != "" {
		return violationNames[k]
	}
	return fmt.Sprintf("ViolationKind(%d)", uint8(k))
}

// Violation is one breach of "no lost acknowledged message".
type Violation struct {
	Kind      ViolationKind
	Partition Partition
	Message   string
	Offset    uint64 // where it was read, or expected
	Detail    string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s %q @%d: %s", v.Kind, v.Partition, v.Message, v.Offset, v.Detail)
}

// produced is where a message came from.
type produced struct {
	op    *Op
	index int // in its batch
}

// partitionReads is what the polls of one partition returned.
type partitionReads struct {
	at    map[uint64]string   // offset → message read there
	where map[string][]uint64 // message → distinct offsets it was read at
}

// CheckNoLostAcks checks that every message of an acknowledged produce was
// read back exactly once, at its acknowledged offset, with its batch in
// order; that no message of a failed produce was read; and that a message
// of an unknown produce was read at most once, with its batch in order. It
// expects the history to end with reads of every partition from offset 0
// (a final drain after the faults heal): a message nobody read is Lost.
// Violations come sorted by partition, offset and kind.
func CheckNoLostAcks(ops []Op) []Violation { return CheckNoLostAcksWith(ops, Options{}) }

// CheckNoLostAcksWith is CheckNoLostAcks with opt's delivery semantics.
// With Options.AtLeastOnce a message of an Unknown produce may be read at
// several offsets (the produce took effect more than once, each copy
// whole); every other check stands, and a duplicated message of an Ok
// produce is a violation (the server acknowledged it once, and a send
// refused with 58 was not stored, so a client's replays after a 58 cannot
// add a copy) unless Options.ReplayDups allows it, as long as one copy
// sits at the acknowledged offset.
func CheckNoLostAcksWith(ops []Op, opt Options) []Violation {
	atLeastOnce := opt.AtLeastOnce
	copies := func(r Result) bool { return atLeastOnce && (r == Unknown || opt.ReplayDups && r == Ok) }
	var out []Violation
	add := func(k ViolationKind, p Partition, msg string, off uint64, format string, a ...any) {
		out = append(out, Violation{Kind: k, Partition: p, Message: msg, Offset: off, Detail: fmt.Sprintf(format, a...)})
	}

	src := map[string]produced{}
	reads := map[Partition]*partitionReads{}
	for i := range ops {
		o := &ops[i]
		switch {
		case o.Kind == Produce:
			for j, m := range o.Args.Messages {
				if prev, ok := src[m]; ok {
					add(Reused, o.Args.Partition, m, 0, "produced by op %d and op %d", prev.op.ID, o.ID)
				}
				src[m] = produced{op: o, index: j}
			}
		case o.Kind == Poll && o.Result == Ok:
			r := reads[o.Args.Partition]
			if r == nil {
				r = &partitionReads{at: map[uint64]string{}, where: map[string][]uint64{}}
				reads[o.Args.Partition] = r
			}
			for j, m := range o.Reply.Messages {
				off := o.Args.Offset + uint64(j)
				if prev, ok := r.at[off]; ok && prev != m {
					add(Diverged, o.Args.Partition, m, off, "op %d read it where an earlier read found %q", o.ID, prev)
					continue
				}
				if _, ok := r.at[off]; !ok {
					r.at[off] = m
					r.where[m] = append(r.where[m], off)
				}
			}
		}
	}

	for p, r := range reads {
		for m, offs := range r.where {
			s, ok := src[m]
			switch {
			case !ok || s.op.Args.Partition != p:
				add(Phantom, p, m, offs[0], "never produced to this partition")
				continue
			case s.op.Result == Failed:
				add(Resurrected, p, m, offs[0], "produce op %d failed (%s)", s.op.ID, s.op.Err)
			}
			if len(offs) > 1 && !copies(s.op.Result) {
				add(Duplicated, p, m, offs[1], "also read at %d", offs[0])
			}
		}
	}
	for i := range ops {
		if o := &ops[i]; o.Kind == Produce && o.Result != Failed && len(o.Args.Messages) > 1 {
			if copies(o.Result) {
				out = append(out, tornCopies(o, reads[o.Args.Partition])...)
			} else {
				out = append(out, tornBatch(o, reads[o.Args.Partition])...)
			}
		}
	}

	acked := map[Partition][]*Op{}
	for i := range ops {
		o := &ops[i]
		if o.Kind != Produce || o.Result != Ok {
			continue
		}
		p := o.Args.Partition
		acked[p] = append(acked[p], o)
		r := reads[p]
		for j, m := range o.Args.Messages {
			want := o.Reply.Offset + uint64(j)
			var offs []uint64
			if r != nil {
				offs = r.where[m]
			}
			switch {
			case len(offs) == 0:
				add(Lost, p, m, want, "acknowledged by op %d, never read", o.ID)
			case offs[0] != want && !(copies(o.Result) && slices.Contains(offs, want)):
				add(Misplaced, p, m, offs[0], "acknowledged by op %d at %d", o.ID, want)
			}
		}
	}
	for p, os := range acked {
		out = append(out, realTimeOrder(p, os)...)
	}

	slices.SortFunc(out, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Partition.String(), b.Partition.String()),
			cmp.Compare(a.Offset, b.Offset), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Message, b.Message))
	})
	return out
}

// tornBatch checks that the messages of o's batch that were read sit next
// to each other in batch order, from where its first read message sits.
func tornBatch(o *Op, r *partitionReads) []Violation {
	if r == nil {
		return nil
	}
	base, anchored := int64(0), false
	for j, m := range o.Args.Messages {
		if offs := r.where[m]; len(offs) > 0 {
			base, anchored = int64(offs[0])-int64(j), true
			break
		}
	}
	if !anchored {
		return nil
	}
	var out []Violation
	for j, m := range o.Args.Messages {
		want := base + int64(j)
		offs := r.where[m]
		got, taken := r.at[uint64(want)]
		switch {
		case want < 0:
			out = append(out, Violation{Kind: Torn, Partition: o.Args.Partition, Message: m,
				Detail: fmt.Sprintf("batch of op %d would start before offset 0", o.ID)})
			return out
		case len(offs) > 0 && offs[0] != uint64(want), len(offs) == 0 && taken && got != m:
			out = append(out, Violation{Kind: Torn, Partition: o.Args.Partition, Message: m, Offset: uint64(want),
				Detail: fmt.Sprintf("batch of op %d is not contiguous here", o.ID)})
		}
	}
	return out
}

// tornCopies checks every copy of a produce o that may have taken effect
// more than once, in place of tornBatch (whose anchor, the first offset
// each message was read at, may be in different copies for different
// messages): wherever message j was read, at offset off, the batch's
// other messages read around it must sit at off-j+k.
func tornCopies(o *Op, r *partitionReads) []Violation {
	if r == nil {
		return nil
	}
	var out []Violation
	for j, m := range o.Args.Messages {
		for _, off := range r.where[m] {
			base := int64(off) - int64(j)
			if base < 0 {
				out = append(out, Violation{Kind: Torn, Partition: o.Args.Partition, Message: m, Offset: off,
					Detail: fmt.Sprintf("a copy of op %d's batch would start before offset 0", o.ID)})
				continue
			}
			for k, mk := range o.Args.Messages {
				if got, ok := r.at[uint64(base+int64(k))]; ok && got != mk {
					out = append(out, Violation{Kind: Torn, Partition: o.Args.Partition, Message: mk, Offset: uint64(base + int64(k)),
						Detail: fmt.Sprintf("a copy of op %d's batch is not contiguous here", o.ID)})
				}
			}
		}
	}
	return out
}

// realTimeOrder reports acknowledged produces of one partition whose base
// offsets contradict real time: A returned before B was invoked, yet
// B.base <= A.base.
func realTimeOrder(p Partition, acked []*Op) []Violation {
	// Walk the bases from the highest down, keeping the earliest-returning
	// produce with a higher base (first): if it returned before this one
	// was invoked, the pair is out of order. Equal bases are compared with
	// each other too.
	slices.SortFunc(acked, func(a, b *Op) int { return cmp.Compare(b.Reply.Offset, a.Reply.Offset) })
	earliest := func(a, b *Op) *Op {
		if a == nil || b != nil && b.Return < a.Return {
			return b
		}
		return a
	}
	var out []Violation
	var first *Op
	for i := 0; i < len(acked); {
		j := i
		for j < len(acked) && acked[j].Reply.Offset == acked[i].Reply.Offset {
			j++
		}
		group := acked[i:j]
		for _, b := range group {
			a := first
			for _, g := range group {
				if g != b {
					a = earliest(a, g)
				}
			}
			if a != nil && a.Return < b.Call {
				out = append(out, Violation{Kind: Reordered, Partition: p, Message: firstOf(b.Args.Messages), Offset: b.Reply.Offset,
					Detail: fmt.Sprintf("op %d invoked after op %d returned with base %d", b.ID, a.ID, a.Reply.Offset)})
			}
		}
		for _, g := range group {
			first = earliest(first, g)
		}
		i = j
	}
	return out
}

func firstOf(msgs []string) string {
	if len(msgs) == 0 {
		return ""
	}
	return msgs[0]
}
