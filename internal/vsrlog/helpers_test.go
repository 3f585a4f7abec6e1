package vsrlog

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

const testDir = "replica/0"

// prepareFrame returns an identity-stamped Prepare frame for op with the
// given parent, view and body.
func prepareFrame(op wire.Op, parent wire.Uint128, view wire.View, body []byte) []byte {
	h := wire.PrepareHeader{
		Prefix: wire.Prefix{Cluster: wire.Uint128{Lo: 7}, Size: uint32(wire.HeaderSize + len(body)), View: view},
		Client: wire.ClientID{Lo: 1}, Parent: parent, Op: op, Timestamp: uint64(op), Request: uint64(op),
		Operation: wire.OpCreateStream, Group: wire.MetadataGroup,
	}
	f := make([]byte, wire.HeaderSize+len(body))
	h.Put(f)
	copy(f[wire.HeaderSize:], body)
	wire.StampPrepare(f)
	return f
}

func headerOf(t testing.TB, f []byte) wire.PrepareHeader {
	t.Helper()
	var h wire.PrepareHeader
	if err := h.Decode(f); err != nil {
		t.Fatal(err)
	}
	return h
}

// model is what a Log should hold: live prepares by op and a hard state.
type model struct {
	ops map[wire.Op][]byte
	hs  HardState
}

func newModel() model { return model{ops: map[wire.Op][]byte{}} }

func (m model) clone() model { return model{ops: maps.Clone(m.ops), hs: m.hs} }

// apply returns m after the first n records of u (the truncate record
// counts as one when u.Truncate), and the hard state if all is applied
// and u changes it.
func (m model) apply(u *Update, n int) model {
	m = m.clone()
	if u == nil {
		return m
	}
	if u.Truncate && n > 0 {
		for op := range m.ops {
			if op > u.TruncateOp {
				delete(m.ops, op)
			}
		}
		n--
	}
	for _, f := range u.Entries[:min(n, len(u.Entries))] {
		m.ops[wire.Op(leOp(f))] = f
	}
	return m
}

// records is the number of journal records u writes.
func records(u *Update) int {
	n := len(u.Entries)
	if u.Truncate {
		n++
	}
	return n
}

func leOp(f []byte) uint64 {
	var h wire.PrepareHeader
	if h.Decode(f) != nil {
		panic("bad frame")
	}
	return uint64(h.Op)
}

// frames returns m's prepares in op order.
func (m model) frames() [][]byte {
	var out [][]byte
	for _, op := range slices.Sorted(maps.Keys(m.ops)) {
		out = append(out, m.ops[op])
	}
	return out
}

// sameFrames reports whether got equals want frame by frame.
func sameFrames(got, want [][]byte) bool {
	return slices.EqualFunc(got, want, bytes.Equal)
}

func describe(frames [][]byte) string {
	var b bytes.Buffer
	for _, f := range frames {
		h := wire.PrepareHeader{}
		h.Decode(f)
		fmt.Fprintf(&b, "%d:%x ", h.Op, h.Checksum.Lo&0xffff)
	}
	return b.String()
}

func sameHardState(a, b HardState) bool {
	return a.View == b.View && a.LogView == b.LogView && a.Commit == b.Commit && slices.Equal(a.Headers, b.Headers)
}

func mustOpen(t testing.TB, fsys vfs.FS) (*Log, HardState, [][]byte, Recovery) {
	t.Helper()
	l, hs, frames, rec, err := Open(fsys, testDir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l, hs, frames, rec
}

func mustPersist(t testing.TB, l *Log, u Update) {
	t.Helper()
	if err := l.Persist(u); err != nil {
		t.Fatalf("Persist: %v", err)
	}
}

// gen builds prepares for a test: a hash chain per "log", and hard states
// whose view headers are taken from the frames.
type gen struct {
	view wire.View
	last map[wire.Op]wire.Uint128 // identity of each op's newest frame
	seq  int
}

func newGen() *gen { return &gen{last: map[wire.Op]wire.Uint128{}} }

// frame makes a new prepare for op chained to the newest frame of op-1.
func (g *gen) frame(op wire.Op, size int) []byte {
	g.seq++
	body := bytes.Repeat([]byte{byte(g.seq)}, size)
	copy(body, fmt.Sprintf("op %d gen %d", op, g.seq))
	f := prepareFrame(op, g.last[op-1], g.view, body)
	var h wire.PrepareHeader
	h.Decode(f)
	g.last[op] = h.Checksum
	return f
}

// headers returns the headers of frames (ascending op), at most 128.
func headers(t testing.TB, frames [][]byte) []wire.PrepareHeader {
	var hs []wire.PrepareHeader
	for _, f := range frames[max(0, len(frames)-wire.MaxViewChangeHeaders):] {
		hs = append(hs, headerOf(t, f))
	}
	return hs
}

func brief(hs HardState) string {
	var ops []wire.Op
	for _, h := range hs.Headers {
		ops = append(ops, h.Op)
	}
	return fmt.Sprintf("{view %d log_view %d commit %d headers at %v}", hs.View, hs.LogView, hs.Commit, ops)
}
