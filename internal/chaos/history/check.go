package history

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

var (
	// ErrNotLinearizable is returned by Verdict.Err when no linearization
	// of the history exists.
	ErrNotLinearizable = errors.New("history: not linearizable")
	// ErrCheckTimeout is returned by Verdict.Err when the check ran out of
	// Options.Timeout before deciding.
	ErrCheckTimeout = errors.New("history: linearizability check timed out")
)

// Options tune the checks.
type Options struct {
	// Timeout bounds each linearizability check; 0 means no bound. A check
	// that runs out is undecided (ErrCheckTimeout), neither a pass nor a
	// failure.
	Timeout time.Duration
	// SplitLists checks each stream-list read against every group of
	// related names separately, projected onto that group's names, instead
	// of checking the whole metadata history as one key. It scales to
	// histories with hundreds of streams and unknown outcomes, and is
	// weaker: it no longer checks that one list is a snapshot of all the
	// streams at one instant (two lists may disagree on the order of two
	// creates), only that each list is right about every stream.
	SplitLists bool
	// AtLeastOnce reads the history as at-least-once delivery (Iggy's
	// data plane): an Unknown produce may have taken effect more than
	// once, each time as a whole batch at a base offset of its own.
	// CheckLog places one copy of it at every base offset its messages
	// were read at, and CheckNoLostAcks lets its messages appear more
	// than once. An Ok or Failed produce must still appear exactly once
	// or never.
	AtLeastOnce bool
	// ReplayDups also lets an Ok produce appear as more than one whole
	// copy, one of them at its acknowledged offset: what a server that
	// answers 58 TransientNotAccepted for a request it still commits
	// causes when the client replays it (a known internal/partgroup
	// defect: a proposal whose view changed or that waited past its
	// deadline is refused though its prepare may commit). Only with
	// AtLeastOnce.
	ReplayDups bool
}

// Verdict is the result of one linearizability check.
type Verdict struct {
	Model  string                // "log", "offsets" or "metadata"
	Result porcupine.CheckResult // Ok, Illegal, or Unknown (timed out)
	Ops    int                   // operations checked
	Keys   int                   // independent keys (porcupine partitions)

	model porcupine.Model
	info  porcupine.LinearizationInfo
}

// Err is nil when the history is linearizable, or wraps ErrNotLinearizable
// or ErrCheckTimeout.
func (v Verdict) Err() error {
	switch v.Result {
	case porcupine.Ok:
		return nil
	case porcupine.Illegal:
		return fmt.Errorf("%w: %s model (%d ops, %d keys)", ErrNotLinearizable, v.Model, v.Ops, v.Keys)
	}
	return fmt.Errorf("%w: %s model (%d ops, %d keys)", ErrCheckTimeout, v.Model, v.Ops, v.Keys)
}

// Visualize writes porcupine's HTML visualization of the checked history
// to path: the linearization when there is one, otherwise the longest
// partial linearizations and the operations none could place.
func (v Verdict) Visualize(path string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("history: visualize: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("history: visualize: %w", cerr)
		}
	}()
	if err := porcupine.Visualize(v.model, v.info, f); err != nil {
		return fmt.Errorf("history: visualize: %w", err)
	}
	return nil
}

// Report is the outcome of every check on one history.
type Report struct {
	Verdicts   []Verdict   // log, offsets and metadata, in that order
	Violations []Violation // from CheckNoLostAcks
}

// Check runs CheckLog, CheckOffsets, CheckMetadata and CheckNoLostAcks on
// ops.
func Check(ops []Op, opt Options) Report {
	return Report{
		Verdicts:   []Verdict{CheckLog(ops, opt), CheckOffsets(ops, opt), CheckMetadata(ops, opt)},
		Violations: CheckNoLostAcksWith(ops, opt),
	}
}

// Err joins the errors of the failed verdicts and, when there are
// violations, ErrLostAck with the first few.
func (r Report) Err() error {
	var errs []error
	for _, v := range r.Verdicts {
		errs = append(errs, v.Err())
	}
	if n := len(r.Violations); n > 0 {
		const show = 5
		var b strings.Builder
		for i, v := range r.Violations[:min(n, show)] {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(v.String())
		}
		if n > show {
			fmt.Fprintf(&b, "; and %d more", n-show)
		}
		errs = append(errs, fmt.Errorf("%w: %d violations: %s", ErrLostAck, n, b.String()))
	}
	return errors.Join(errs...)
}

// check runs porcupine on the operations adapt keeps (never a Failed one).
// adapt returns the operation to check: the original, or a copy of an
// Unknown one that reads showed took effect, made Ok with the reply and the
// latest return time the reads imply. Unknown operations left as they are
// return at Infinity.
func check(name string, model porcupine.Model, ops []Op, opt Options, adapt func(*Op) (*Op, bool)) Verdict {
	return checkEach(name, model, ops, opt, func(o *Op) []*Op {
		if c, keep := adapt(o); keep {
			return []*Op{c}
		}
		return nil
	})
}

// checkEach is check with an adapt that may turn one operation into
// several (an at-least-once produce that took effect twice) or none.
func checkEach(name string, model porcupine.Model, ops []Op, opt Options, adapt func(*Op) []*Op) Verdict {
	var h []porcupine.Operation
	for i := range ops {
		if ops[i].Result == Failed {
			continue
		}
		for _, o := range adapt(&ops[i]) {
			ret := o.Return
			if o.Result != Ok {
				ret = Infinity
			}
			h = append(h, porcupine.Operation{ClientId: o.Client, Input: o, Call: o.Call, Return: ret, Metadata: o.Err})
		}
	}
	res, info := porcupine.CheckOperationsVerbose(model, h, opt.Timeout)
	keys := 0
	if len(h) > 0 {
		keys = len(model.Partition(h))
	}
	return Verdict{Model: name, Result: res, Ops: len(h), Keys: keys, model: model, info: info}
}

// placed returns a copy of the Unknown op o made Ok with reply, returning
// at ret: what the reads showed of it.
func placed(o *Op, reply Reply, ret int64) *Op {
	c := *o
	c.Result, c.Reply, c.Return = Ok, reply, ret
	c.Err = fmt.Sprintf("unknown (%s), placed by a read", o.Err)
	return &c
}

// partitionBy returns a porcupine Partition function grouping operations
// by key, in order of each key's first appearance.
func partitionBy(key func(*Op) any) func([]porcupine.Operation) [][]porcupine.Operation {
	return func(h []porcupine.Operation) [][]porcupine.Operation {
		index := map[any]int{}
		var out [][]porcupine.Operation
		for _, op := range h {
			k := key(op.Input.(*Op))
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, nil)
			}
			out[i] = append(out[i], op)
		}
		return out
	}
}

func describeOp(in, _ any) string { return in.(*Op).String() }
