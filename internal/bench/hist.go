package bench

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power of two above
// 2^subBits ns is split into 2^(subBits-1) buckets, so a recorded value
// is reported at most 1/64 (1.6 %) above itself. Below 2^subBits ns every
// nanosecond has its own bucket.
const (
	subBits   = 7
	subCount  = 1 << subBits
	halfCount = subCount / 2
	numBucket = subCount + (64-subBits)*halfCount
)

// Histogram counts durations in log-spaced buckets, HDR style: constant
// relative error, fixed memory, O(1) Record. The zero value is empty and
// ready. It is not safe for concurrent use; merge per-goroutine histograms
// with Merge.
type Histogram struct {
	counts   [numBucket]uint64
	n        uint64
	min, max int64
	sum      float64
}

func bucketOf(v int64) int {
	if v < subCount {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits // v>>e is in [64, 128)
	return subCount + (e-1)*halfCount + int(v>>e) - halfCount
}

// bucketHigh is the largest value that falls in bucket i.
func bucketHigh(i int) int64 {
	if i < subCount {
		return int64(i)
	}
	e := (i-subCount)/halfCount + 1
	m := int64((i-subCount)%halfCount + halfCount)
	return (m+1)<<e - 1
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the value at quantile q in [0, 1]: the smallest bucket
// bound at or above the ceil(q·n)-th smallest value, capped by Max. It
// is never below the true value and at most 1/64 above it.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(max(bucketHigh(i), h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// Latency is a histogram's summary in microseconds, as Results carry it.
type Latency struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_us"`
	P50   float64 `json:"p50_us"`
	P90   float64 `json:"p90_us"`
	P99   float64 `json:"p99_us"`
	P999  float64 `json:"p999_us"`
	Max   float64 `json:"max_us"`
}

func us(d time.Duration) float64 { return float64(d) / 1e3 }

// Summary returns the percentiles of h.
func (h *Histogram) Summary() Latency {
	return Latency{Count: h.n, Mean: us(h.Mean()), P50: us(h.Quantile(0.5)), P90: us(h.Quantile(0.9)),
		P99: us(h.Quantile(0.99)), P999: us(h.Quantile(0.999)), Max: us(h.Max())}
}
