package history

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// models under property test: a fresh naive reference for each history and
// the checker it must agree with.
var models = []struct {
	name  string
	ref   func(small bool) ref
	check func([]Op, Options) Verdict
}{
	{"log", func(small bool) ref {
		if small {
			return newLogRef(p0)
		}
		return newLogRef(p0, p1, Partition{Stream: "s", Topic: "u"})
	}, CheckLog},
	{"offsets", func(small bool) ref {
		if small {
			return newOffsetsRef(offsetKey{"c", p0})
		}
		return newOffsetsRef(offsetKey{"c", p0}, offsetKey{"c", p1}, offsetKey{"d", p0})
	}, CheckOffsets},
	{"metadata", func(bool) ref { return newMetaRef(false) }, CheckMetadata},
	{"metadata+list", func(bool) ref { return newMetaRef(true) }, CheckMetadata},
	// Stream "a" is never deleted, so the stale read and lost write of an
	// existing stream find candidates in every history.
	{"metadata+keep", func(bool) ref { r := newMetaRef(false); r.keep = "a"; return r }, CheckMetadata},
}

// Small random histories, half of them with one reply perturbed, get the
// same verdict from the porcupine model as from trying every order against
// the naive reference.
func TestModelsAgreeWithBruteForce(t *testing.T) {
	const n = 300
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			legal := 0
			for seed := range uint64(n) {
				rng := rand.New(rand.NewPCG(seed, 1))
				o := simOpts{ops: 3 + rng.IntN(5), clients: 2 + rng.IntN(2), pUnknown: 0.2, pFailed: 0.1}
				ops := simulate(rng, m.ref(true), o)
				if seed%2 == 1 {
					perturb(rng, ops)
				}
				want := bruteForce(ops, m.ref(true))
				v := m.check(ops, Options{})
				if got := v.Err() == nil; got != want {
					t.Fatalf("seed %d: porcupine says %v (%v), brute force %v; history:\n%s", seed, got, v.Err(), want, dump(ops))
				}
				if want {
					legal++
				}
			}
			// Both verdicts must be well represented, or the test proves little.
			if legal < n/4 || legal > n*3/4+n/8 {
				t.Fatalf("%d of %d histories linearizable: the generator is off balance", legal, n)
			}
			t.Logf("%d of %d linearizable", legal, n)
		})
	}
}

// Large histories generated from a sequential execution, with lost replies,
// refusals and late effects, always pass every check.
func TestGeneratedHistoriesPass(t *testing.T) {
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			for seed := range uint64(40) {
				rng := rand.New(rand.NewPCG(seed, 2))
				ops := simulate(rng, m.ref(false), simOpts{ops: 200, clients: 5, pUnknown: 0.1, pFailed: 0.05})
				if err := m.check(ops, Options{}).Err(); err != nil {
					t.Fatalf("seed %d: %v\n%s", seed, err, dump(ops))
				}
				if vs := CheckNoLostAcks(ops); len(vs) > 0 {
					t.Fatalf("seed %d: %v", seed, vs)
				}
			}
		})
	}
}

// anomaly injects one bug into a generated history and returns the
// violation kind CheckNoLostAcks must report (0: not its business).
type anomaly struct {
	name   string
	model  int // index in models
	inject func(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind)
}

var anomalies = []anomaly{
	{"log/stale-read", 0, staleRead},
	{"log/lost-write", 0, func(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind) {
		p := pick(t, rng, ops, ackedProduce)
		d := drainOf(ops, p.Args.Partition)
		d.Reply.Messages = slices.DeleteFunc(d.Reply.Messages, func(m string) bool { return slices.Contains(p.Args.Messages, m) })
		return ops, Lost
	}},
	{"log/duplicate", 0, func(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind) {
		p := pick(t, rng, ops, ackedProduce)
		d := drainOf(ops, p.Args.Partition)
		d.Reply.Messages = append(d.Reply.Messages, p.Args.Messages...)
		return ops, Duplicated
	}},
	{"log/failed-but-applied", 0, func(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind) {
		p := pick(t, rng, ops, ackedProduce)
		p.Result, p.Err = Failed, "refused"
		return ops, Resurrected
	}},
	{"offsets/stale-read", 1, func(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind) {
		// S1 → S2 → G in real time on one key: G cannot see S1's value.
		type triple struct{ s1, g *Op }
		var ts []triple
		for i := range ops {
			g := &ops[i]
			if g.Kind != GetOffset || g.Result != Ok {
				continue
			}
			for _, s2 := range ops {
				if !sameKeyOkStore(&s2, g) || s2.Return >= g.Call {
					continue
				}
				for j := range ops {
					if s1 := &ops[j]; sameKeyOkStore(s1, g) && s1.Return < s2.Call {
						ts = append(ts, triple{s1, g})
					}
				}
			}
		}
		if len(ts) == 0 {
			t.Fatal("no store → store → get chain in the history")
		}
		x := ts[rng.IntN(len(ts))]
		x.g.Reply = Reply{Found: true, Offset: x.s1.Args.Offset}
		return ops, 0
	}},
	{"offsets/lost-write", 1, func(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind) {
		g := pick(t, rng, ops, func(ops []Op, g *Op) bool {
			return g.Kind == GetOffset && g.Result == Ok && slices.ContainsFunc(ops, func(s Op) bool {
				return sameKeyOkStore(&s, g) && s.Return < g.Call
			})
		})
		g.Reply = Reply{}
		return ops, 0
	}},
	{"metadata/stale-read", 4, func(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind) {
		g := pick(t, rng, ops, func(ops []Op, g *Op) bool {
			return g.Kind == GetStream && g.Result == Ok && createdAndKept(ops, g)
		})
		g.Reply = Reply{}
		return ops, 0
	}},
	{"metadata/lost-write", 4, func(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind) {
		c := pick(t, rng, ops, func(ops []Op, c *Op) bool {
			return c.Kind == CreateStream && c.Result == Ok && createdAndKept(ops, c)
		})
		c.Reply.Code = OK
		return ops, 0
	}},
}

// Each injected anomaly makes a generated history fail its check, every
// time; the message-level ones are also caught by CheckNoLostAcks.
func TestInjectedAnomaliesFail(t *testing.T) {
	for _, a := range anomalies {
		t.Run(a.name, func(t *testing.T) {
			m := models[a.model]
			for seed := range uint64(40) {
				rng := rand.New(rand.NewPCG(seed, 3))
				ops := simulate(rng, m.ref(false), simOpts{ops: 200, clients: 5, pUnknown: 0.1, pFailed: 0.05})
				ops, kind := a.inject(t, rng, ops)
				v := m.check(ops, Options{})
				if v.Err() == nil {
					t.Fatalf("seed %d: %s passed the %s check\n%s", seed, a.name, m.name, dump(ops))
				}
				if vs := CheckNoLostAcks(ops); kind != 0 && !slices.Contains(kinds(vs), kind) {
					t.Fatalf("seed %d: %s: violations %v lack %s", seed, a.name, vs, kind)
				}
			}
		})
	}
}

// staleRead truncates a poll just before a produce that completed before
// the poll began, at or after its offset.
func staleRead(t *testing.T, rng *rand.Rand, ops []Op) ([]Op, ViolationKind) {
	type pair struct{ p, q *Op }
	var ps []pair
	for i := range ops {
		q := &ops[i]
		if q.Kind != Poll || q.Result != Ok {
			continue
		}
		for j := range ops {
			p := &ops[j]
			if ackedProduce(ops, p) && p.Args.Partition == q.Args.Partition && p.Return < q.Call &&
				p.Reply.Offset >= q.Args.Offset && p.Reply.Offset < q.Args.Offset+uint64(len(q.Reply.Messages)) {
				ps = append(ps, pair{p, q})
			}
		}
	}
	if len(ps) == 0 {
		t.Fatal("no produce → poll pair in the history")
	}
	x := ps[rng.IntN(len(ps))]
	x.q.Reply.Messages = x.q.Reply.Messages[:x.p.Reply.Offset-x.q.Args.Offset]
	return ops, 0
}

func ackedProduce(_ []Op, o *Op) bool { return o.Kind == Produce && o.Result == Ok }

func sameKeyOkStore(s, g *Op) bool {
	return s.Kind == StoreOffset && s.Result == Ok && s.Args.Consumer == g.Args.Consumer && s.Args.Partition == g.Args.Partition
}

// createdAndKept reports whether an Ok op that proves o's stream existed
// returned before o was invoked, and no delete of that stream that may have
// taken effect was invoked before o returned: the stream exists at o.
func createdAndKept(ops []Op, o *Op) bool {
	s := o.Args.Partition.Stream
	seen := false
	for _, c := range ops {
		if c.Args.Partition.Stream != s {
			continue
		}
		if c.Result == Ok && c.Return < o.Call && provesStream(&c) {
			seen = true
		}
		if c.Kind == DeleteStream && c.Result != Failed && c.Call < o.Return {
			return false
		}
	}
	return seen
}

func provesStream(o *Op) bool {
	switch o.Kind {
	case CreateStream:
		return true // OK or Exists: there is a stream after it
	case CreateTopic:
		return o.Reply.Code != NotFound
	case DeleteTopic:
		return o.Reply.Code == OK
	case GetStream:
		return o.Reply.Found
	}
	return false
}

// pick returns a random op satisfying ok.
func pick(t *testing.T, rng *rand.Rand, ops []Op, ok func([]Op, *Op) bool) *Op {
	t.Helper()
	var c []*Op
	for i := range ops {
		if ok(ops, &ops[i]) {
			c = append(c, &ops[i])
		}
	}
	if len(c) == 0 {
		t.Fatalf("no candidate op in the history:\n%s", dump(ops))
	}
	return c[rng.IntN(len(c))]
}

// drainOf is the final read of partition p.
func drainOf(ops []Op, p Partition) *Op {
	for i := len(ops) - 1; i >= 0; i-- {
		if ops[i].Kind == Poll && ops[i].Args.Partition == p && ops[i].Args.Count == 1<<20 {
			return &ops[i]
		}
	}
	panic("no drain")
}

// BenchmarkCheckLog checks a generated 20,000-operation history with lost
// replies, refusals and late effects over three partitions.
func BenchmarkCheckLog(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	ops := simulate(rng, models[0].ref(false), simOpts{ops: 20000, clients: 5, pUnknown: 0.1, pFailed: 0.05})
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckLog(ops, Options{}).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
