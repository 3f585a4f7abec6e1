package partgroup

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestNemesis runs random sends against a three-replica group while a
// nemesis cuts replicas off, restarts them, cuts their power (losing
// what they had not synced), moves the leader and purges. Each seed ends
// with every replica connected: they must hold the same partition, with
// every acknowledged send's messages at its acknowledged offsets (a send
// whose outcome is unknown, 57, may be there too; one refused, 58, not).
func TestNemesis(t *testing.T) {
	seeds := *nemesisSeeds
	if testing.Short() {
		seeds = min(seeds, 8)
	}
	for seed := *nemesisFirst; seed < *nemesisFirst+seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { nemesis(t, seed) })
		})
	}
}

var (
	nemesisSeeds = flag.Uint64("nemesis.seeds", 24, "TestNemesis: how many seeds")
	nemesisFirst = flag.Uint64("nemesis.first", 0, "TestNemesis: the first seed")
)

// offsetModel is what a consumer's stores since the last purge allow:
// the value of the latest acknowledged one or of any unknown one after
// it; must, that one was acknowledged (the offset exists).
type offsetModel struct {
	vals []uint64
	must bool
}

// ackedSend is a send the group acknowledged: its messages are numbered
// first.. and were given offsets base...
type ackedSend struct {
	base, first uint64
	n           int
}

func nemesis(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	mems := make([]*vfs.MemFS, 3)
	m := newMeshOn(t, 3, 4, func(i int) (vfs.FS, string) { mems[i] = vfs.NewMem(); return mems[i], "" })
	var (
		acked  []ackedSend
		number uint64 // the next message number
		purge  uint64 = 100
		log    []string
		// offsets: per consumer, the values its latest acknowledged
		// store and any later unknown ones may have left.
		offsets = map[partition.ConsumerKey]*offsetModel{}
	)
	defer func() {
		if t.Failed() {
			for i, mb := range m.ms {
				if g := mb.g.Load(); g != nil {
					t.Logf("replica %d: purged at %d, %+v", i, g.PurgedAt(), g.Status())
				}
			}
			t.Logf("seed %d steps:\n%s", seed, bytes.Join(func() (b [][]byte) {
				for _, l := range log {
					b = append(b, []byte(l))
				}
				return
			}(), []byte("\n")))
		}
	}()
	step := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	powerLoss := func(i int) {
		// The replica goes silent at the moment its disk is taken: what
		// it persists afterwards, it never sent.
		mb := m.ms[i]
		blocked := mb.block.Swap(true)
		mems[i] = mems[i].CrashClone(vfs.CrashOptions{KeepUnsynced: func(string, int) int { return rng.IntN(1 << 12) }})
		m.stopMember(mb)
		mb.fs = mems[i]
		m.start(i)
		mb.block.Store(blocked)
	}
	for range 40 {
		switch a := rng.IntN(11); {
		case a == 10:
			i := m.serving()
			if i < 0 || len(acked) == 0 {
				continue
			}
			k := partition.ConsumerKey{Kind: wire.ConsumerSingle, ID: 1 + rng.Uint32N(2)}
			last := acked[len(acked)-1]
			v := rng.Uint64N(last.base + uint64(last.n))
			ch := make(chan Result, 1)
			m.ms[i].g.Load().StoreOffset(k, v, func(r Result) { ch <- r })
			r := <-ch
			step("store offset %d=%d on %d: %+v", k.ID, v, i, r)
			om := offsets[k]
			if om == nil {
				om = &offsetModel{}
				offsets[k] = om
			}
			switch r.Status {
			case wire.StatusOK:
				om.vals, om.must = []uint64{v}, true
			case wire.StatusTransientNotCommitted:
				om.vals = append(om.vals, v)
			case wire.StatusTransientNotAccepted:
			default:
				t.Fatalf("store offset answered %+v", r)
			}
		case a < 5:
			i := m.serving()
			if i < 0 {
				time.Sleep(time.Duration(1+rng.IntN(50)) * 10 * time.Millisecond)
				step("no primary: wait")
				continue
			}
			n := 1 + rng.IntN(3)
			r := m.send(i, number, n)
			step("send %d×%d on %d: %+v", number, n, i, r)
			if r.Status == wire.StatusOK {
				acked = append(acked, ackedSend{base: r.BaseOffset, first: number, n: n})
			} else if r.Status != wire.StatusTransientNotAccepted && r.Status != wire.StatusTransientNotCommitted {
				t.Fatalf("send answered %+v", r)
			}
			number += uint64(n)
		case a == 5:
			i := rng.IntN(3)
			b := !m.ms[i].block.Load()
			m.ms[i].block.Store(b)
			step("block %d: %v", i, b)
		case a == 6:
			i := rng.IntN(3)
			m.stopMember(m.ms[i])
			m.start(i)
			step("restart %d", i)
		case a == 7:
			i := rng.IntN(3)
			powerLoss(i)
			step("power loss %d", i)
		case a == 8:
			l := rng.Int32N(3)
			m.leader.Store(l)
			step("leader %d", l)
		default:
			// A purge the metadata committed: every replica is asked,
			// and once it is applied the older messages are gone.
			purge++
			for _, mb := range m.ms {
				mb.block.Store(false)
			}
			m.purge(purge)
			m.waitPurged(t, purge)
			acked = acked[:0]
			clear(offsets)
			step("purge %d", purge)
		}
		time.Sleep(time.Duration(rng.IntN(30)) * 10 * time.Millisecond)
	}

	// Heal: everyone connected; the group must converge and serve.
	for _, mb := range m.ms {
		mb.block.Store(false)
	}
	lead := int(m.leader.Load())
	var end uint64
	for tries := 0; ; tries++ {
		waitFor(t, "the leader serving after the heal", func() bool { return m.serving() == lead })
		r := m.send(lead, number, 1)
		if r.Status == wire.StatusOK {
			end = r.BaseOffset + 1
			break
		}
		// A send may still meet the end of a view change (57: perhaps
		// stored, so it is not an acknowledged one); never a refusal
		// for long.
		if tries == 10 {
			t.Fatalf("send after the heal: %+v", r)
		}
		number++
	}
	m.waitConverged(t, end)
	var want map[partition.ConsumerKey]uint64
	_ = m.ms[lead].own.On(func(p *partition.Partition) { want = p.ConsumerOffsets() })
	for i := range m.ms {
		var have map[partition.ConsumerKey]uint64
		_ = m.ms[i].own.On(func(p *partition.Partition) { have = p.ConsumerOffsets() })
		if !maps.Equal(have, want) {
			t.Fatalf("replica %d holds offsets %v, the leader %v", i, have, want)
		}
	}
	for k, om := range offsets {
		if v, ok := want[k]; !ok && om.must || ok && !slices.Contains(om.vals, v) {
			t.Fatalf("consumer %d: offset %d (stored %v), want one of %v (stored for sure: %v)", k.ID, v, ok, om.vals, om.must)
		}
	}
	for k, v := range want {
		if offsets[k] == nil {
			t.Fatalf("consumer %d: offset %d never stored", k.ID, v)
		}
	}
	got := m.messages(lead)
	for _, a := range acked {
		for k := range uint64(a.n) {
			if want := fmt.Sprintf("message %d", a.first+k); got[a.base+k] != want {
				t.Fatalf("offset %d holds %q, want %q (acknowledged)", a.base+k, got[a.base+k], want)
			}
		}
	}
}
