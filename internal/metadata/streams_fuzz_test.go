package metadata

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// FuzzStreamOps applies arbitrary bytes as operations to a populated
// state: nothing panics, the invariants hold, and a decodable operation
// re-encodes to the same bytes.
func FuzzStreamOps(f *testing.F) {
	for _, op := range randomOps(rand.New(rand.NewPCG(3, 3)), 40) {
		f.Add(Encode(op))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewState()
		for _, op := range randomOps(rand.New(rand.NewPCG(4, 4)), 60) {
			s.Apply(Encode(op))
		}
		if op, err := Decode(b); err == nil {
			if got := Encode(op); string(got) != string(b) {
				t.Fatalf("% x re-encodes as % x", b, got)
			}
		}
		s.Apply(b)
		checkStreamInvariants(t, s)
		appendGetStreams(s, nil, nil)
		s.Digest()
	})
}

// FuzzRequestOps builds operations from arbitrary request bodies (wire's
// FuzzRequestBodies covers the decoding): no panic, a CreateTopic that
// passes yields an operation Check accepts on its options, and an update
// never carries a create-time key.
func FuzzRequestOps(f *testing.F) {
	f.Add([]byte{2, 0x73, 0x31})
	f.Add(createTopicBody(num(0), 1, "t", tlv(nil, "enforce_fsync", KindString, []byte("true"))))
	f.Add(createTopicBody(named("s"), 3, "t", tlv(nil, "message_expiry", KindString, []byte("1h 30m"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		var cs wire.CreateStream
		if cs.Decode(b) == wire.StatusOK {
			CreateStreamOp(cs, 1)
		}
		var ct wire.CreateTopic
		if ct.Decode(b) == wire.StatusOK {
			if op, st := CreateTopicOp(ct, 1, 2); st == wire.StatusOK {
				if st := validateTopic(op.Partitions, op.Options); st != wire.StatusOK {
					t.Fatalf("built options fail validation: %v", st)
				}
				s := NewState()
				s.ApplyOp(CreateStream{Name: "s"})
				s.ApplyOp(op)
				checkStreamInvariants(t, s)
			}
		}
		var us wire.UpdateStream
		if us.Decode(b) == wire.StatusOK {
			UpdateStreamOp(us)
		}
		var ut wire.UpdateTopic
		if ut.Decode(b) == wire.StatusOK {
			if op, st := UpdateTopicOp(ut); st == wire.StatusOK && op.Options.Explicit&^UpdatableTopicOptions != 0 {
				t.Fatalf("an update carries a create-time key: %+v", op.Options)
			}
		}
		if p, err := wire.DecodePermissions(b); err == nil {
			if _, err := wire.DecodePermissions(append(b[:len(b):len(b)], 0)); err == nil && len(b) > 0 {
				t.Fatalf("% x and a trailing byte both decode", b)
			}
			for sid := range p.Streams {
				p.Send(sid, 0)
				p.Poll(sid, 0)
			}
			if q, err := wire.DecodePermissions(p.Append(nil)); err != nil || !reflect.DeepEqual(p, q) && len(b) > 0 {
				t.Fatalf("% x does not survive a re-encoding: %v", b, err)
			}
		}
		if len(b) > 0 {
			AppendDescribeOptions(nil, b[0])
		}
	})
}
