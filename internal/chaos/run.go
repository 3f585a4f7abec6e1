package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shoal-io/shoal/internal/chaos/history"
	"github.com/shoal-io/shoal/internal/chaos/proxy"
)

// Layouts: how clients reach nodes.
const (
	LayoutMesh   = "mesh"   // one fault-injecting proxy per directed link
	LayoutDirect = "direct" // no proxies (and so no faults): a baseline
	// LayoutCluster runs real shoal-server processes replicating metadata
	// through VSR, every replica link through a proxy (RunCluster).
	LayoutCluster = "cluster"
)

// Config is one chaos run.
type Config struct {
	Seed       uint64        // every random choice derives from it
	Nodes      int           // at least 2
	Layout     string        // LayoutMesh or LayoutDirect
	Ops        int           // operations per client; 0: until Duration
	Duration   time.Duration // bound on the workload phase
	Faults     []string      // enabled faults (ParseFaults); nil: none
	FaultEvery time.Duration // time between fault changes
	Timeout    time.Duration // per operation; a timeout is an Unknown result
	Think      time.Duration // pause between a client's operations (bounds the history's size)
	Bug        Bug           // a deliberate self-test service defect
	Viz        string        // if set, failing checks write <Viz>-<model>.html
	Trace      func(string)  // if set, gets one line per fault change

	// Cluster layout only.
	Binary string // a built shoal-server; "" builds one (BuildServer)
	Dir    string // configs, data and logs; "" is a temporary directory, removed after a pass
}

// Repro is the command line that repeats this run's choices.
func (c Config) Repro() string {
	faults := strings.Join(c.Faults, ",")
	if faults == "" {
		faults = "none"
	}
	return fmt.Sprintf("go run ./cmd/shoal-chaos -seed=%d -nodes=%d -layout=%s -ops=%d -duration=%v -faults=%s -fault-every=%v -timeout=%v -think=%v -bug=%s",
		c.Seed, c.Nodes, c.Layout, c.Ops, c.Duration, faults, c.FaultEvery, c.Timeout, c.Think, c.Bug)
}

func (c Config) validate() error {
	switch {
	case c.Nodes < 2:
		return fmt.Errorf("chaos: %d nodes, need at least 2", c.Nodes)
	case c.Layout != LayoutMesh && c.Layout != LayoutDirect && c.Layout != LayoutCluster:
		return fmt.Errorf("chaos: unknown layout %q (cluster, mesh, direct)", c.Layout)
	case c.Layout == LayoutCluster && c.Bug != BugNone:
		return errors.New("chaos: -bug plants defects in the self-test service, not in a cluster")
	case c.Layout == LayoutCluster && c.Nodes < 3:
		return fmt.Errorf("chaos: a cluster run needs at least 3 nodes, got %d", c.Nodes)
	case c.Layout == LayoutDirect && len(c.Faults) > 0:
		return errors.New("chaos: the direct layout has no proxies to inject faults with")
	case c.Duration <= 0 || c.Timeout <= 0 || len(c.Faults) > 0 && c.FaultEvery <= 0:
		return errors.New("chaos: -duration, -timeout and -fault-every must be positive")
	case c.Ops < 0 || c.Think < 0:
		return errors.New("chaos: -ops and -think must not be negative")
	}
	return nil
}

// Result is the outcome of a run.
type Result struct {
	Ops                 int // recorded operations, the final reads included
	OK, Failed, Unknown int
	FaultChanges        int
	// Cluster layout: messages of acknowledged sends (each checked in the
	// final read), and messages compared across every node's partition
	// files.
	Messages, Replicated int
	Report               history.Report
	Visualizations       []string // files written for failing checks
	Err                  error    // a failed check, or a run that could not be set up
}

// count tallies the outcomes of ops.
func (r *Result) count(ops []history.Op) {
	r.Ops = len(ops)
	for _, o := range ops {
		if o.Kind == history.Produce && o.Result == history.Ok {
			r.Messages += len(o.Args.Messages)
		}
		switch o.Result {
		case history.Ok:
			r.OK++
		case history.Failed:
			r.Failed++
		default:
			r.Unknown++
		}
	}
}

// visualize writes the failing verdicts' visualizations to <viz>-<model>.html.
func (r *Result) visualize(viz string) {
	if viz == "" {
		return
	}
	for _, v := range r.Report.Verdicts {
		if v.Err() == nil {
			continue
		}
		path := fmt.Sprintf("%s-%s.html", viz, v.Model)
		if err := v.Visualize(path); err != nil {
			r.Err = errors.Join(r.Err, err)
			continue
		}
		r.Visualizations = append(r.Visualizations, path)
	}
}

// partitions is the number of log partitions of the self-test service.
const partitions = 3

// Run runs the self-test: Nodes frontends of one in-process log service,
// one client per node reaching every node through the proxy layout, a
// nemesis changing faults every FaultEvery, then a heal, a final read of
// every partition, and the checks.
func Run(ctx context.Context, cfg Config) Result {
	if err := cfg.validate(); err != nil {
		return Result{Err: err}
	}
	if cfg.Layout == LayoutCluster {
		return runCluster(ctx, cfg)
	}
	// The self-test service has no processes to kill or pause.
	cfg.Faults = slices.DeleteFunc(slices.Clone(cfg.Faults), isProcessFault)
	st := newStore(cfg.Bug)
	var nodes []*node
	defer func() {
		for _, n := range nodes {
			n.close()
		}
	}()
	addrs := make([]string, cfg.Nodes)
	for i := range addrs {
		n, err := startNode(st)
		if err != nil {
			return Result{Err: err}
		}
		nodes = append(nodes, n)
		addrs[i] = n.addr()
	}
	addr := func(from, to int) string { return addrs[to] }
	var mesh *proxy.Mesh
	if cfg.Layout == LayoutMesh {
		var err error
		if mesh, err = proxy.NewMesh(addrs, cfg.Seed, nil); err != nil {
			return Result{Err: err}
		}
		defer mesh.Close()
		addr = func(from, to int) string {
			if from == to {
				return addrs[to]
			}
			return mesh.Addr(from, to)
		}
	}

	rec := history.NewRecorder(nil)
	faults, err := workload(ctx, cfg, rec, mesh, addr)
	if err == nil {
		err = drain(cfg, rec, addrs[0])
	}
	res := Result{FaultChanges: faults}
	ops := rec.Ops()
	res.count(ops)
	if err != nil {
		res.Err = err
		return res
	}
	res.Report = history.Check(ops, history.Options{Timeout: time.Minute})
	res.Err = res.Report.Err()
	res.visualize(cfg.Viz)
	return res
}

// workload runs the clients and the nemesis until every client has run
// cfg.Ops operations or cfg.Duration has passed, then heals the mesh. It
// returns the number of fault changes.
func workload(ctx context.Context, cfg Config, rec *history.Recorder, mesh *proxy.Mesh, addr func(from, to int) string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range cfg.Nodes {
		c := &lineClient{
			id: i, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i))), rec: rec, nodes: cfg.Nodes, parts: partitions,
			timeout: cfg.Timeout, conns: map[int]*conn{}, known: map[int]int{},
			addr: func(to int) string { return addr(i, to) },
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.close()
			pause := time.NewTimer(0)
			defer pause.Stop()
			for n := 0; (cfg.Ops == 0 || n < cfg.Ops) && ctx.Err() == nil; n++ {
				k, a := c.next()
				_, _ = c.do(c.rng.IntN(cfg.Nodes), k, a) // recorded; failures are part of the history
				if cfg.Think > 0 {
					pause.Reset(cfg.Think)
					select {
					case <-pause.C:
					case <-ctx.Done():
					}
				}
			}
		}()
	}
	clientsDone := make(chan struct{})
	go func() { wg.Wait(); close(clientsDone) }()

	var nemErr error
	nem := &nemesis{mesh: mesh, rng: rand.New(rand.NewPCG(cfg.Seed, 1<<32)), faults: cfg.Faults, start: time.Now(), trace: cfg.Trace}
	if mesh != nil && len(cfg.Faults) > 0 {
		if nemErr = nem.run(cfg.FaultEvery, clientsDone); nemErr != nil {
			cancel()
		}
	}
	<-clientsDone
	if mesh != nil {
		nemErr = errors.Join(nemErr, mesh.Heal())
	}
	return nem.count, nemErr
}

// drain reads every partition from offset 0 through node 0, directly, as
// one more client: the final reads CheckNoLostAcks needs.
func drain(cfg Config, rec *history.Recorder, addr string) error {
	c := &lineClient{id: cfg.Nodes, rec: rec, addr: func(int) string { return addr }, timeout: 10 * time.Second,
		conns: map[int]*conn{}, known: map[int]int{}}
	defer c.close()
	const batch = 100
	for p := range partitions {
		for off := 0; ; off += batch {
			r, err := c.do(0, history.Poll, history.Args{Partition: logPartition(p), Offset: uint64(off), Count: batch})
			if err != nil {
				return fmt.Errorf("chaos: final read of partition %d: %w", p, err)
			}
			if len(r.Messages) < batch {
				break
			}
		}
	}
	return nil
}
