package local_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/local"
)

// heapEnterprises is how many enterprises, with one plan each, the heap
// benchmarks register.
const heapEnterprises = 200_000

// heapBound is the working set of the bounded run.
const heapBound = 20_000

// liveHeap is the live heap after a full collection (runtime/metrics, the
// figure GOMEMLIMIT and the GC pacer work from).
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// serverPolicy is the built-in default policy the server runs with: 2 per
// agency per year, warnings above 1/day, 2/week, 3/month, so that every
// plan charges the counters it does in production.
func serverPolicy() coord.Policy {
	two, one, three := 2, 1, 3
	return coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: &two, WarnVisitsPerDay: &one, WarnVisitsPerWeek: &two, WarnVisitsPerMonth: &three}
}

// fillEnterprises registers one confirmed plan for each of n enterprises,
// as the service does (decide pending, then confirm).
func fillEnterprises(b *testing.B, c coord.Coordinator, n int) {
	ctx := context.Background()
	pol := serverPolicy()
	now := time.Now()
	start := now.Add(24 * time.Hour).Truncate(time.Hour)
	for i := range n {
		p := coord.Plan{InspectionID: fmt.Sprintf("INS-%012d", i), AgencyID: fmt.Sprintf("AG-%d", i%50), USCC: fmt.Sprintf("91510100%010d", i), Start: start, End: start.Add(2 * time.Hour), Grade: "B", ConfirmBy: now.Add(time.Minute)}
		d, err := c.Decide(ctx, p, pol, now)
		if err != nil || d.Outcome != coord.Accepted {
			b.Fatalf("%+v %v", d, err)
		}
		if err := c.Confirm(ctx, p, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHeapPerEnterprise measures the coordinator's live heap per
// enterprise with a plan: run it with -benchtime=1x (each iteration fills
// a new coordinator with heapEnterprises enterprises). It reports sizes,
// not times.
func BenchmarkHeapPerEnterprise(b *testing.B) {
	empty := func(context.Context, string, bool) (coord.Seed, error) { return coord.Seed{}, nil }
	b.Run("unbounded", func(b *testing.B) {
		for b.Loop() {
			before := liveHeap()
			c := local.New(empty)
			fillEnterprises(b, c, heapEnterprises)
			after := liveHeap()
			runtime.KeepAlive(c)
			b.ReportMetric(float64(after-before)/heapEnterprises, "B/enterprise")
			b.ReportMetric(float64(after-before)/(1<<20), "MiB-live")
		}
	})
	// The same enterprises through a working set of heapBound: the live
	// heap is the bound's, whatever the number of enterprises.
	b.Run("bounded", func(b *testing.B) {
		for b.Loop() {
			before := liveHeap()
			c := local.NewBounded(empty, local.Bound{MaxEnterprises: heapBound})
			fillEnterprises(b, c, heapEnterprises)
			after := liveHeap()
			runtime.KeepAlive(c)
			b.ReportMetric(float64(c.Stats().Enterprises), "held")
			b.ReportMetric(float64(after-before)/float64(c.Stats().Enterprises), "B/held")
			b.ReportMetric(float64(after-before)/(1<<20), "MiB-live")
		}
	})
}
