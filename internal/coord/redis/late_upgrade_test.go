package redis

import (
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/coordtest/storeseed"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
)

// Found by a review of the late-record change (2026-12-06).
//
// TestStateBeforeLateRecords_CountsAsTheStoreDoes: a late routine record
// (先检查后补录) decided by the version before coord.Plan.Late, which passed
// it as Exempt and charged none of the agency's caps, is in the Redis state
// when the servers are upgraded. The store now counts it as one of AG-1's
// two inspections of 2026 (service.planOf: Late, not Exempt), and so does
// every reseed; the state written before does not, and goes on deciding by
// the older rule: AG-1 gets a third proactive inspection of 2026 for as long
// as the state lives (until the year's counters lapse), though any reseed
// (a Redis restart, a failover, an eviction) would refuse it.
func TestStateBeforeLateRecords_CountsAsTheStoreDoes(t *testing.T) {
	srv := redistest.Start(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	rec := storeseed.Bolt(t)
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	k, _ := keysOf(uscc)
	now := coordtest.Now() // 2026-11-20 09:00
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(2)}

	// Before the upgrade: AG-1's emergency of 17 November recorded late,
	// passed to the coordinator as the older planOf did (Exempt).
	late := coord.Plan{InspectionID: "INS-LATE-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-17 14:00"), End: at("2026-11-17 15:00"), Grade: "B", Exempt: true}
	d, err := c.Decide(ctx, late, pol, now)
	if err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("late record before the upgrade: %+v %v", d, err)
	}
	stored := late
	stored.Exempt, stored.Late = false, true // a routine check, marked late, as the store holds it
	rec.Apply(stored, d)
	// The state is the older version's: its mark names the schema that
	// version wrote (the present one, "2", which this change kept).
	mark, err := rdb.HGet(ctx, k.state(), "#seeded").Result()
	if err != nil {
		t.Fatal(err)
	}
	if _, rest, ok := strings.Cut(mark, ":"); ok {
		mark = "2:" + rest
	}
	if err := rdb.HSet(ctx, k.state(), "#seeded", mark).Err(); err != nil {
		t.Fatal(err)
	}

	// After the upgrade: AG-1 registers two routine checks of 2026 ahead.
	for i, w := range [][2]string{{"2026-11-25 09:00", "2026-11-25 11:00"}, {"2026-12-10 09:00", "2026-12-10 11:00"}} {
		p := coord.Plan{InspectionID: "INS-AHEAD-" + string(rune('1'+i)), AgencyID: "AG-1", USCC: uscc, Start: at(w[0]), End: at(w[1]), Grade: "B"}
		d, err := c.Decide(ctx, p, pol, now)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if d.Outcome != coord.Accepted {
				t.Fatalf("AG-1's second inspection of 2026: %+v", d)
			}
			rec.Apply(p, d)
			continue
		}
		// What a reseed of the same store decides.
		ref := coord.NewState(mustSeed(t, rec, uscc), pol, now).Decide(p, pol, now)
		if d.Outcome != ref.Outcome {
			t.Fatalf("AG-1's third proactive inspection of 2026 (the first recorded late): the state written before the upgrade decides %v, a reseed of the store %v (cap %+v)",
				d.Outcome, ref.Outcome, ref.Cap)
		}
	}
}

func mustSeed(t *testing.T, rec coordtest.Recorder, uscc string) coord.Seed {
	t.Helper()
	s, err := rec.Seed(ctx, uscc, false)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
