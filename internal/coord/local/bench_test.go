package local_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/local"
)

// BenchmarkDecide: one accepted decision per op, in process, with the same
// shape as coord/redis's BenchmarkDecide (8 open plans per enterprise at
// most, windows never overlapping, no caps).
func BenchmarkDecide(b *testing.B) {
	const perEnterprise = 8
	c := local.New(func(context.Context, string, bool) (coord.Seed, error) { return coord.Seed{}, nil })
	warn := 100
	pol := coord.Policy{Zone: coordtest.Beijing, WarnVisitsPerDay: &warn}
	now := time.Now()
	base := now.Add(24 * time.Hour).Truncate(time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ent, k := i/perEnterprise, i%perEnterprise
		start := base.Add(time.Duration(k) * 2 * time.Hour)
		p := coord.Plan{InspectionID: fmt.Sprintf("INS-B-%d", i), AgencyID: fmt.Sprintf("AG-%d", k), USCC: fmt.Sprintf("E%d", ent), Start: start, End: start.Add(time.Hour), Grade: "B"}
		if d, err := c.Decide(ctx, p, pol, now); err != nil || d.Outcome != coord.Accepted {
			b.Fatalf("%+v %v", d, err)
		}
	}
}
