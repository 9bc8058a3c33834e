package coordtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
)

// Two replicas take back the reservations of failed registrations at one
// enterprise (service.takeBackAll: one raise each, then a release per plan),
// their batches interleaved, with registrations going on between the
// releases (the recovery after a Redis outage at a busy enterprise). The
// replica that raised first presents a fence older than the state's from
// its second release on. Taken as stale, each such release dropped the
// state, and the enterprise was seeded again ten times, fencing 11 of 12
// registrations in flight (a review, 2026-12-07); such a release now
// releases nothing (coord.State.ReleaseStale).
func testInterleavedTakeBacks(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	f.want(f.decide(f.plan("AG-0", "2026-11-21 08:00", "2026-11-21 09:00"), now), coord.Accepted)
	const n = 6
	pending := func(agency string) []coord.Plan {
		var ps []coord.Plan
		for i := range n {
			day := fmt.Sprintf("2026-12-%02d ", i+1)
			p := f.plan(agency, day+"08:00", day+"09:00")
			p.ConfirmBy = now.Add(time.Hour)
			if _, err := f.c.Decide(ctx, p, f.pol, now); err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		return ps
	}
	as, bs := pending("AG-A"), pending("AG-B")
	ra, err := f.rec.Seed(ctx, f.uscc, true) // replica A's raise
	if err != nil {
		t.Fatal(err)
	}
	rb, err := f.rec.Seed(ctx, f.uscc, true) // replica B's raise
	if err != nil {
		t.Fatal(err)
	}
	fenced := 0
	for i := range n {
		for _, r := range []struct {
			p     coord.Plan
			fence int64
		}{{as[i], ra.Fence}, {bs[i], rb.Fence}} {
			// A registration in flight: decided, written after the release.
			reg := f.plan(fmt.Sprintf("AG-R%d", i), "2027-01-10 08:00", "2027-01-10 09:00")
			d, err := f.c.Decide(ctx, reg, f.pol, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.c.Release(ctx, r.p, r.fence, now); err != nil {
				t.Fatal(err)
			}
			// Another registration's decision: reseeds if the release dropped the state.
			if _, err := f.c.Decide(ctx, f.plan("AG-X", "2027-02-10 08:00", "2027-02-10 09:00"), f.pol, now); err != nil {
				t.Fatal(err)
			}
			if !f.rec.Apply(reg, d) {
				fenced++
			}
		}
	}
	s, _ := f.rec.Seed(ctx, f.uscc, false)
	t.Logf("store fence after the batches: %d (replica B raised it to %d); registrations fenced: %d of %d", s.Fence, rb.Fence, fenced, 2*n)
	if fenced > 1 {
		t.Errorf("%d of %d registrations fenced by %d reseeds during two interleaved take-back batches", fenced, 2*n, s.Fence-rb.Fence)
	}
}
