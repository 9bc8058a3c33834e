package matching

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ruqi/ruqi/internal/coord"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// provinceMonth is a province's month of plans: plans over enterprises, each
// plan covering perPlan enterprises drawn at random, from 40 agencies with
// 8 catalogue items each (a plan lists 3), one plan in ten case-triggered.
func provinceMonth(plans, enterprises, perPlan int) Input {
	r := rand.New(rand.NewPCG(1, 2))
	usccs := make([]string, enterprises)
	for i := range usccs {
		usccs[i] = fmt.Sprintf("91510100%010d", i)
	}
	const agencies, catalogue = 40, 8
	items := make([][]*ruqiv1.CheckItem, agencies)
	for a := range items {
		for k := 0; k < catalogue; k++ {
			items[a] = append(items[a], item(fmt.Sprintf("AG-%02d", a), fmt.Sprintf("CI-%02d-%d", a, k), fmt.Sprintf("检查事项 %d-%d", a, k)))
		}
	}
	in := Input{NotBefore: dec1}
	for i := 0; i < plans; i++ {
		a := r.IntN(agencies)
		typ := routine
		if i%10 == 0 {
			typ = caseT
		}
		c := Coverage{PlanID: fmt.Sprintf("PLAN-%06d", i), AgencyID: fmt.Sprintf("AG-%02d", a), Type: typ, Start: dec1, End: jan1}
		k := r.IntN(catalogue - 3)
		c.Items = items[a][k : k+3]
		c.Enterprises = make([]string, perPlan)
		for j := range c.Enterprises {
			c.Enterprises[j] = usccs[r.IntN(enterprises)]
		}
		in.Plans = append(in.Plans, c)
	}
	// Caps as the default policy sets them; one enterprise in ten grade A,
	// some agencies' quota already spent.
	pol := coord.DefaultPolicies().For("510104")
	spent := coord.YearCounts{ByAgency: map[string]int{"AG-07": 2}, Proactive: 2, Visits: 2}
	in.Standing = func(uscc string, _ int) (Standing, bool) {
		switch uscc[len(uscc)-1] {
		case '0':
			return Standing{Policy: pol, Grade: "A"}, true
		case '1':
			return Standing{Policy: pol, Grade: "B", Counts: spent}, true
		}
		return Standing{Policy: pol, Grade: "B"}, true
	}
	return in
}

// BenchmarkMatch_ProvinceMonth matches a province's month: 100,000 plans
// over 1,000,000 enterprises, 20 enterprises a plan (2,000,000 coverings).
func BenchmarkMatch_ProvinceMonth(b *testing.B) {
	in := provinceMonth(100_000, 1_000_000, 20)
	b.ReportAllocs()
	b.ResetTimer()
	var res Result
	for b.Loop() {
		res = Match(in)
	}
	b.ReportMetric(float64(len(res.Proposals)), "proposals")
	b.ReportMetric(float64(res.Covered), "enterprises")
	b.ReportMetric(float64(res.CappedOut), "capped-out")
}

// BenchmarkMatch_Tenth is the same at a tenth of the size, to show how the
// cost grows.
func BenchmarkMatch_Tenth(b *testing.B) {
	in := provinceMonth(10_000, 100_000, 20)
	b.ReportAllocs()
	b.ResetTimer()
	var res Result
	for b.Loop() {
		res = Match(in)
	}
	b.ReportMetric(float64(len(res.Proposals)), "proposals")
}

// BenchmarkSortFloor is the floor beside BenchmarkMatch_ProvinceMonth in the
// same run: only gathering and sorting the 2,000,000 (enterprise, plan)
// pairs, which any matching by enterprise must do.
func BenchmarkSortFloor(b *testing.B) {
	in := provinceMonth(100_000, 1_000_000, 20)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pairs := make([]pair, 0, 2_000_000)
		for i := range in.Plans {
			for _, u := range in.Plans[i].Enterprises {
				pairs = append(pairs, pair{uscc: u, plan: int32(i)})
			}
		}
		slices.SortFunc(pairs, func(a, b pair) int { return cmp.Compare(a.uscc, b.uscc) })
	}
}
