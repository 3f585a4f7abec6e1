package consensus

import (
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

// commitSome registers a client on c and commits k requests through it,
// each reply naming the op its request was applied as (S12 is checked on
// every reply by cluster.reply). It returns the ops in reply order.
func commitSome(c *cluster, cl *client, k int) []wire.Op {
	c.t.Helper()
	if cl.session == 0 {
		cl.register()
	}
	var ops []wire.Op
	for range k {
		h := cl.do(fmt.Appendf(nil, "client %v request %d", cl.id, cl.req+1))
		if len(ops) > 0 && h.Op <= ops[len(ops)-1] {
			c.t.Fatalf("request %d committed as op %d after op %d", h.Request, h.Op, ops[len(ops)-1])
		}
		ops = append(ops, h.Op)
	}
	return ops
}

// checkSequence checks that seq holds every acknowledged op, as its
// request, in op order.
func checkSequence(t testing.TB, seq []applied, cl *client, ops []wire.Op, firstReq uint64) {
	t.Helper()
	byOp := map[wire.Op]applied{}
	for i, a := range seq {
		if i > 0 && a.Op <= seq[i-1].Op {
			t.Fatalf("applied op %d after op %d", a.Op, seq[i-1].Op)
		}
		byOp[a.Op] = a
	}
	for i, op := range ops {
		a, ok := byOp[op]
		if !ok || a.Client != cl.id || a.Request != firstReq+uint64(i) {
			t.Fatalf("acknowledged op %d (request %d) applied as %+v (present %v)", op, firstReq+uint64(i), a, ok)
		}
	}
}

// TestThreeNodesMem: three nodes over the in-memory transport commit a
// client's requests in order, every replica applies the same sequence, and
// every reply comes from a replica that has applied it (S12).
func TestThreeNodesMem(t *testing.T) {
	testThreeNodes(t, memPlane)
}

// TestThreeNodesPlane is TestThreeNodesMem over the real replica plane:
// each node on its own shard runtime, loopback TCP, BLAKE3 handshake.
func TestThreeNodesPlane(t *testing.T) {
	testThreeNodes(t, tcpPlane)
}

func testThreeNodes(t *testing.T, mode planeMode) {
	c := newCluster(t, 3, mode, memDisk)
	c.start()
	cl := c.newClient(1)
	ops := commitSome(c, cl, 40)
	seq := c.converged(len(ops))
	checkSequence(t, seq, cl, ops, 1)
	if len(seq) != len(ops) {
		t.Fatalf("applied %d ops, acknowledged %d", len(seq), len(ops))
	}
}
