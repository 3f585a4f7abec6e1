package service

import (
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/metagroup"
	"github.com/shoal-io/shoal/internal/wire"
)

// unknownLog proposes through the real log, then reports the outcome as
// unknown, as a primary does whose view changed before it saw the commit
// (metagroup.ErrUnknown): the operation did commit.
type unknownLog struct {
	Log
	err error // what Propose returns after proposing
}

func (l unknownLog) Propose(op metadata.Op) (metadata.Result, *metadata.State, error) {
	l.Log.Propose(op)
	return metadata.Result{}, nil, l.err
}

// TestUnknownOutcomeIsNotCommitted: an operation whose outcome is unknown
// is answered 57 TransientNotCommitted, which clients replay only on their
// session, never 58 TransientNotAccepted, which tells them it never
// entered the log and may be sent again anywhere: a client that fails over
// and sends it again under a new session would apply it twice (wire.md
// §2.6 item 5; found by internal/chaos seed 101: a rename answered
// not-found although it had been applied, then a stream "lost").
// The same for a proposal in flight when the node shuts down (ErrStopped
// that also matches ErrUnknown).
func TestUnknownOutcomeIsNotCommitted(t *testing.T) {
	stopped := fmt.Errorf("%w in flight: %w", metagroup.ErrStopped, metagroup.ErrUnknown)
	for i, err := range []error{metagroup.ErrUnknown, stopped} {
		s, _ := newService(t, 0)
		inner := s.log
		s.log = unknownLog{inner, err}
		name := fmt.Sprintf("s%d", i)
		o := wait(t, func(d Done) error { return s.CreateStream(root, wire.CreateStream{Name: name}, d) })
		if o.Status != wire.StatusTransientNotCommitted {
			t.Fatalf("%v: answered %v, want TransientNotCommitted", err, o.Status)
		}
		if _, st := s.State().ResolveStream(wire.NamedID(name)); st != wire.StatusOK {
			t.Fatalf("the stream did commit (%v): a resend elsewhere would apply it twice", st)
		}
		s.log = inner
	}
}
