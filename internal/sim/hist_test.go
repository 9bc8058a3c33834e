package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The histogram's percentiles agree with those of the sorted samples to
// within its resolution.
func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var samples []time.Duration
	h := NewHistogram()
	parts := []*Histogram{NewHistogram(), NewHistogram(), NewHistogram()}
	for i := range 100000 {
		// Log-normal around 2 ms with a long tail, and a few outliers.
		d := time.Duration(math.Exp(r.NormFloat64()*0.8) * float64(2*time.Millisecond))
		if i%1000 == 0 {
			d = time.Duration(r.IntN(int(time.Second)))
		}
		samples = append(samples, d)
		h.Record(d)
		parts[i%3].Record(d)
	}
	merged := NewHistogram()
	for _, p := range parts {
		merged.Merge(p)
	}
	slices.Sort(samples)
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
		rank := int(math.Ceil(q * float64(len(samples))))
		want := samples[max(rank, 1)-1]
		for name, hh := range map[string]*Histogram{"one": h, "merged": merged} {
			got := hh.Quantile(q)
			if rel := math.Abs(float64(got-want)) / float64(want); rel > 1.0/subBuckets {
				t.Errorf("%s: q=%v: got %v, want %v (off by %.2f%%)", name, q, got, want, rel*100)
			}
		}
	}
	if h.Count() != uint64(len(samples)) || h.Min() != samples[0] || h.Max() != samples[len(samples)-1] {
		t.Errorf("count %d min %v max %v, want %d %v %v", h.Count(), h.Min(), h.Max(), len(samples), samples[0], samples[len(samples)-1])
	}
	if merged.Count() != h.Count() || merged.Mean() != h.Mean() {
		t.Errorf("merged count %d mean %v, want %d %v", merged.Count(), merged.Mean(), h.Count(), h.Mean())
	}
}

func TestHistogramBuckets(t *testing.T) {
	// Every value lies in its bucket's range, and buckets are in order.
	prevHi := uint64(0)
	for i := range len(NewHistogram().counts) {
		lo, hi := bucketRange(i)
		if i > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d after %d", i, lo, prevHi)
		}
		prevHi = hi
		for _, v := range []uint64{lo, hi, lo + (hi-lo)/2} {
			if b := bucketOf(v); b != i {
				t.Fatalf("value %d in bucket %d, want %d", v, b, i)
			}
		}
	}
	if NewHistogram().Quantile(0.5) != 0 {
		t.Error("empty histogram")
	}
}
