package history

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// h builds hand-made histories: each method appends one operation with the
// given invocation and return times.
type h []Op

var p0, p1 = Partition{Stream: "s", Topic: "t", ID: 0}, Partition{Stream: "s", Topic: "t", ID: 1}

func (x *h) add(o Op) *h {
	o.ID = len(*x)
	*x = append(*x, o)
	return x
}

// produce is an acknowledged produce of msgs to p with base offset base.
func (x *h) produce(call, ret int64, p Partition, base uint64, msgs ...string) *h {
	return x.add(Op{Kind: Produce, Call: call, Return: ret, Result: Ok,
		Args: Args{Partition: p, Messages: msgs}, Reply: Reply{Offset: base}})
}

// produceAs is a produce of msgs whose outcome is res (Failed or Unknown).
func (x *h) produceAs(res Result, call, ret int64, p Partition, msgs ...string) *h {
	return x.add(Op{Kind: Produce, Call: call, Return: ret, Result: res, Args: Args{Partition: p, Messages: msgs}})
}

// poll reads [off, off+n) of p and got msgs.
func (x *h) poll(call, ret int64, p Partition, off uint64, n int, msgs ...string) *h {
	return x.add(Op{Kind: Poll, Call: call, Return: ret, Result: Ok,
		Args: Args{Partition: p, Offset: off, Count: n}, Reply: Reply{Messages: msgs}})
}

func (x *h) store(call, ret int64, consumer string, p Partition, off uint64, res Result) *h {
	return x.add(Op{Kind: StoreOffset, Call: call, Return: ret, Result: res,
		Args: Args{Consumer: consumer, Partition: p, Offset: off}})
}

// get read the offset of (consumer, p): none when found is false.
func (x *h) get(call, ret int64, consumer string, p Partition, off uint64, found bool) *h {
	return x.add(Op{Kind: GetOffset, Call: call, Return: ret, Result: Ok,
		Args: Args{Consumer: consumer, Partition: p}, Reply: Reply{Offset: off, Found: found}})
}

// meta is a metadata write on stream/topic with outcome res and, when Ok,
// reply code.
func (x *h) meta(k Kind, call, ret int64, stream, topic string, res Result, code Code) *h {
	return x.add(Op{Kind: k, Call: call, Return: ret, Result: res,
		Args: Args{Partition: Partition{Stream: stream, Topic: topic}}, Reply: Reply{Code: code}})
}

// getStream read stream: absent when found is false, else its topics.
func (x *h) getStream(call, ret int64, stream string, found bool, topics ...string) *h {
	return x.add(Op{Kind: GetStream, Call: call, Return: ret, Result: Ok,
		Args: Args{Partition: Partition{Stream: stream}}, Reply: Reply{Found: found, Names: topics}})
}

func (x *h) list(call, ret int64, streams ...string) *h {
	return x.add(Op{Kind: ListStreams, Call: call, Return: ret, Result: Ok, Reply: Reply{Names: streams}})
}

// linearizable runs check on the history and requires the verdict.
func linearizable(t *testing.T, check func([]Op, Options) Verdict, ops h, want bool) Verdict {
	t.Helper()
	v := check(ops, Options{})
	if got := v.Err() == nil; got != want {
		t.Errorf("linearizable = %v (%v), want %v; history:\n%s", got, v.Err(), want, dump(ops))
	}
	return v
}

func dump(ops []Op) string {
	var s string
	for i := range ops {
		s += "  " + ops[i].String() + "\n"
	}
	return s
}
