package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shoal-io/shoal/internal/chaos/proxy"
)

// Process faults, for the cluster layout only.
const (
	FaultKillLeader  = "kill-leader"  // kill -9 the leader; restart it at the next change
	FaultKillBackup  = "kill-backup"  // kill -9 a backup; restart it at the next change
	FaultPauseLeader = "pause-leader" // SIGSTOP the leader; SIGCONT at the next change
)

var processFaults = []string{FaultKillLeader, FaultKillBackup, FaultPauseLeader}

// isProcessFault reports whether f acts on processes, not links.
func isProcessFault(f string) bool {
	for _, p := range processFaults {
		if f == p {
			return true
		}
	}
	return false
}

// errCrashed: a node exited without the nemesis killing it.
var errCrashed = errors.New("chaos: a node exited on its own")

// clusterNemesis applies random faults to a cluster: network faults on its
// replica mesh and process faults on its nodes. It is used by one
// goroutine.
type clusterNemesis struct {
	c      *cluster
	rng    *rand.Rand
	faults []string
	start  time.Time
	trace  func(string)
	count  int
}

// run changes faults at once and then every interval until done is closed,
// ctx ends, or a change fails.
func (n *clusterNemesis) run(ctx context.Context, every time.Duration, done <-chan struct{}) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := n.step(ctx); err != nil {
			return err
		}
		select {
		case <-t.C:
		case <-done:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// heal ends every fault: the mesh passes everything, paused nodes
// continue, killed nodes restart from their data directories. A node that
// died on its own is an error (errCrashed), and is restarted too.
func (n *clusterNemesis) heal() error {
	var errs []error
	errs = append(errs, n.c.mesh.Heal())
	for _, p := range n.c.procs {
		if p.exited() {
			errs = append(errs, fmt.Errorf("%w: node %d; the end of its log:\n%s", errCrashed, p.id, n.c.logTail(p.id, 30)))
		}
		errs = append(errs, p.resume())
		if !p.running() {
			errs = append(errs, p.start())
		}
	}
	return errors.Join(errs...)
}

// step heals, then, two times in three, applies one random fault.
func (n *clusterNemesis) step(ctx context.Context) error {
	if err := n.heal(); err != nil {
		return err
	}
	if len(n.faults) == 0 || n.rng.IntN(3) == 0 {
		n.log("heal")
		return nil
	}
	nodes := len(n.c.procs)
	a := n.rng.IntN(nodes)
	b := (a + 1 + n.rng.IntN(nodes-1)) % nodes
	f := n.faults[n.rng.IntN(len(n.faults))]
	pick := n.rng.IntN(nodes - 1) // which backup, for kill-backup
	mesh := n.c.mesh
	var err error
	desc := fmt.Sprintf("%s %d→%d", f, a, b)
	switch f {
	case FaultPartition:
		err = mesh.Partition(a, b)
	case FaultOneWay:
		err = mesh.OneWay(a, b)
	case FaultIsolate:
		err, desc = mesh.Isolate(a), fmt.Sprintf("%s %d", f, a)
	case FaultDrop:
		d := proxy.Fault{Mode: proxy.Drop}
		err = n.link(a, b, d, d)
	case FaultBlackhole:
		err = n.link(a, b, proxy.Fault{Mode: proxy.Blackhole}, proxy.Fault{})
	case FaultDelay:
		d := proxy.Fault{Mode: proxy.Delay, Fixed: 5 * time.Millisecond, Jitter: 50 * time.Millisecond}
		err = n.link(a, b, d, d)
	default:
		desc, err = n.process(ctx, f, pick)
	}
	n.count++
	n.log(desc)
	return err
}

// link sets the faults of the replica connection between a and b: fromA
// on the bytes a sends, toA on the bytes it receives. The connection is
// the one the lower id dialed, through proxy (lower, higher).
func (n *clusterNemesis) link(a, b int, fromA, toA proxy.Fault) error {
	if a < b {
		return n.c.mesh.SetLink(a, b, fromA, toA)
	}
	return n.c.mesh.SetLink(b, a, toA, fromA)
}

// process applies a process fault to the leader, or to backup number
// pick, and describes it. Without a leader in time it does nothing.
func (n *clusterNemesis) process(ctx context.Context, f string, pick int) (string, error) {
	leader, err := n.c.waitLeader(ctx, 5*time.Second)
	if err != nil {
		return fmt.Sprintf("%s: skipped, no leader", f), nil
	}
	switch f {
	case FaultKillLeader:
		return fmt.Sprintf("%s %d", f, leader), n.c.procs[leader].kill()
	case FaultKillBackup:
		backup := (leader + 1 + pick) % len(n.c.procs)
		return fmt.Sprintf("%s %d", f, backup), n.c.procs[backup].kill()
	case FaultPauseLeader:
		return fmt.Sprintf("%s %d", f, leader), n.c.procs[leader].pause()
	}
	return f, fmt.Errorf("chaos: unknown fault %q", f)
}

func (n *clusterNemesis) log(desc string) {
	if n.trace != nil {
		n.trace(fmt.Sprintf("%6dms fault: %s", time.Since(n.start).Milliseconds(), desc))
	}
}
