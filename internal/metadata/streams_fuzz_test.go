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
		s.AppendGetStreams(nil, nil)
		s.Digest()
	})
}

// FuzzRequestBodies runs every request decoder on arbitrary bytes: no
// panic, and a CreateTopic that decodes yields an operation Check accepts
// on its options.
func FuzzRequestBodies(f *testing.F) {
	f.Add([]byte{2, 0x73, 0x31})
	f.Add(createTopicBody(num(0), 1, "t", tlv(nil, "enforce_fsync", KindString, []byte("true"))))
	f.Add(createTopicBody(named("s"), 3, "t", tlv(nil, "message_expiry", KindString, []byte("1h 30m"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		var cs CreateStreamRequest
		cs.Decode(b)
		var ct CreateTopicRequest
		if ct.Decode(b) == wire.StatusOK {
			if st := validateTopic(ct.Partitions, ct.Options); st != wire.StatusOK {
				t.Fatalf("decoded options fail validation: %v", st)
			}
			s := NewState()
			s.ApplyOp(CreateStream{Name: "s"})
			s.ApplyOp(ct.Op(1, 2))
			checkStreamInvariants(t, s)
		}
		var sr StreamRequest
		sr.Decode(b)
		var tr TopicRequest
		tr.Decode(b)
		var pr PartitionsRequest
		pr.Decode(b)
		var cg CreateGroupRequest
		cg.Decode(b)
		var gr GroupRequest
		gr.Decode(b)
		var or ConsumerOffsetRequest
		for _, code := range []int{OffsetGet, OffsetStore, OffsetDelete} {
			or.Decode(code, b)
		}
		var sn SnapshotRequest
		sn.Decode(b)
		var us UpdateStreamRequest
		us.Decode(b)
		var ut UpdateTopicRequest
		if ut.Decode(b) == wire.StatusOK && ut.Options.Explicit&^UpdatableTopicOptions != 0 {
			t.Fatalf("an update carries a create-time key: %+v", ut.Options)
		}
		var ds DeleteSegmentsRequest
		ds.Decode(b)
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
