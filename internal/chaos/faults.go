package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/chaos/proxy"
)

// Fault names, as -faults takes them.
const (
	FaultPartition = "partition" // both directions between two nodes
	FaultOneWay    = "oneway"    // one direction between two nodes
	FaultIsolate   = "isolate"   // one node from all others
	FaultDrop      = "drop"      // close one link's connections, refuse new ones
	FaultBlackhole = "blackhole" // swallow one direction of one link
	FaultDelay     = "delay"     // delay both directions of one link
)

var allFaults = []string{FaultPartition, FaultOneWay, FaultIsolate, FaultDrop, FaultBlackhole, FaultDelay}

// ParseFaults parses a comma-separated fault list; "all" is every fault
// (network and process), "net" every network fault, and "none" (or "") no
// fault.
func ParseFaults(s string) ([]string, error) {
	every := slices.Concat(allFaults, processFaults)
	switch s {
	case "all":
		return every, nil
	case "net":
		return slices.Clone(allFaults), nil
	case "none", "":
		return nil, nil
	}
	fs := strings.Split(s, ",")
	for _, f := range fs {
		if !slices.Contains(every, f) {
			return nil, fmt.Errorf("chaos: unknown fault %q (all, net, none, or a list of %s)", f, strings.Join(every, ","))
		}
	}
	return fs, nil
}

// nemesis applies random faults to a mesh. It is used by one goroutine.
type nemesis struct {
	mesh   *proxy.Mesh
	rng    *rand.Rand
	faults []string
	start  time.Time
	trace  func(string)
	count  int
}

// run changes faults at once and then every interval until done is closed
// or a change fails.
func (n *nemesis) run(every time.Duration, done <-chan struct{}) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := n.step(); err != nil {
			return err
		}
		select {
		case <-t.C:
		case <-done:
			return nil
		}
	}
}

// step heals the mesh, then, two times in three, applies one random fault.
func (n *nemesis) step() error {
	if err := n.mesh.Heal(); err != nil {
		return err
	}
	if len(n.faults) == 0 || n.rng.IntN(3) == 0 {
		n.log("heal")
		return nil
	}
	nodes := n.mesh.Nodes()
	a := n.rng.IntN(nodes)
	b := (a + 1 + n.rng.IntN(nodes-1)) % nodes
	f := n.faults[n.rng.IntN(len(n.faults))]
	var err error
	desc := fmt.Sprintf("%s %d→%d", f, a, b)
	switch f {
	case FaultPartition:
		err = n.mesh.Partition(a, b)
	case FaultOneWay:
		err = n.mesh.OneWay(a, b)
	case FaultIsolate:
		err, desc = n.mesh.Isolate(a), fmt.Sprintf("%s %d", f, a)
	case FaultDrop:
		d := proxy.Fault{Mode: proxy.Drop}
		err = n.mesh.SetLink(a, b, d, d)
	case FaultBlackhole:
		err = n.mesh.SetLink(a, b, proxy.Fault{Mode: proxy.Blackhole}, proxy.Fault{})
	case FaultDelay:
		d := proxy.Fault{Mode: proxy.Delay, Fixed: time.Millisecond, Jitter: 10 * time.Millisecond}
		err = n.mesh.SetLink(a, b, d, d)
	}
	n.count++
	n.log(desc)
	return err
}

func (n *nemesis) log(desc string) {
	if n.trace != nil {
		n.trace(fmt.Sprintf("%6dms fault: %s", time.Since(n.start).Milliseconds(), desc))
	}
}
