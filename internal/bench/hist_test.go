package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestHistogramAgainstSort checks every reported quantile against the
// naive answer, the ceil(q·n)-th value of the sorted sample: never below
// it and at most 1/64 above it.
func TestHistogramAgainstSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 1 + r.IntN(5000)
		var h, a, b Histogram
		vals := make([]int64, n)
		for i := range vals {
			switch trial % 3 {
			case 0:
				vals[i] = r.Int64N(200) // the exact range
			case 1:
				vals[i] = int64(math.Exp(r.Float64() * 30)) // ns to seconds
			default:
				vals[i] = 50_000 + r.Int64N(1000)
			}
			h.Record(time.Duration(vals[i]))
			if i%2 == 0 {
				a.Record(time.Duration(vals[i]))
			} else {
				b.Record(time.Duration(vals[i]))
			}
		}
		a.Merge(&b)
		slices.Sort(vals)
		for _, q := range []float64{0, 0.01, 0.5, 0.9, 0.99, 0.999, 1} {
			rank := max(int(math.Ceil(q*float64(n))), 1)
			want := vals[rank-1]
			got := int64(h.Quantile(q))
			if got < want || float64(got) > float64(want)*(1+1.0/64)+1 {
				t.Fatalf("trial %d: Quantile(%v) = %d, sorted sample says %d", trial, q, got, want)
			}
			if m := int64(a.Quantile(q)); m != got {
				t.Fatalf("trial %d: merged Quantile(%v) = %d, want %d", trial, q, m, got)
			}
		}
		if int64(h.Max()) != vals[n-1] || h.Count() != uint64(n) {
			t.Fatalf("trial %d: Max %v Count %d, want %d %d", trial, h.Max(), h.Count(), vals[n-1], n)
		}
	}
}

func TestHistogramBuckets(t *testing.T) {
	for v := int64(0); v < 1<<20; v += 1 + v/50 {
		i := bucketOf(v)
		if v > bucketHigh(i) || i > 0 && v <= bucketHigh(i-1) {
			t.Fatalf("%d in bucket %d [%d, %d]", v, i, bucketHigh(i-1)+1, bucketHigh(i))
		}
	}
	if i := bucketOf(math.MaxInt64); i >= numBucket {
		t.Fatalf("MaxInt64 in bucket %d of %d", i, numBucket)
	}
	var empty Histogram
	if empty.Quantile(0.99) != 0 || empty.Mean() != 0 {
		t.Fatal("empty histogram reports values")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	d := time.Duration(1)
	for b.Loop() {
		h.Record(d)
		d = (d*7 + 13) & (1<<34 - 1)
	}
}
