package history

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Concurrent clients record; each client's operations are sequential, so
// their stamps must be strictly increasing in the history, and the result
// must check clean.
func TestRecorderConcurrent(t *testing.T) {
	for _, clock := range []Clock{nil, NewMonotonicClock()} {
		r := NewRecorder(clock)
		const clients, per = 8, 50
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range per {
					call := r.Invoke(c, StoreOffset, Args{Consumer: "c", Partition: p0, Offset: uint64(c*per + i)})
					switch i % 3 {
					case 0:
						call.Ok(Reply{})
					case 1:
						call.Fail(errors.New("refused"))
					case 2:
						call.Unknown(errors.New("timeout"))
					}
				}
			}()
		}
		wg.Wait()
		ops := r.Ops()
		if len(ops) != clients*per {
			t.Fatalf("%d ops, want %d", len(ops), clients*per)
		}
		last := map[int]int64{}
		for i, o := range ops {
			if o.ID != i || o.Call > o.Return {
				t.Fatalf("op %v: id %d, call %d, return %d", &o, i, o.Call, o.Return)
			}
			// The logical clock never repeats; the monotonic one may.
			if o.Call < last[o.Client] || o.Call == last[o.Client] && clock == nil {
				t.Fatalf("client %d: op %d invoked at %d, not after its previous return %d", o.Client, o.ID, o.Call, last[o.Client])
			}
			last[o.Client] = o.Return
			if want := []Result{Ok, Failed, Unknown}[int(o.Args.Offset)%per%3]; o.Result != want {
				t.Fatalf("op %v: result %s, want %s", &o, o.Result, want)
			}
		}
		if err := CheckOffsets(ops, Options{}).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecorderOpenOpsAreUnknown(t *testing.T) {
	r := NewRecorder(nil)
	msgs := []string{"a"}
	r.Invoke(0, Produce, Args{Partition: p0, Messages: msgs})
	msgs[0] = "changed" // the recorder keeps its own copy
	done := r.Invoke(1, Poll, Args{Partition: p0, Count: 1})
	reply := Reply{Messages: []string{"a"}}
	done.Ok(reply)
	reply.Messages[0] = "changed"
	ops := r.Ops()
	if o := ops[0]; o.Result != Unknown || o.Return != Infinity || o.Args.Messages[0] != "a" {
		t.Fatalf("open op: %v (return %d)", &o, o.Return)
	}
	if o := ops[1]; o.Result != Ok || o.Reply.Messages[0] != "a" {
		t.Fatalf("completed op: %v", &o)
	}
	if err := Check(ops, Options{}).Err(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("completing an op twice did not panic")
		}
	}()
	done.Unknown(nil)
}

func TestVisualize(t *testing.T) {
	ops := *new(h).produce(1, 2, p0, 0, "a").produce(3, 4, p0, 1, "b").poll(5, 6, p0, 0, 10, "b")
	v := CheckLog(ops, Options{})
	if !errors.Is(v.Err(), ErrNotLinearizable) {
		t.Fatalf("verdict %v", v.Err())
	}
	path := filepath.Join(t.TempDir(), "log.html")
	if err := v.Visualize(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<html", "poll s/t/0 @0 n10"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("visualization lacks %q", want)
		}
	}
	if err := v.Visualize(filepath.Join(t.TempDir(), "no", "such", "dir.html")); err == nil {
		t.Fatal("Visualize into a missing directory succeeded")
	}
}
