package history

import (
	"math/rand/v2"
)

// simOpts shape a simulated history.
type simOpts struct {
	ops, clients int
	pUnknown     float64 // a reply is lost (the op may or may not take effect)
	pFailed      float64 // an op is refused before taking effect
}

// simulate runs random operations from concurrent clients against r, each
// taking effect at one instant between its invocation and return (or, for
// an Unknown op, possibly later or never), and ends with r's final reads.
// Every event gets its own time, so the history is linearizable by
// construction: the order of the effects is a linearization.
func simulate(rng *rand.Rand, r ref, o simOpts) []Op {
	var ops []Op
	flying := map[int]int{} // client → op in flight
	effected := map[int]bool{}
	var lingering []int // returned Unknown before taking effect; may still do so
	t, seq := int64(0), 0
	effect := func(id int) {
		ops[id].Reply = r.apply(ops[id].Kind, ops[id].Args)
		effected[id] = true
	}
	for len(ops) < o.ops || len(flying) > 0 {
		t++
		var idle []int
		for c := range o.clients {
			if _, busy := flying[c]; !busy && len(ops) < o.ops {
				idle = append(idle, c)
			}
		}
		var pending []int // in flight, not yet effected
		var clients []int // in flight
		for c := range o.clients {
			if id, ok := flying[c]; ok {
				clients = append(clients, c)
				if !effected[id] {
					pending = append(pending, id)
				}
			}
		}
		switch n := rng.IntN(4); {
		case n == 0 && len(idle) > 0:
			c := idle[rng.IntN(len(idle))]
			k, a := r.next(rng, &seq)
			flying[c] = len(ops)
			ops = append(ops, Op{ID: len(ops), Client: c, Kind: k, Args: a, Call: t})
		case n == 1 && len(pending) > 0:
			effect(pending[rng.IntN(len(pending))])
		case n == 2 && len(lingering) > 0:
			i := rng.IntN(len(lingering))
			effect(lingering[i])
			lingering = append(lingering[:i], lingering[i+1:]...)
		case n == 3 && len(clients) > 0:
			c := clients[rng.IntN(len(clients))]
			id := flying[c]
			delete(flying, c)
			op := &ops[id]
			op.Return = t
			x := rng.Float64()
			switch {
			case effected[id] && x < o.pUnknown:
				op.Result, op.Reply, op.Err = Unknown, Reply{}, "timeout"
			case effected[id]:
				op.Result = Ok
			case x < o.pFailed:
				op.Result, op.Err = Failed, "refused"
			case x < o.pFailed+o.pUnknown:
				op.Result, op.Err = Unknown, "timeout"
				lingering = append(lingering, id)
			default:
				effect(id)
				op.Result = Ok
			}
			if op.Result != Ok {
				op.Reply = Reply{}
			}
		}
	}
	for _, a := range r.final() {
		t++
		k := Poll
		ops = append(ops, Op{ID: len(ops), Kind: k, Args: a, Call: t, Return: t + 1, Result: Ok, Reply: r.apply(k, a)})
		t++
	}
	return ops
}

// bruteForce decides linearizability by trying every order of the
// operations that respects real time, against r: the dumb alternative the
// porcupine models are compared with. Failed ops and reads that did not
// return Ok are left out; Unknown writes may be placed anywhere after their
// invocation, or nowhere.
func bruteForce(ops []Op, r ref) bool {
	var cand []*Op
	for i := range ops {
		o := &ops[i]
		if o.Result == Failed || isRead(o.Kind) && o.Result != Ok {
			continue
		}
		cand = append(cand, o)
	}
	placed := make([]bool, len(cand))
	var dfs func(r ref) bool
	dfs = func(r ref) bool {
		done := true
		for i, o := range cand {
			if !placed[i] && o.Result == Ok {
				done = false
			}
		}
		if done {
			return true
		}
		for i, o := range cand {
			if placed[i] || !minimal(cand, placed, o) {
				continue
			}
			next := r.clone()
			reply := next.apply(o.Kind, o.Args)
			if o.Result == Ok && !matches(o.Kind, o.Reply, reply) {
				continue
			}
			placed[i] = true
			ok := dfs(next)
			placed[i] = false
			if ok {
				return true
			}
		}
		return false
	}
	return dfs(r)
}

// minimal reports whether no unplaced Ok op returned before o was invoked.
func minimal(cand []*Op, placed []bool, o *Op) bool {
	for j, p := range cand {
		if !placed[j] && p != o && p.Result == Ok && p.Return < o.Call {
			return false
		}
	}
	return true
}

// perturb changes the reply of one random Ok op, or its result, the way a
// buggy server might.
func perturb(rng *rand.Rand, ops []Op) {
	var oks []int
	for i := range ops {
		if ops[i].Result == Ok || ops[i].Kind == Produce && ops[i].Result != Ok {
			oks = append(oks, i)
		}
	}
	if len(oks) == 0 {
		return
	}
	o := &ops[oks[rng.IntN(len(oks))]]
	if o.Result != Ok { // a produce that did not return Ok: claim it failed instead, or succeeded at 0
		o.Result, o.Reply = []Result{Failed, Ok}[rng.IntN(2)], Reply{}
		return
	}
	r := &o.Reply
	switch o.Kind {
	case Produce:
		if r.Offset > 0 && rng.IntN(2) == 0 {
			r.Offset--
		} else {
			r.Offset++
		}
	case Poll:
		switch {
		case len(r.Messages) > 0 && rng.IntN(2) == 0:
			r.Messages = r.Messages[:len(r.Messages)-1]
		case len(r.Messages) > 1:
			r.Messages = r.Messages[1:]
		default:
			r.Messages = append(r.Messages, "m1")
		}
	case GetOffset:
		if r.Found && rng.IntN(2) == 0 {
			r.Offset++
		} else {
			r.Found = !r.Found
		}
	case GetStream:
		if r.Found && rng.IntN(2) == 0 {
			r.Names = append(r.Names, "zz")
		} else {
			r.Found = !r.Found
		}
	case ListStreams:
		if len(r.Names) > 0 {
			r.Names = r.Names[1:]
		} else {
			r.Names = []string{"a"}
		}
	case StoreOffset:
		o.Result = Failed
	default:
		r.Code = (r.Code + 1 + Code(rng.IntN(2))) % 3
	}
}
