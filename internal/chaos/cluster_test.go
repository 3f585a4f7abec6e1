package chaos

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/chaos/history"
)

// The shoal-server binary, built once per test run (removed by TestMain).
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	binErr    error
)

func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "shoal-chaos-bin-"); binErr == nil {
			binPath, binErr = BuildServer(context.Background(), binDir)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// A short cluster run: three shoal-server processes, every fault (network
// faults on the replica links, kill -9 of the leader and of a backup with
// restarts, SIGSTOP/SIGCONT of the leader), then the checks: the metadata,
// log and offsets histories are linearizable, no acknowledged message is
// lost, duplicated or reordered, the healed nodes converge, no
// acknowledged metadata change is lost (checkFinal), and every node's
// partition files agree (checkReplicas). A send answered 58 must not be
// stored.
func TestClusterRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes for about 25 s")
	}
	var trace []string
	cfg := Config{Seed: 11, Nodes: 3, Layout: LayoutCluster, Duration: 15 * time.Second, Faults: every(),
		FaultEvery: 1500 * time.Millisecond, Timeout: 10 * time.Second, Think: 5 * time.Millisecond,
		Binary: serverBinary(t), Dir: t.TempDir(), Trace: func(s string) { trace = append(trace, s) }}
	r := Run(context.Background(), cfg)
	if r.Err != nil {
		t.Fatalf("%s\n%v\nfaults:\n%s", cfg.Repro(), r.Err, strings.Join(trace, "\n"))
	}
	// Every operation but unknown reads is checked: metadata, log and
	// offsets; acknowledged messages were sent and every replica compared.
	checked := 0
	for _, v := range r.Report.Verdicts {
		checked += v.Ops
	}
	if r.OK < 100 || r.FaultChanges < 3 || len(r.Report.Verdicts) != 3 || checked < r.OK || r.Messages < 100 || r.Replicated == 0 {
		t.Fatalf("%d ops (%d ok), %d checked, %d fault changes, %d verdicts, %d messages, %d replicated",
			r.Ops, r.OK, checked, r.FaultChanges, len(r.Report.Verdicts), r.Messages, r.Replicated)
	}
	t.Logf("%d ops (%d ok, %d failed, %d unknown), %d checked, %d acknowledged messages, %d compared on every node, %d fault changes:\n%s",
		r.Ops, r.OK, r.Failed, r.Unknown, checked, r.Messages, r.Replicated, r.FaultChanges, strings.Join(trace, "\n"))
}

func every() []string {
	fs, err := ParseFaults("all")
	if err != nil {
		panic(err)
	}
	return fs
}

// MeasureFailover kills the leader and sees the writer resume on a new
// one, with the old leader restarted and caught up in between: a writer
// of metadata, and one of message batches.
func TestMeasureFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, messages := range []bool{false, true} {
		var lines []string
		f, err := MeasureFailover(context.Background(), Config{Seed: 3, Nodes: 3, Binary: serverBinary(t), Dir: t.TempDir()}, 1, messages,
			func(s string) { lines = append(lines, s) })
		if err != nil {
			t.Fatalf("messages %v: %v", messages, err)
		}
		if len(f.Gaps) != 1 || len(lines) != 1 || f.Min() <= 0 || f.Min() > f.Median() || f.Median() > f.Max() {
			t.Fatalf("messages %v: gaps %v, lines %q", messages, f.Gaps, lines)
		}
		// The backups notice the silent leader only after heartbeatTimeout.
		if f.Min() < heartbeatTimeout/2 {
			t.Fatalf("messages %v: failover in %v, faster than the heartbeat timeout %v allows", messages, f.Min(), heartbeatTimeout)
		}
		t.Logf("messages %v: %s", messages, strings.Join(lines, "\n"))
	}
}

// The probe reads a backup's own state, not the leader's, and the final
// check compares it with the history.
func TestCheckFinal(t *testing.T) {
	ok := func(k history.Kind, stream, name string, res history.Result, code history.Code) history.Op {
		return history.Op{Kind: k, Args: history.Args{Partition: history.Partition{Stream: stream}, Name: name}, Result: res,
			Reply: history.Reply{Code: code}}
	}
	ops := []history.Op{
		ok(history.CreateStream, "a", "", history.Ok, history.OK),
		ok(history.CreateStream, "b", "", history.Unknown, 0),
		ok(history.CreateStream, "c", "", history.Ok, history.OK),
		ok(history.DeleteStream, "c", "", history.Ok, history.OK),
		ok(history.CreateStream, "d", "", history.Ok, history.OK),
		ok(history.RenameStream, "d", "e", history.Ok, history.OK),
		ok(history.CreateStream, "f", "", history.Ok, history.OK),
		ok(history.DeleteStream, "f", "", history.Unknown, 0),
		ok(history.CreateUser, "", "u", history.Ok, history.OK),
		ok(history.CreateStream, "g", "", history.Failed, 0),
	}
	good := nodeView{Streams: []string{"a", "e"}, Users: []string{"iggy", "u"}}
	if err := checkFinal(ops, []nodeView{good, good}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []nodeView{
		{Streams: []string{"e"}, Users: []string{"iggy", "u"}},               // lost a
		{Streams: []string{"a", "c", "e"}, Users: []string{"iggy", "u"}},     // deleted c is back
		{Streams: []string{"a", "d", "e"}, Users: []string{"iggy", "u"}},     // renamed d is back
		{Streams: []string{"a", "e", "g"}, Users: []string{"iggy", "u"}},     // failed g exists
		{Streams: []string{"a", "e"}, Users: []string{"iggy"}},               // lost user u
		{Streams: []string{"a", "e", "ghost"}, Users: []string{"iggy", "u"}}, // never made
	} {
		if err := checkFinal(ops, []nodeView{good, bad}); err == nil || !strings.Contains(err.Error(), "node 1") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	// b (unknown create) and f (unknown delete) may go either way.
	maybe := nodeView{Streams: []string{"a", "b", "e", "f"}, Users: []string{"iggy", "u"}}
	if err := checkFinal(ops, []nodeView{maybe}); err != nil {
		t.Fatal(err)
	}
	if d := disagreement([]nodeView{good, maybe}); !strings.Contains(d, "+b +f") {
		t.Errorf("disagreement %q", d)
	}
}
